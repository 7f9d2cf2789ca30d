import { OvsNotFoundError } from "./errors.ts";
import { transact, type VswitchDb } from "./vswitch-db.ts";

/** A row addressed the way operators do: the Open_vSwitch singleton, or a bridge/port/interface by name. */
export type RowRef =
  | { readonly table: "Open_vSwitch" }
  | { readonly table: "Bridge" | "Port" | "Interface"; readonly name: string };

export type MapColumn = "external_ids" | "other_config";

/** Sets keys of a map column, leaving its other keys alone: one transaction, one mutate (delete + insert). */
export async function setMapKeys(
  db: VswitchDb,
  ref: RowRef,
  column: MapColumn,
  entries: Readonly<Record<string, string>>,
): Promise<void> {
  if (Object.keys(entries).length === 0) return;
  await mutateOne(db, ref, [
    [column, "delete", Object.keys(entries)],
    [column, "insert", { ...entries }],
  ]);
}

/** Removes keys from a map column (absent keys are fine). */
export async function clearMapKeys(db: VswitchDb, ref: RowRef, column: MapColumn, keys: readonly string[]) {
  if (keys.length === 0) return;
  await mutateOne(db, ref, [[column, "delete", [...keys]]]);
}

async function mutateOne(
  db: VswitchDb,
  ref: RowRef,
  mutations: readonly (readonly [string, "insert" | "delete", unknown])[],
) {
  const where = ref.table === "Open_vSwitch" ? [] : [["name", "==", ref.name] as const];
  const [result] = await transact(db, [db.ops.mutate(ref.table, where as never, mutations as never)]);
  if (result?.count !== 1) {
    throw new OvsNotFoundError(ref.table, ref.table === "Open_vSwitch" ? "." : ref.name);
  }
}
