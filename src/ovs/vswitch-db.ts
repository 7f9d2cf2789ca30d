import {
  decodeSelectRows,
  type JsonObject,
  type Operation,
  type OperationBuilder,
  type OvsdbClient,
  OvsdbTransactionError,
  type VswitchTables,
  vswitchDb,
} from "../ovsdb/index.ts";

/** The Open_vSwitch database through one client, with a schema-checked operation builder. */
export interface VswitchDb {
  readonly client: OvsdbClient;
  readonly ops: OperationBuilder<VswitchTables>;
}

export async function openVswitchDb(client: OvsdbClient): Promise<VswitchDb> {
  return { client, ops: await client.operations<VswitchTables>(vswitchDb) };
}

export function transact(db: VswitchDb, operations: readonly Operation[]): Promise<JsonObject[]> {
  return db.client.transact(vswitchDb, operations);
}

/** Runs selects in one read-only transaction and decodes their rows, typed per table. */
export async function selectRows<T extends keyof VswitchTables & string>(
  db: VswitchDb,
  table: T,
  select: Operation,
): Promise<VswitchTables[T][]> {
  const [result] = await transact(db, [select]);
  return decodeSelectRows(db.ops.schema, table, result!.rows ?? []) as unknown as VswitchTables[T][];
}

/**
 * Runs read-then-write: `attempt` reads, then returns the write operations, which carry `wait` guards on
 * what was read, and how to turn their results into the answer. If a guard fails (someone changed the rows
 * in between), OVSDB aborts the whole transaction and we read again.
 */
export async function guardedWrite<R>(
  db: VswitchDb,
  attempt: () => Promise<{ operations: readonly Operation[]; finish: (results: JsonObject[]) => R }>,
  attempts = 5,
): Promise<R> {
  for (let i = 1; ; i++) {
    const { operations, finish } = await attempt();
    if (operations.length === 0) return finish([]);
    try {
      return finish(await transact(db, operations));
    } catch (error) {
      const raced = error instanceof OvsdbTransactionError && error.error === "timed out";
      if (!raced || i >= attempts) throw error;
    }
  }
}

/** The uuid an insert result carries (RFC 7047 §5.2.1). */
export function insertedUuid(result: JsonObject | undefined): string {
  const uuid = result?.uuid;
  return Array.isArray(uuid) && typeof uuid[1] === "string" ? uuid[1] : "";
}

/** Mutations that set `entries` in a map column without touching its other keys (RFC 7047 §5.1: "insert"
 * never replaces an existing key, so the keys are deleted first in the same operation). */
export function mapSetMutations<C extends string>(
  column: C,
  current: Record<string, string>,
  entries: Record<string, string>,
) {
  const changed = Object.entries(entries).filter(([k, v]) => current[k] !== v);
  if (changed.length === 0) return [];
  return [
    [column, "delete", changed.map(([k]) => k)],
    [column, "insert", Object.fromEntries(changed)],
  ] as const;
}
