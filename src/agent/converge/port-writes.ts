/**
 * The OVSDB writes of a pass, as values: what to send (each group in one transaction, by the converger)
 * and what each VIF's rows will look like afterwards (so that the echo is recognised).
 *   - ports: Port.tag and other_config of every VIF that changes, and the features' OVSDB wishes (QoS);
 *   - marks: weir-installed on VIFs whose wiring is confirmed, removed from VIFs that went dead.
 */
import { WeirKeys } from "../../ovs/index.ts";
import type { Operation, OperationBuilder, VswitchTables } from "../../ovsdb/index.ts";
import type { OvsView } from "../host/ovs-view.ts";
import type { VifDecision } from "../ports/decisions.ts";
import { DEAD_VLAN, type LocalVlans, segmentToOtherConfig } from "../ports/local-vlans.ts";
import { vifRows } from "./contexts.ts";
import type { Decided } from "./decide.ts";
import type { PlanResult } from "./planner.ts";
import { markOperation, portOperations, unmarkOperation } from "./port-ops.ts";
import type { VifRecord } from "./vif-records.ts";

export interface WriteSources {
  readonly integrationBridge: string;
  readonly view: OvsView;
  readonly vlans: LocalVlans;
  readonly ops: OperationBuilder<VswitchTables>;
}

/** A VIF's rows after the write: tag and other_config as decided, the mark as given. */
export interface Expectation {
  readonly d: Decided;
  readonly decision: VifDecision;
  readonly installed: boolean;
}

export interface Writes {
  readonly operations: Operation[];
  readonly expectations: Expectation[];
}

/** Tags, other_config and OVSDB wishes; `tagged`: VIFs whose Port.tag this writes. */
export function portWrites(
  sources: WriteSources,
  decided: ReadonlyMap<string, Decided>,
  decisions: ReadonlyMap<string, VifDecision>,
  plan: PlanResult,
): Writes & { readonly tagged: Set<string> } {
  const { ops, vlans, view, integrationBridge } = sources;
  const operations: Operation[] = [];
  const expectations: Expectation[] = [];
  const tagged = new Set<string>();
  for (const d of decided.values()) {
    const decision = decisions.get(d.iface)!;
    if (decision.kind !== "keep") {
      const want =
        decision.kind === "wire"
          ? {
              portUuid: d.portUuid,
              tag: vlans.get(decision.networkId)!.lvid,
              record: segmentToOtherConfig(decision.networkId, decision.segment),
            }
          : { portUuid: d.portUuid, tag: DEAD_VLAN, record: {} };
      const mine = portOperations(ops, want, { tag: d.view.tag, otherConfig: d.view.portOtherConfig });
      if (mine.some((op) => op.op === "update")) tagged.add(d.iface);
      operations.push(...mine);
    }
    expectations.push({ d, decision, installed: d.view.externalIds[WeirKeys.installed] !== undefined });
    const wishes = plan.ovsdb.get(d.iface);
    const entry = view.port(integrationBridge, d.iface);
    if (wishes === undefined || entry?.iface === undefined) continue;
    const rows = vifRows(view, entry.port, entry.iface);
    for (const wish of wishes.values()) operations.push(...wish(rows, ops));
  }
  return { operations, expectations, tagged };
}

/** weir-installed marks, once every bridge's flows are confirmed; `marked`: VIFs marked (now or before). */
export function markWrites(
  sources: WriteSources,
  decided: ReadonlyMap<string, Decided>,
  decisions: ReadonlyMap<string, VifDecision>,
  tagged: ReadonlySet<string>,
  records: ReadonlyMap<string, VifRecord>,
): Writes & { readonly marked: Set<string> } {
  const { ops, vlans } = sources;
  const operations: Operation[] = [];
  const expectations: Expectation[] = [];
  const marked = new Set<string>();
  const stamp = new Date().toISOString();
  for (const d of decided.values()) {
    const decision = decisions.get(d.iface)!;
    const installed = d.view.externalIds[WeirKeys.installed] !== undefined;
    if (decision.kind === "wire") {
      const lvid = vlans.get(decision.networkId)!.lvid;
      const known = records.get(d.iface);
      const record = known?.portUuid === d.portUuid ? known : undefined;
      // A mark already in OVSDB on a port this pass did not re-tag still tells the truth: the same
      // wiring, now confirmed in this generation. Rewriting thousands of them at each restart would
      // only make OVS churn (and once cost 2 s at 5,000 ports).
      const already =
        record?.markedLvid === lvid || (installed && d.view.tag === lvid && !tagged.has(d.iface));
      marked.add(d.iface);
      if (!already) operations.push(markOperation(ops, d.view.uuid, stamp));
      expectations.push({ d, decision, installed: true });
    } else if (decision.kind === "dead" && installed) {
      operations.push(unmarkOperation(ops, d.view.uuid));
      expectations.push({ d, decision, installed: false });
    }
  }
  return { operations, expectations, marked };
}
