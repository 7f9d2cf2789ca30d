/**
 * The OVSDB writes of a pass, as operation builders (sent by the converger, each group in one
 * transaction): a VIF's Port.tag and the network keys of its other_config, and its weir-installed mark.
 * Pure: they compare what is wanted with the rows as they are and return nothing when they agree.
 */

import { WeirKeys } from "../../ovs/index.ts";
import type { Operation, OperationBuilder, VswitchTables } from "../../ovsdb/index.ts";
import { portNetworkKeys } from "../ports/local-vlans.ts";

type Ops = OperationBuilder<VswitchTables>;

export interface PortWant {
  readonly portUuid: string;
  readonly tag: number;
  /** The network keys the port's other_config must hold ({} for a dead port: none of them). */
  readonly record: Readonly<Record<string, string>>;
}

export interface PortHave {
  readonly tag: number | null;
  readonly otherConfig: Readonly<Record<string, string>>;
}

/** Port.tag and other_config for one VIF; [] when they are as wanted. */
export function portOperations(ops: Ops, want: PortWant, have: PortHave): Operation[] {
  const operations: Operation[] = [];
  const where = [["_uuid", "==", want.portUuid]] as const;
  if (have.tag !== want.tag) operations.push(ops.update("Port", where, { tag: want.tag }));
  const stale = portNetworkKeys.filter(
    (k) => have.otherConfig[k] !== undefined && want.record[k] === undefined,
  );
  const changed = Object.entries(want.record).filter(([k, v]) => have.otherConfig[k] !== v);
  if (stale.length + changed.length > 0) {
    operations.push(
      ops.mutate("Port", where, [
        ["other_config", "delete", [...stale, ...changed.map(([k]) => k)]],
        ...(changed.length > 0 ? [["other_config", "insert", Object.fromEntries(changed)] as const] : []),
      ]),
    );
  }
  return operations;
}

/** Sets weir-installed (the time the VIF's wiring was confirmed) on its Interface. */
export function markOperation(ops: Ops, ifaceUuid: string, stamp: string): Operation {
  return ops.mutate(
    "Interface",
    [["_uuid", "==", ifaceUuid]],
    [
      ["external_ids", "delete", [WeirKeys.installed]],
      ["external_ids", "insert", { [WeirKeys.installed]: stamp }],
    ],
  );
}

/** Removes weir-installed from a VIF that no longer forwards. */
export function unmarkOperation(ops: Ops, ifaceUuid: string): Operation {
  return ops.mutate(
    "Interface",
    [["_uuid", "==", ifaceUuid]],
    [["external_ids", "delete", [WeirKeys.installed]]],
  );
}
