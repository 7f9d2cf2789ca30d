import type { BridgeRow, Operation } from "../ovsdb/index.ts";
import { OvsNotFoundError } from "./errors.ts";
import {
  guardedWrite,
  insertedUuid,
  mapSetMutations,
  selectRows,
  transact,
  type VswitchDb,
} from "./vswitch-db.ts";

export interface BridgeSpec {
  readonly name: string;
  readonly datapathType?: string;
  readonly failMode?: "secure" | "standalone";
  readonly protocols?: BridgeRow["protocols"];
  /** Keys to set; other keys already there are left alone. */
  readonly otherConfig?: Readonly<Record<string, string>>;
  readonly externalIds?: Readonly<Record<string, string>>;
}

export interface BridgeResult {
  readonly uuid: string;
  readonly created: boolean;
  /** Columns that an existing bridge had different and that were changed (e.g. "fail_mode"). */
  readonly changed: readonly string[];
  /** fail_mode before this call; null if unset, undefined if the bridge was created. */
  readonly previousFailMode?: string | null;
}

/**
 * Creates the bridge if missing — with every given column set in the same transaction that creates it, so
 * that no instant exists where vswitchd sees it half-configured — or converges an existing one, changing
 * only the columns and map keys that differ. Nothing is ever re-created.
 *
 * Callers must know that changing `fail_mode` on a bridge without a controller makes ovs-vswitchd clear
 * its flow table (vswitch.xml, Bridge fail_mode); the result reports it in `changed`.
 */
export function ensureBridge(db: VswitchDb, spec: BridgeSpec): Promise<BridgeResult> {
  const { ops } = db;
  return guardedWrite<BridgeResult>(db, async () => {
    const [current] = await selectRows(db, "Bridge", ops.select("Bridge", [["name", "==", spec.name]]));
    if (current === undefined) {
      const operations = createBridgeOperations(db, spec);
      const insertIndex = operations.findIndex((op) => op.op === "insert" && op.table === "Bridge");
      return {
        operations,
        finish: (results) => ({ uuid: insertedUuid(results[insertIndex]), created: true, changed: [] }),
      };
    }
    const update: Record<string, unknown> = {};
    if (spec.datapathType !== undefined && current.datapath_type !== spec.datapathType) {
      update.datapath_type = spec.datapathType;
    }
    if (spec.failMode !== undefined && current.fail_mode !== spec.failMode) update.fail_mode = spec.failMode;
    if (spec.protocols !== undefined && !sameSet(current.protocols, spec.protocols))
      update.protocols = spec.protocols;
    const mutations = [
      ...mapSetMutations("other_config", current.other_config, { ...spec.otherConfig }),
      ...mapSetMutations("external_ids", current.external_ids, { ...spec.externalIds }),
    ];
    const changed = [...Object.keys(update), ...new Set(mutations.map(([column]) => column))];
    const where = [["_uuid", "==", current._uuid]] as const;
    const operations: Operation[] = [];
    if (changed.length > 0) {
      // Guard: the columns we compared are still what we read.
      operations.push(
        ops.wait("Bridge", where, {
          columns: ["datapath_type", "fail_mode", "protocols"],
          until: "==",
          rows: [
            {
              datapath_type: current.datapath_type,
              fail_mode: current.fail_mode,
              protocols: current.protocols,
            },
          ],
        }),
      );
      if (Object.keys(update).length > 0) operations.push(ops.update("Bridge", where, update));
      if (mutations.length > 0) operations.push(ops.mutate("Bridge", where, mutations));
    }
    return {
      operations,
      finish: () => ({ uuid: current._uuid, created: false, changed, previousFailMode: current.fail_mode }),
    };
  });
}

function createBridgeOperations(db: VswitchDb, spec: BridgeSpec): Operation[] {
  const { ops } = db;
  return [
    ops.wait("Bridge", [["name", "==", spec.name]], { columns: ["name"], until: "==", rows: [] }),
    // Every bridge has a local internal port of its own name, as ovs-vsctl add-br creates.
    ops.insert("Interface", { name: spec.name, type: "internal" }, "local_iface"),
    ops.insert("Port", { name: spec.name, interfaces: ["local_iface"] }, "local_port"),
    ops.insert(
      "Bridge",
      {
        name: spec.name,
        ports: ["local_port"],
        ...(spec.datapathType === undefined ? {} : { datapath_type: spec.datapathType }),
        ...(spec.failMode === undefined ? {} : { fail_mode: spec.failMode }),
        ...(spec.protocols === undefined ? {} : { protocols: [...spec.protocols] }),
        other_config: { ...spec.otherConfig },
        external_ids: { ...spec.externalIds },
      },
      "new_bridge",
    ),
    // An empty Open_vSwitch table (database never initialised) makes this wait fail instead of the new
    // bridge being garbage-collected silently.
    ops.wait("Open_vSwitch", [], { columns: [], until: "!=", rows: [] }),
    ops.mutate("Open_vSwitch", [], [["bridges", "insert", ["new_bridge"]]]),
  ];
}

/** Deletes the bridge (and with it its ports); false if it did not exist. */
export async function deleteBridge(db: VswitchDb, name: string): Promise<boolean> {
  const { ops } = db;
  const [current] = await selectRows(db, "Bridge", ops.select("Bridge", [["name", "==", name]], ["_uuid"]));
  if (current === undefined) return false;
  await transact(db, [ops.mutate("Open_vSwitch", [], [["bridges", "delete", [current._uuid]]])]);
  return true;
}

export async function bridgeExists(db: VswitchDb, name: string): Promise<boolean> {
  const rows = await selectRows(db, "Bridge", db.ops.select("Bridge", [["name", "==", name]], ["_uuid"]));
  return rows.length > 0;
}

/** Throws OvsNotFoundError unless the bridge exists. */
export async function requireBridge(db: VswitchDb, name: string): Promise<void> {
  if (!(await bridgeExists(db, name))) throw new OvsNotFoundError("Bridge", name);
}

function sameSet<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
