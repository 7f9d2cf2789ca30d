/**
 * What the agent tells about itself: the start-up report (what it found, what it changed, how long it
 * took) and the gauges of /metrics.
 */
import type { AgentParts } from "../agent.ts";
import type { FlowReport } from "../generations.ts";
import type { BridgeSetup } from "../host/bridges.ts";

/** How each feature of the pipeline stands after start-up. */
export interface FeatureReport {
  readonly ownerClass: string;
  readonly extension: boolean;
  readonly status: "ok" | "failed";
  readonly error?: string;
}

/** The start-up report: what the agent found, what it changed, and how long it took. */
export interface StartupReport {
  readonly host: string;
  readonly generation: number;
  readonly previousGenerations: Record<string, number | null>;
  readonly bridges: readonly BridgeSetup[];
  readonly patchPortsCreated: readonly string[];
  /** Things this start did that cleared a flow table (fail_mode changes, drop_flows_on_start). */
  readonly disruptions: readonly string[];
  readonly portsRestored: number;
  readonly localVlansRestored: number;
  readonly server: "synced" | "unreachable";
  /** Per bridge: the generation swap (server synced) or the additive install (server away). */
  readonly flows: Record<string, FlowReport>;
  readonly ports: Record<string, number>;
  /** The pipeline's features (core and extensions) and whether each works. */
  readonly features: Record<string, FeatureReport>;
  readonly convergeMs: number;
  /** The same, counted from the process's start (module loading included). */
  readonly sinceProcessStartMs: number;
  /** When each start-up step ended, in ms since start() (where the time goes, for operators). */
  readonly stepsMs: Record<string, number>;
}

/** The metrics' gauges read the running agent; /metrics listens if configured. */
export async function attachMetrics(parts: AgentParts): Promise<void> {
  const { config, metrics, log } = parts;
  metrics.attach({
    portsByState: () => portsByState(parts),
    flowsByFeature: () => flowsByFeature(parts),
    features: () =>
      Object.fromEntries(
        (parts.pipeline?.features ?? []).map((f) => [
          f.feature.name,
          parts.converger?.failedFeatures.has(f.feature.name) ?? false,
        ]),
      ),
    serverOnline: () => parts.session?.online ?? false,
    generation: () => parts.generation,
    localVlans: () => parts.vlans.size,
    meterDrops: () => meterDrops(parts),
  });
  if (config.metricsListen !== undefined) {
    parts.metricsServer = await metrics.listen(config.metricsListen);
    log.info({ listen: config.metricsListen }, "metrics at /metrics");
  }
}

/** Band counts of br-int's meters, summed per feature whose meter ids they are. */
async function meterDrops(parts: AgentParts): Promise<Record<string, number>> {
  const bridge = parts.bridges.get(parts.config.integrationBridge);
  const features = (parts.pipeline?.features ?? []).filter((f) => f.feature.meterIds !== undefined);
  if (bridge === undefined || features.length === 0) return {};
  const out: Record<string, number> = Object.fromEntries(features.map((f) => [f.feature.name, 0]));
  for (const stats of await bridge.connection.meterStats()) {
    const owner = features.find(
      (f) => stats.id >= f.feature.meterIds!.min && stats.id <= f.feature.meterIds!.max,
    );
    if (owner === undefined) continue;
    out[owner.feature.name]! += Number(stats.bandPackets.reduce((a, b) => a + b, 0n));
  }
  return out;
}

export function portsByState(parts: AgentParts): Record<string, number> {
  const counts: Record<string, number> = { wired: 0, kept: 0, dead: 0 };
  for (const v of parts.converger?.vifs.values() ?? []) counts[v.state] = (counts[v.state] ?? 0) + 1;
  return counts;
}

function flowsByFeature(parts: AgentParts): Record<string, Record<string, number>> {
  const result: Record<string, Record<string, number>> = {};
  for (const [name, bridge] of parts.bridges) {
    const counts: Record<string, number> = {};
    for (const [, , owner] of bridge.flows.desired.entries()) {
      const feature = parts.pipeline?.featureOfClass(owner.ownerClass)?.feature.name ?? "other";
      counts[feature] = (counts[feature] ?? 0) + 1;
    }
    result[name] = counts;
  }
  return result;
}

export function featureReport(parts: AgentParts): Record<string, FeatureReport> {
  const failed = parts.converger?.failedFeatures ?? new Map<string, string>();
  return Object.fromEntries(
    (parts.pipeline?.features ?? []).map((f) => {
      const error = failed.get(f.feature.name);
      return [
        f.feature.name,
        {
          ownerClass: `0x${f.ownerClass.toString(16).padStart(2, "0")}`,
          extension: f.extension,
          status: error === undefined ? "ok" : "failed",
          ...(error === undefined ? {} : { error }),
        },
      ];
    }),
  );
}
