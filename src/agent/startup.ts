/**
 * Start-up, in an order that never disturbs a data plane that is forwarding:
 *   1. OVSDB: connect, take the agent lock (one agent per host), check what must exist (mapped bridges);
 *      read each bridge's last completed flow generation (this run's is the next one).
 *   2. The pipeline: the core features and the extensions, with their cookie classes (extensions keep
 *      theirs across restarts), checked as a whole — a contradiction stops here, having changed nothing.
 *   3. Bridges (physical first), then patch ports: created if missing, converged if not, never re-created.
 *   4. Replicate OVSDB; open an OpenFlow session per bridge; watch for others' changes and restarts.
 *   5. Restore local VLANs from Port.other_config and tunnel flood lists from tunnel ports.
 *   6. Physical bridges get their flows at once, additively (a host must not lock itself out while its
 *      server is unreachable; Neutron bug 1840443).
 *   7. Server: register and sync. If it answers: compute every flow, and swap generations (generations.ts).
 *      If not: install what OVSDB alone tells, delete nothing, and swap once the server is back.
 */
import { describeError, type Log, WeirError } from "../base/index.ts";
import { BridgeFlows, BridgeMeters, nextGeneration, OpenFlowConnection, ownerId } from "../openflow/index.ts";
import { bridgeExists, openVswitchDb, readGeneration, type VswitchDb } from "../ovs/index.ts";
import { OvsdbCache, OvsdbClient, type VswitchTables, vswitchDb } from "../ovsdb/index.ts";
import type { AgentConfigurations, SyncResponse } from "../protocol/index.ts";
import type { AgentParts, ManagedBridge } from "./agent.ts";
import type { AgentConfig } from "./config.ts";
import { ServerSession } from "./control/session.ts";
import { StatusReports } from "./control/status-reports.ts";
import { Converger, type MeterSink } from "./converge/converger.ts";
import { assignClasses, readClassRecord, writeClassRecord } from "./extensions/classes.ts";
import { coreFeatures } from "./features/index.ts";
import { type FlowReport, swapGenerations } from "./generations.ts";
import {
  type AgentBridge,
  agentBridges,
  type BridgeSetup,
  checkPrerequisites,
  patchPairs,
  repairBridges,
  setupBridge,
  setupPatchPorts,
} from "./host/bridges.ts";
import { OvsView, replicaSpec } from "./host/ovs-view.ts";
import { deleteTunnelPort, ensureTunnelPort, parseTunnelPort } from "./host/tunnel-ports.ts";
import { Observer } from "./observe.ts";
import type { Feature } from "./pipeline/feature.ts";
import { type LoadedFeature, Pipeline } from "./pipeline/pipeline.ts";
import { segmentFromOtherConfig } from "./ports/local-vlans.ts";

/** An OVSDB <id>: letters, digits and underscores only (RFC 7047 §3.1). */
export const AGENT_LOCK = "weir_agent";

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

/** Step 1: OVSDB, the lock, the prerequisites, the generations. */
export async function openSwitch(
  config: AgentConfig,
  log: Log,
  signal: AbortSignal | undefined,
): Promise<{
  client: OvsdbClient;
  db: VswitchDb;
  previous: Map<string, number | undefined>;
  generation: number;
}> {
  const client = await connectOvsdb(config, log, signal);
  try {
    await takeLock(client, config);
    const db = await openVswitchDb(client);
    await checkPrerequisites(db, config);
    const previous = new Map<string, number | undefined>();
    for (const b of agentBridges(config))
      previous.set(b.name, (await bridgeExists(db, b.name)) ? await readGeneration(db, b.name) : undefined);
    const known = [...previous.values()].filter((g): g is number => g !== undefined);
    return {
      client,
      db,
      previous,
      generation: nextGeneration(known.length === 0 ? undefined : Math.max(...known)),
    };
  } catch (error) {
    client.close();
    throw error;
  }
}

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
  parts.pipeline = pipeline;
  parts.observer = new Observer(log, metrics, pipeline);
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
    replicaSpec(pipeline.features.flatMap((f) => (f.feature.replica ? [f.feature.replica] : []))) as never,
  );
  const view = new OvsView(cache);
  parts.view = view;
  parts.observer.watchOvsdb(parts.client);
  step("replica");

  await openBridges(parts, bridges, options.previous);
  step("openflow");

  if (config.dropFlowsOnStart) await dropFlows(parts, disruptions);
  const restored = restore(parts, view);
  log.info(
    { ports: restored.ports, localVlans: restored.vlans, tunnels: restored.tunnels },
    "state restored from OVSDB",
  );

  const converger = makeConverger(parts, bridges);
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
  const flows = online ? await swapAll(parts, !passSynced) : await installWithoutServer(parts);
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

/** Step 2: the features this configuration runs, their classes, and the pipeline they make. */
async function buildPipeline(db: VswitchDb, config: AgentConfig, extensions: readonly Feature[]) {
  const recorded = await readClassRecord(db);
  const { assigned, record } = assignClasses(
    extensions.map((f) => f.name),
    recorded,
  );
  const features: LoadedFeature[] = [
    ...coreFeatures(config).map((feature) => ({
      feature,
      ownerClass: feature.ownerClass!,
      extension: false,
    })),
    ...extensions.map((feature) => ({ feature, ownerClass: assigned.get(feature.name)!, extension: true })),
  ];
  return { pipeline: Pipeline.build(features), classRecord: record };
}

/** Step 3: bridges (physical first, as agentBridges orders them), then patch ports. */
async function setUpBridges(parts: AgentParts, bridges: readonly AgentBridge[]) {
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

/** Step 4: an OpenFlow session and the flows of each bridge. */
async function openBridges(
  parts: AgentParts,
  bridges: readonly AgentBridge[],
  previous: ReadonlyMap<string, number | undefined>,
): Promise<void> {
  const { config, log, observer } = parts;
  for (const spec of bridges) {
    const connection = new OpenFlowConnection({ endpoint: `unix:${config.ovsRundir}/${spec.name}.mgmt` });
    parts.cleanups.push(() => connection.close());
    await connection.start(15_000);
    const meters = new BridgeMeters();
    const flows = new BridgeFlows({
      connection,
      generation: parts.generation,
      // A restarted switch lost its meters with its flows; they go back first (flows need them).
      beforeReconcile: async () => {
        for (const range of parts.pipeline!.meterRanges())
          await meters.reconcile(connection, { range, prune: false });
      },
      onDisturbance: (d) => {
        observer!.disturbed(spec.name, d);
        if (d.kind === "switch-restarted")
          for (const f of parts.pipeline!.features)
            safely(log, f.feature.name, () => f.feature.onSwitchRestarted?.(spec.name));
      },
      onRepairFailed: (error) =>
        log.warn({ bridge: spec.name, error: describeError(error) }, "flow repair failed; retrying"),
    });
    await flows.watch();
    const managed: ManagedBridge = { spec, connection, flows, meters, previous: previous.get(spec.name) };
    parts.bridges.set(spec.name, managed);
    observer!.watchConnection(spec.name, connection, () => parts.stopped);
  }
  const byEndpoint = new Map([...parts.bridges].map(([name, b]) => [b.connection.endpoint, name]));
  observer!.watchReconciles((endpoint) => byEndpoint.get(endpoint));
}

async function dropFlows(parts: AgentParts, disruptions: string[]): Promise<void> {
  for (const [name, bridge] of parts.bridges) {
    await bridge.connection.deleteByCookie(0n, 0n);
    const message = `drop_flows_on_start: deleted every flow of ${name} (traffic stops until the flows are back)`;
    parts.log.warn({ bridge: name }, message);
    disruptions.push(message);
    parts.metrics.disruptions.inc({ bridge: name, cause: "drop_flows_on_start" });
  }
}

/** Step 5: local VLANs from the ports' other_config + tag; tunnel endpoints from the tunnel ports. */
function restore(parts: AgentParts, view: OvsView): { ports: number; vlans: number; tunnels: number } {
  const { config, vlans, control, log } = parts;
  let ports = 0;
  for (const name of view.portNames(config.integrationBridge)) {
    const port = view.port(config.integrationBridge, name)!.port;
    const segment = segmentFromOtherConfig(port.other_config);
    if (segment === undefined || port.tag === null) continue;
    const { networkId, ...rest } = segment;
    if (vlans.restore(networkId, port.tag, rest)) ports++;
    else
      log.warn(
        { port: port.name, tag: port.tag, network: networkId },
        "port's local VLAN conflicts with another port's; it will be re-wired",
      );
  }
  let tunnels = 0;
  if (config.tunnelTypes.length > 0) {
    for (const name of view.portNames(config.tunnelBridge)) {
      const iface = view.port(config.tunnelBridge, name)?.iface;
      if (iface === undefined) continue;
      const parsed = parseTunnelPort(name, iface.type, iface.options, iface.external_ids);
      if (parsed === undefined) continue;
      tunnels++;
      for (const network of parsed.networks)
        control.seedEndpoint(network, { host: parsed.remoteHost, ip: parsed.remoteIp });
    }
  }
  return { ports, vlans: vlans.size, tunnels };
}

function makeConverger(parts: AgentParts, bridges: readonly AgentBridge[]): Converger {
  const { config, log, metrics } = parts;
  // Physical bridges, then the tunnel bridge, then br-int: a network's way out exists before its way in.
  const rank = { physical: 0, tunnel: 1, integration: 2 } as const;
  const ordered = [...parts.bridges.values()].sort((a, b) => rank[a.spec.role] - rank[b.spec.role]);
  const status = new StatusReports(parts.server, log, () => parts.session?.online ?? false);
  parts.status = status;
  return new Converger({
    config,
    pipeline: parts.pipeline!,
    db: parts.db,
    view: parts.view!,
    flows: new Map(ordered.map((b) => [b.spec.name, b.flows])),
    meters: new Map(ordered.map((b) => [b.spec.name, meterSink(b)])),
    vlans: parts.vlans,
    control: parts.control,
    server: parts.server,
    status,
    log,
    isOnline: () => parts.session?.online ?? false,
    isSwapped: () => parts.swapped,
    repairBridges: async () => {
      const repairs = await repairBridges(parts.db, config, parts.view!, bridges);
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
    },
    ensureTunnelPort: (want) => ensureTunnelPort(parts.db, config, want),
    deleteTunnelPort: async (name) => void (await deleteTunnelPort(parts.db, config, name)),
    onFeatureStatus: (feature, error) => {
      if (error !== undefined) metrics.featureErrors.inc({ feature });
    },
    onPass: (result) => metrics.passes.inc({ result }),
  });
}

async function attachMetrics(parts: AgentParts): Promise<void> {
  const { config, metrics, log } = parts;
  metrics.attach({
    portsByState: () => portsByState(parts),
    flowsByFeature: () => flowsByFeature(parts),
    features: () =>
      Object.fromEntries(
        parts.pipeline!.features.map((f) => [
          f.feature.name,
          parts.converger?.failedFeatures.has(f.feature.name) ?? false,
        ]),
      ),
    serverOnline: () => parts.session?.online ?? false,
    generation: () => parts.generation,
    localVlans: () => parts.vlans.size,
  });
  if (config.metricsListen !== undefined) {
    parts.metricsServer = await metrics.listen(config.metricsListen);
    log.info({ listen: config.metricsListen }, "metrics at /metrics");
  }
}

function makeSession(parts: AgentParts): ServerSession {
  const { control, metrics, log, config } = parts;
  return new ServerSession(
    parts.server,
    {
      onSync: (snapshot) => onSync(parts, snapshot),
      onEvent: (event, revision) => parts.converger!.onControlChange(control.applyEvent(event, revision)),
      onReachability: (online) => {
        if (!online) metrics.reconnects.inc({ peer: "server" });
        else void parts.status?.flush();
      },
      configurations: () => configurations(parts),
    },
    log,
    config.reportInterval,
  );
}

/** A full snapshot from the server: everything is looked at again; the first one after start swaps. */
async function onSync(parts: AgentParts, snapshot: SyncResponse): Promise<void> {
  const started = performance.now();
  const change = parts.control.applySync(snapshot);
  parts.log.info(
    { revision: snapshot.revision, ports: snapshot.ports.length, networks: snapshot.networks.length },
    "synced with the server",
  );
  // The first sync of start-up is followed by runStartup itself (swap, report, measurement).
  if (!parts.running) return;
  parts.converger!.onControlChange(change);
  if (!parts.swapped) {
    const flows = await swapAll(parts);
    parts.log.info({ flows }, "server back: previous generation replaced");
  }
  await parts.converger!.idle();
  parts.metrics.resyncSeconds.observe({ kind: "resync" }, (performance.now() - started) / 1000);
}

/** Every flow, now known in full, replaces the previous generation; the class record drops removed extensions. */
async function swapAll(parts: AgentParts, full = true): Promise<Record<string, FlowReport>> {
  const converger = parts.converger!;
  // A full pass unless the last one already saw the server's snapshot (then: what changed since).
  if (full) converger.triggerFull();
  await converger.passNow();
  return converger.exclusive(async () => {
    const failed = parts.pipeline!.features.filter((f) => converger.failedFeatures.has(f.feature.name));
    const rank = { physical: 0, tunnel: 1, integration: 2 } as const;
    const ordered = [...parts.bridges.values()]
      .sort((a, b) => rank[a.spec.role] - rank[b.spec.role])
      .map((b) => ({ name: b.spec.name, flows: b.flows, previous: b.previous }));
    const reports = await swapGenerations(parts.db, ordered, parts.generation, failed, parts.log);
    // Meters no flow uses any more (ports gone while the agent was away) go once their flows have.
    // A failed feature's meters stay, like its flows.
    for (const bridge of parts.bridges.values())
      for (const f of parts.pipeline!.features)
        if (f.feature.meterIds !== undefined)
          await bridge.meters.reconcile(bridge.connection, {
            range: f.feature.meterIds,
            prune: !failed.includes(f),
          });
    await writeClassRecord(
      parts.db,
      new Map(parts.pipeline!.features.filter((f) => f.extension).map((f) => [f.feature.name, f.ownerClass])),
    );
    parts.swapped = true;
    return reports;
  });
}

/** The server is away: what OVSDB alone tells is installed, nothing deleted (the swap waits). */
async function installWithoutServer(parts: AgentParts): Promise<Record<string, FlowReport>> {
  const reports: Record<string, FlowReport> = {};
  for (const [name, bridge] of parts.bridges) {
    if (bridge.spec.role === "physical") continue;
    const r = await bridge.flows.installAdditive(bridge.previous);
    reports[name] = { replaced: r.added, verified: false, fellBack: false, ms: Math.round(r.durationMs) };
  }
  return reports;
}

function configurations(parts: AgentParts): AgentConfigurations {
  const { config } = parts;
  return {
    bridge_mappings: { ...config.bridgeMappings },
    tunnel_types: [...config.tunnelTypes],
    tunneling_ip: config.localIp ?? null,
    integration_bridge: config.integrationBridge,
    datapath_type: config.datapathType,
    firewall_driver: config.firewallDriver,
    l2_population: config.l2Population,
    arp_responder: config.arpResponder,
    devices: parts.converger?.vifs.size ?? 0,
    extensions: parts.pipeline!.features.filter((f) => f.extension).map((f) => f.feature.name),
  };
}

/** A bridge's meters as the converger uses them. */
function meterSink(bridge: ManagedBridge): MeterSink {
  return {
    has: (owner) => bridge.meters.metersOf(ownerId(owner)).length > 0,
    replace: (owner, meters) => bridge.meters.replace(ownerId(owner), meters),
    upsert: (delta) => bridge.meters.applyUpserts(bridge.connection, delta),
    delete: (delta) => bridge.meters.applyDeletes(bridge.connection, delta),
  };
}

function portsByState(parts: AgentParts): Record<string, number> {
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

function featureReport(parts: AgentParts): Record<string, FeatureReport> {
  const failed = parts.converger?.failedFeatures ?? new Map<string, string>();
  return Object.fromEntries(
    parts.pipeline!.features.map((f) => {
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

function safely(log: Log, feature: string, call: () => void): void {
  try {
    call();
  } catch (error) {
    log.warn({ feature, error: describeError(error) }, "feature hook failed");
  }
}

/** Connects to OVSDB, waiting (with a warning now and then) until it is there or start-up is aborted. */
export async function connectOvsdb(
  config: AgentConfig,
  log: Log,
  signal: AbortSignal | undefined,
): Promise<OvsdbClient> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await OvsdbClient.connect({ endpoint: config.ovsdbConnection, waitMs: 5_000 });
    } catch (error) {
      if (signal?.aborted) throw error;
      if (attempt % 6 === 0)
        log.warn(
          { ovsdb: config.ovsdbConnection, error: describeError(error) },
          "OVSDB not reachable yet; waiting",
        );
    }
    if (signal?.aborted)
      throw new WeirError("WEIR_AGENT_ABORTED", "start-up aborted while waiting for OVSDB");
  }
}

/** One agent per Open vSwitch: the OVSDB lock is released by the server when its holder's session ends. */
async function takeLock(client: OvsdbClient, config: AgentConfig): Promise<void> {
  if (await client.lock(AGENT_LOCK)) return;
  const got = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve(false);
    }, 5_000);
    const off = client.onLock((event) => {
      if (event.type === "locked" && event.lock === AGENT_LOCK) {
        clearTimeout(timer);
        off();
        resolve(true);
      }
    });
  });
  if (!got) {
    throw new WeirError(
      "WEIR_AGENT_RUNNING",
      `another weir agent holds the OVSDB lock "${AGENT_LOCK}" on ${config.ovsdbConnection}; only one agent may manage an Open vSwitch`,
    );
  }
}
