/**
 * Start-up, in an order that never disturbs a data plane that is forwarding (each step in startup/):
 *   1. OVSDB: connect, take the agent lock (one agent per host), check what must exist (mapped bridges);
 *      read each bridge's last completed flow generation (this run's is the next one). (open-switch.ts)
 *   2. The pipeline: the core features and the extensions, with their cookie classes (extensions keep
 *      theirs across restarts), checked as a whole — a contradiction stops here, having changed nothing.
 *      (features.ts)
 *   3. Bridges (physical first), then patch ports: created if missing, converged if not, never re-created.
 *   4. Replicate OVSDB; open an OpenFlow session per bridge; watch for others' changes and restarts.
 *      (bridges.ts) Features that answer packets (DHCP) get br-int's punted packets on a session of
 *      their own from here on: they answer from what the flows carry, the previous run's included, so
 *      a restart pauses them only until this step. (punts.ts)
 *   5. Restore local VLANs from Port.other_config and tunnel flood lists from tunnel ports. (restore.ts)
 *   6. Physical bridges get their flows at once, additively (a host must not lock itself out while its
 *      server is unreachable; Neutron bug 1840443).
 *   7. Server: register and sync — asked at step 2 already, it answers while the switch is set up. If it
 *      answers: compute every flow, and swap generations. If not: install what OVSDB alone tells, delete
 *      nothing, and swap once the server is back. (session.ts, swap.ts)
 */
import { OvsdbCache, type VswitchTables, vswitchDb } from "../ovsdb/index.ts";
import { type AgentParts, built } from "./agent.ts";
import { writeClassRecord } from "./extensions/classes.ts";
import { agentBridges } from "./host/bridges.ts";
import { OvsView, replicaSpec } from "./host/ovs-view.ts";
import { Observer } from "./observe.ts";
import type { Feature } from "./pipeline/feature.ts";
import { dropFlows, openBridges, setUpBridges } from "./startup/bridges.ts";
import { makeConverger, makeStatusReports } from "./startup/converger.ts";
import { buildPipeline } from "./startup/features.ts";
import { openPunts } from "./startup/punts.ts";
import { attachMetrics, featureReport, portsByState, type StartupReport } from "./startup/report.ts";
import { restore } from "./startup/restore.ts";
import { makeSession } from "./startup/session.ts";
import { installWithoutServer, swapAll } from "./startup/swap.ts";

export { AGENT_LOCK, openSwitch } from "./startup/open-switch.ts";
export type { FeatureReport, StartupReport } from "./startup/report.ts";

export async function runStartup(
  parts: AgentParts,
  options: {
    extensions: readonly Feature[];
    previous: ReadonlyMap<string, number | undefined>;
    started: number;
  },
): Promise<StartupReport> {
  const { config, log, metrics } = parts;
  const stepsMs: Record<string, number> = { ovsdb: Math.round(performance.now() - options.started) };
  const step = (name: string) => {
    stepsMs[name] = Math.round(performance.now() - options.started);
  };
  const { pipeline, classRecord } = await buildPipeline(parts.db, config, options.extensions);
  const observer = new Observer(log, metrics, pipeline);
  parts.pipeline = pipeline;
  parts.observer = observer;
  step("pipeline");

  // The server is asked now, and answers while the switch is being set up: start-up waits for it only
  // after the physical bridges have their flows, and never needs it to forward.
  const session = makeSession(parts);
  parts.session = session;
  const syncStarted = performance.now();
  const first = session.first();

  const bridges = agentBridges(config);
  const { setups, disruptions, patchPortsCreated } = await setUpBridges(parts, bridges);
  await writeClassRecord(parts.db, classRecord);
  step("bridges");

  const cache = await OvsdbCache.start<VswitchTables>(
    parts.client,
    vswitchDb,
    replicaSpec(pipeline.features.flatMap((f) => (f.feature.replica ? [f.feature.replica] : []))),
  );
  const view = new OvsView(cache);
  parts.view = view;
  observer.watchOvsdb(parts.client);
  step("replica");

  await openBridges(parts, { pipeline, observer }, bridges, options.previous);
  step("openflow");
  if (await openPunts(parts, pipeline)) step("punts");

  if (config.dropFlowsOnStart) await dropFlows(parts, disruptions);
  const restored = restore(parts, view);
  log.info(
    { ports: restored.ports, localVlans: restored.vlans, tunnels: restored.tunnels },
    "state restored from OVSDB",
  );

  const status = makeStatusReports(parts);
  parts.status = status;
  const converger = makeConverger(parts, { pipeline, view, status }, bridges);
  parts.converger = converger;
  parts.cleanups.push(cache.subscribe((events) => converger.onOvsdbEvents(events)));
  await attachMetrics(parts);
  // Every flow the server's snapshot (if it came already) or OVSDB alone tells; nothing is sent yet.
  const passSynced = parts.control.synced;
  await converger.passNow();
  step("restore");

  for (const bridge of parts.bridges.values())
    if (bridge.spec.role === "physical") await bridge.flows.installAdditive(bridge.previous);

  const online = await first;
  step("server");
  const flows = online ? await swapAll(built(parts), !passSynced) : await installWithoutServer(parts);
  if (online) metrics.resyncSeconds.observe({ kind: "start" }, (performance.now() - syncStarted) / 1000);
  step("flows");
  parts.running = true;
  session.run();
  // What changed meanwhile, and the marks and status reports that waited for the swap, follow at once.
  await converger.idle();
  step("settled");

  const report: StartupReport = {
    host: config.host,
    generation: parts.generation,
    previousGenerations: Object.fromEntries([...parts.bridges].map(([n, b]) => [n, b.previous ?? null])),
    bridges: setups,
    patchPortsCreated,
    disruptions,
    portsRestored: restored.ports,
    localVlansRestored: restored.vlans,
    server: online ? "synced" : "unreachable",
    flows,
    ports: portsByState(parts),
    features: featureReport(parts),
    convergeMs: Math.round(performance.now() - options.started),
    sinceProcessStartMs: Math.round(performance.now()),
    stepsMs,
  };
  log.info(
    { report },
    online
      ? "start-up report: converged"
      : "start-up report: forwarding on restored state; server unreachable",
  );
  return report;
}
