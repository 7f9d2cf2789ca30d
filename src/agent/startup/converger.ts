/**
 * The converger of this run, wired to the parts start-up made: the bridges' flows and meters in apply
 * order, the repairs it may make (logged and counted here), the server link, the metrics.
 */
import { ownerId } from "../../openflow/index.ts";
import type { AgentParts, ManagedBridge } from "../agent.ts";
import { StatusReports } from "../control/status-reports.ts";
import { Converger, type MeterSink } from "../converge/converger.ts";
import { type AgentBridge, repairBridges } from "../host/bridges.ts";
import type { OvsView } from "../host/ovs-view.ts";
import { deleteTunnelPort, ensureTunnelPort } from "../host/tunnel-ports.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { inApplyOrder } from "./bridges.ts";

export function makeConverger(
  parts: AgentParts,
  uses: { readonly pipeline: Pipeline; readonly view: OvsView; readonly status: StatusReports },
  bridges: readonly AgentBridge[],
): Converger {
  const { config, log, metrics } = parts;
  const ordered = inApplyOrder(parts.bridges.values());
  return new Converger({
    config,
    pipeline: uses.pipeline,
    log,
    db: parts.db,
    view: uses.view,
    switch: {
      flows: new Map(ordered.map((b) => [b.spec.name, b.flows])),
      meters: new Map(ordered.map((b) => [b.spec.name, meterSink(b)])),
      repairBridges: () => repair(parts, uses.view, bridges),
      ensureTunnelPort: (want) => ensureTunnelPort(parts.db, config, want),
      deleteTunnelPort: async (name) => void (await deleteTunnelPort(parts.db, config, name)),
    },
    vlans: parts.vlans,
    control: parts.control,
    server: {
      deviceDetails: (ids) => parts.server.deviceDetails(ids),
      status: uses.status,
      isOnline: () => parts.session?.online ?? false,
    },
    isSwapped: () => parts.swapped,
    listeners: {
      onFeatureError: (feature) => metrics.featureErrors.inc({ feature }),
      onPass: (result) => metrics.passes.inc({ result }),
    },
  });
}

/** Status reports to the server, sent while it is reachable. */
export function makeStatusReports(parts: AgentParts): StatusReports {
  return new StatusReports(parts.server, parts.log, () => parts.session?.online ?? false);
}

/** Bridges and patch ports put back; what was wrong is logged and counted. */
async function repair(parts: AgentParts, view: OvsView, bridges: readonly AgentBridge[]): Promise<boolean> {
  const { config, log, metrics } = parts;
  const repairs = await repairBridges(parts.db, config, view, bridges);
  for (const r of repairs) {
    if (r.kind === "bridge-deleted")
      log.error({ bridge: r.bridge }, "bridge disappeared from OVSDB; re-created it");
    else if (r.kind === "fail-mode") {
      log.warn(
        { bridge: r.bridge, failMode: r.failMode },
        `fail_mode of ${r.bridge} was changed to ${r.failMode ?? "unset"} outside the agent; set back to secure (OVS clears the flows; the agent re-installs them)`,
      );
      metrics.disruptions.inc({ bridge: r.bridge, cause: "fail_mode" });
    } else log.warn({ ports: r.ports }, "patch ports were missing; re-created");
    metrics.repairs.inc({ bridge: r.bridge, kind: r.kind });
  }
  return repairs.length > 0;
}

/** A bridge's meters as the converger uses them. */
function meterSink(bridge: ManagedBridge): MeterSink {
  return {
    metersOf: (owner) => bridge.meters.metersOf(ownerId(owner)),
    replace: (owner, meters) => bridge.meters.replace(ownerId(owner), meters),
    upsert: (delta) => bridge.meters.applyUpserts(bridge.connection, delta),
    delete: (delta) => bridge.meters.applyDeletes(bridge.connection, delta),
  };
}
