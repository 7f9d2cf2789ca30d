/** The bridges' flows and meters as the converger uses them (BridgeFlows, BridgeMeters with a connection). */
import type { BridgeFlows, FlowOwner, Meter, MeterDelta } from "../../openflow/index.ts";

export type FlowSink = Pick<BridgeFlows, "apply" | "inSync" | "onInSync"> & {
  readonly desired: Pick<BridgeFlows["desired"], "has" | "owners">;
};

export interface MeterSink {
  metersOf(owner: FlowOwner): readonly Meter[];
  /**
   * Records an owner's meters and returns what to send: upserts before the flows that use them, deletes
   * after the flows that used them. Throws MeterConflictError (recording nothing) for another's id.
   */
  replace(owner: FlowOwner, meters: readonly Meter[]): MeterDelta;
  upsert(delta: MeterDelta): Promise<void>;
  delete(delta: MeterDelta): Promise<void>;
}
