/**
 * The restart swap: once the agent knows every flow it wants (a full sync with its server), this run's
 * generation replaces the previous one — one atomic bundle per bridge, in apply order, each re-adding
 * every desired flow in place with the new cookies and deleting the previous generation's leftovers —
 * and only then is the generation recorded on the bridge, so a crash before that is repaired by the next
 * start. Features that could not compute their flows this run keep theirs: their flows on the switch are
 * adopted (re-stamped, not deleted) before the swap.
 */
import type { Log } from "../base/index.ts";
import type { BridgeFlows, SwapResult } from "../openflow/index.ts";
import { persistGeneration, type VswitchDb } from "../ovs/index.ts";
import type { LoadedFeature } from "./pipeline/pipeline.ts";

export interface FlowReport {
  readonly replaced: number;
  readonly verified: boolean;
  readonly fellBack: boolean;
  readonly added?: number;
  readonly modified?: number;
  readonly deleted?: number;
  /** Flows of failed features kept as they were. */
  readonly adopted?: number;
  readonly ms: number;
}

export interface SwappedBridge {
  readonly name: string;
  readonly flows: BridgeFlows;
  readonly previous: number | undefined;
}

export async function swapGenerations(
  db: VswitchDb,
  bridges: readonly SwappedBridge[],
  generation: number,
  failed: readonly LoadedFeature[],
  log: Log,
): Promise<Record<string, FlowReport>> {
  const reports: Record<string, FlowReport> = {};
  for (const bridge of bridges) {
    let adopted = 0;
    for (const f of failed) {
      // The adopted owner is the feature's own ("adopted" key), so a later successful full pass that
      // plans everything anew sweeps it in the same bundle that installs the fresh flows.
      adopted += await bridge.flows.adopt(f.ownerClass, { ownerClass: f.ownerClass, key: "adopted" });
    }
    const r = await bridge.flows.swapGeneration(bridge.previous);
    await persistGeneration(db, bridge.name, generation);
    reports[bridge.name] = report(r, adopted);
    if (r.fellBack && bridge.previous !== undefined)
      log.info(
        { bridge: bridge.name, repaired: r.repaired },
        "generation swap reconciled by dump (leftovers of another run)",
      );
  }
  return reports;
}

function report(r: SwapResult, adopted: number): FlowReport {
  return {
    replaced: r.replaced,
    verified: r.verified,
    fellBack: r.fellBack,
    ...(r.repaired
      ? { added: r.repaired.added, modified: r.repaired.modified, deleted: r.repaired.deleted }
      : {}),
    ...(adopted > 0 ? { adopted } : {}),
    ms: Math.round(r.durationMs),
  };
}
