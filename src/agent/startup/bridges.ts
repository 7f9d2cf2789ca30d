/**
 * Start-up steps 3 and 4: bridges (physical first), then patch ports — created if missing, converged if
 * not, never re-created — and an OpenFlow session with the flows and meters of each bridge.
 */
import { describeError } from "../../base/index.ts";
import { BridgeFlows, BridgeMeters, OpenFlowConnection } from "../../openflow/index.ts";
import type { AgentParts, ManagedBridge } from "../agent.ts";
import {
  type AgentBridge,
  type BridgeSetup,
  patchPairs,
  setupBridge,
  setupPatchPorts,
} from "../host/bridges.ts";
import type { Observer } from "../observe.ts";
import { callFeatures } from "../pipeline/hooks.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";

/** Physical bridges, then the tunnel bridge, then br-int: a network's way out exists before its way in. */
export function inApplyOrder(bridges: Iterable<ManagedBridge>): ManagedBridge[] {
  const rank = { physical: 0, tunnel: 1, integration: 2 } as const;
  return [...bridges].sort((a, b) => rank[a.spec.role] - rank[b.spec.role]);
}

export async function setUpBridges(
  parts: AgentParts,
  bridges: readonly AgentBridge[],
): Promise<{ setups: BridgeSetup[]; disruptions: string[]; patchPortsCreated: string[] }> {
  const { config, log, metrics } = parts;
  const setups: BridgeSetup[] = [];
  const disruptions: string[] = [];
  for (const bridge of bridges) {
    const setup = await setupBridge(parts.db, config, bridge);
    setups.push(setup);
    for (const warning of setup.warnings) log.warn({ bridge: bridge.name }, warning);
    if (setup.created) log.info({ bridge: bridge.name, role: bridge.role }, "bridge created");
    if (setup.failModeWas !== undefined) {
      const message = `fail_mode of ${bridge.name} was ${setup.failModeWas ?? "unset"}; set to secure, which made OVS clear the bridge's flows`;
      log.warn({ bridge: bridge.name, was: setup.failModeWas }, message);
      disruptions.push(message);
      metrics.disruptions.inc({ bridge: bridge.name, cause: "fail_mode" });
    }
  }
  const patchPortsCreated: string[] = [];
  for (const pair of patchPairs(config))
    patchPortsCreated.push(...(await setupPatchPorts(parts.db, config, pair)));
  if (patchPortsCreated.length > 0) log.info({ ports: patchPortsCreated }, "patch ports created");
  return { setups, disruptions, patchPortsCreated };
}

const SLOW_SWITCH_MS = 30_000;

/** An OpenFlow session and the flows of each bridge, watched for others' changes and switch restarts. */
export async function openBridges(
  parts: AgentParts,
  uses: { readonly pipeline: Pipeline; readonly observer: Observer },
  bridges: readonly AgentBridge[],
  previous: ReadonlyMap<string, number | undefined>,
): Promise<void> {
  const { config, log } = parts;
  const { pipeline, observer } = uses;
  for (const spec of bridges) {
    // A switch holding thousands of ports can take longer than a few seconds to answer hello and
    // features (it reconfigures every port in its main loop): each attempt gets SLOW_SWITCH_MS, and the
    // agent waits as long as it takes — its flows keep forwarding meanwhile — warning while it does.
    const connection = new OpenFlowConnection({
      endpoint: `unix:${config.ovsRundir}/${spec.name}.mgmt`,
      connectTimeoutMs: SLOW_SWITCH_MS,
    });
    parts.cleanups.push(() => connection.close());
    const since = Date.now();
    const warning = setInterval(() => {
      const status = connection.status;
      log.warn(
        {
          bridge: spec.name,
          waitedS: Math.round((Date.now() - since) / 1000),
          ...(status.state === "disconnected" ? { error: status.error.message } : {}),
        },
        "no OpenFlow session with the bridge yet; still trying",
      );
    }, SLOW_SWITCH_MS);
    try {
      await connection.start(Number.POSITIVE_INFINITY);
    } finally {
      clearInterval(warning);
    }
    const meters = new BridgeMeters();
    const flows = new BridgeFlows({
      connection,
      generation: parts.generation,
      // A restarted switch lost its meters with its flows; they go back first (flows need them).
      beforeReconcile: async () => {
        const ranges = pipeline.meterRanges();
        if (ranges.length > 0) await meters.reconcile(connection, { ranges, prune: false });
      },
      onDisturbance: (d) => {
        observer.disturbed(spec.name, d);
        if (d.kind === "switch-restarted")
          callFeatures(pipeline.features, log, (f) => f.onSwitchRestarted?.(spec.name));
      },
      onRepairFailed: (error) =>
        log.warn({ bridge: spec.name, error: describeError(error) }, "flow repair failed; retrying"),
    });
    await flows.watch();
    const managed: ManagedBridge = { spec, connection, flows, meters, previous: previous.get(spec.name) };
    parts.bridges.set(spec.name, managed);
    observer.watchConnection(spec.name, connection, () => parts.stopped);
  }
  const byEndpoint = new Map([...parts.bridges].map(([name, b]) => [b.connection.endpoint, name]));
  observer.watchReconciles((endpoint) => byEndpoint.get(endpoint));
}

/** drop_flows_on_start: every flow of every bridge goes (Neutron's option; a disruption, reported). */
export async function dropFlows(parts: AgentParts, disruptions: string[]): Promise<void> {
  for (const [name, bridge] of parts.bridges) {
    await bridge.connection.deleteByCookie(0n, 0n);
    const message = `drop_flows_on_start: deleted every flow of ${name} (traffic stops until the flows are back)`;
    parts.log.warn({ bridge: name }, message);
    disruptions.push(message);
    parts.metrics.disruptions.inc({ bridge: name, cause: "drop_flows_on_start" });
  }
}
