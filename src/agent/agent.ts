/**
 * The L2 agent's life: start-up in an order that never disturbs a forwarding data plane, then the
 * converger and the server session running until SIGTERM — which stops the agent and touches nothing.
 *
 * Start-up, in order:
 *   1. OVSDB: connect, take the agent lock (one agent per host), check what must exist (mapped bridges).
 *   2. Read each bridge's last completed flow generation; this run's is the next one.
 *   3. Bridges (physical first), then patch ports: created if missing, converged if not, never re-created.
 *   4. Replicate OVSDB; open an OpenFlow session per bridge; watch for others' changes and restarts.
 *   5. Restore local VLANs from Port.other_config and tunnel flood lists from tunnel ports.
 *   6. Physical bridges get their flows at once, additively (a host must not lock itself out while its
 *      server is unreachable).
 *   7. Server: register and sync. If it answers: compute every flow, and swap generations — one atomic
 *      bundle per bridge that re-installs everything with the new cookies and deletes the previous
 *      generation's leftovers. If not: install what OVSDB alone tells, delete nothing, and swap once the
 *      server is back.
 */
import { channel } from "node:diagnostics_channel";
import type { Server } from "node:http";
import type { Logger } from "pino";
import { describeError, WeirError } from "../base/index.ts";
import { BridgeFlows, type Disturbance, nextGeneration, OpenFlowConnection } from "../openflow/index.ts";
import {
  bridgeExists,
  openVswitchDb,
  persistGeneration,
  readGeneration,
  type VswitchDb,
} from "../ovs/index.ts";
import { OvsdbCache, OvsdbClient, type VswitchTables, vswitchDb } from "../ovsdb/index.ts";
import type { AgentConfigurations, SyncResponse } from "../protocol/index.ts";
import {
  type AgentBridge,
  agentBridges,
  type BridgeSetup,
  checkPrerequisites,
  patchPairs,
  setupBridge,
  setupPatchPorts,
} from "./bridges.ts";
import type { AgentConfig } from "./config.ts";
import { ControlState } from "./control-state.ts";
import { Converger } from "./converger.ts";
import { LocalVlans, segmentFromOtherConfig } from "./local-vlans.ts";
import { AgentMetrics } from "./metrics.ts";
import { OvsSnapshot, replicaSpec, type VswitchCache } from "./ovs-snapshot.ts";
import { ownerClass } from "./pipeline/owners.ts";
import { ServerClient } from "./server-client.ts";
import { ServerSession } from "./server-session.ts";
import { parseTunnelPort } from "./tunnels.ts";

/** An OVSDB <id>: letters, digits and underscores only (RFC 7047 §3.1). */
export const AGENT_LOCK = "weir_agent";

export interface FlowReport {
  readonly replaced: number;
  readonly verified: boolean;
  readonly fellBack: boolean;
  readonly added?: number;
  readonly modified?: number;
  readonly deleted?: number;
  readonly ms: number;
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
  readonly convergeMs: number;
  /** The same, counted from the process's start (module loading included). */
  readonly sinceProcessStartMs: number;
  /** When each start-up step ended, in ms since start() (where the time goes, for operators). */
  readonly stepsMs: Record<string, number>;
}

interface ManagedBridge {
  readonly spec: AgentBridge;
  readonly connection: OpenFlowConnection;
  readonly flows: BridgeFlows;
  readonly previous: number | undefined;
}

export interface AgentOptions {
  readonly config: AgentConfig;
  readonly log: Logger;
  readonly metrics?: AgentMetrics;
  /** Aborts a start-up that is still waiting (for OVSDB, say). */
  readonly signal?: AbortSignal;
}

const reconcileChannel = channel("weir:openflow:reconcile");

export class Agent {
  readonly config: AgentConfig;
  readonly metrics: AgentMetrics;
  report: StartupReport | undefined;
  readonly #log: Logger;
  readonly #client: OvsdbClient;
  readonly #db: VswitchDb;
  readonly #generation: number;
  readonly #bridges = new Map<string, ManagedBridge>();
  readonly #vlans = new LocalVlans();
  readonly #control: ControlState;
  readonly #server: ServerClient;
  #cache: VswitchCache | undefined;
  #converger: Converger | undefined;
  #session: ServerSession | undefined;
  #metricsServer: Server | undefined;
  #swapped = false;
  /** Start-up is done with the server's first answer (or gave up waiting for it): later syncs are handled by #onSync. */
  #running = false;
  #stopped = false;
  readonly #cleanups: (() => void | Promise<void>)[] = [];

  private constructor(options: AgentOptions, client: OvsdbClient, db: VswitchDb, generation: number) {
    this.config = options.config;
    this.#log = options.log;
    this.metrics = options.metrics ?? new AgentMetrics();
    this.#client = client;
    this.#db = db;
    this.#generation = generation;
    this.#control = new ControlState(options.config.host);
    this.#server = new ServerClient({
      url: options.config.server,
      host: options.config.host,
      token: options.config.token,
    });
  }

  /** Starts the agent; resolves once the start-up report is in (converged, or forwarding while the server is away). */
  static async start(options: AgentOptions): Promise<Agent> {
    const { config, log } = options;
    const started = performance.now();
    const client = await connectOvsdb(config, log, options.signal);
    let agent: Agent | undefined;
    try {
      await takeLock(client, config);
      const db = await openVswitchDb(client);
      await checkPrerequisites(db, config);
      const bridges = agentBridges(config);
      const previous = new Map<string, number | undefined>();
      for (const b of bridges)
        previous.set(b.name, (await bridgeExists(db, b.name)) ? await readGeneration(db, b.name) : undefined);
      const known = [...previous.values()].filter((g): g is number => g !== undefined);
      const generation = nextGeneration(known.length === 0 ? undefined : Math.max(...known));
      agent = new Agent(options, client, db, generation);
      await agent.#start(bridges, previous, started);
      return agent;
    } catch (error) {
      if (agent !== undefined) await agent.stop();
      else client.close();
      throw error;
    }
  }

  get generation(): number {
    return this.#generation;
  }

  get vifs(): Converger["vifs"] {
    return this.#converger?.vifs ?? new Map();
  }

  /** Resolves when no convergence pass is pending (tests and the start-up report use it). */
  async idle(): Promise<void> {
    await this.#converger?.idle();
  }

  /** Stops everything this process runs. OVS is left exactly as it is: bridges, ports, flows. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#converger?.close();
    await this.#session?.close();
    for (const cleanup of this.#cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {});
    for (const bridge of this.#bridges.values()) {
      await bridge.flows.close().catch(() => {});
      bridge.connection.close();
    }
    await this.#cache?.close();
    this.#client.close();
    await new Promise<void>((resolve) =>
      this.#metricsServer ? this.#metricsServer.close(() => resolve()) : resolve(),
    );
  }

  async #start(
    bridges: readonly AgentBridge[],
    previous: ReadonlyMap<string, number | undefined>,
    started: number,
  ): Promise<void> {
    const { config } = this;
    const log = this.#log;
    const disruptions: string[] = [];
    const stepsMs: Record<string, number> = { ovsdb: Math.round(performance.now() - started) };
    const step = (name: string) => {
      stepsMs[name] = Math.round(performance.now() - started);
    };

    // Bridges, physical first; then patch ports (int-<br> lives on br-int, which must exist by then).
    const setups: BridgeSetup[] = [];
    for (const bridge of bridges) {
      const setup = await setupBridge(this.#db, config, bridge);
      setups.push(setup);
      for (const warning of setup.warnings) log.warn({ bridge: bridge.name }, warning);
      if (setup.created) log.info({ bridge: bridge.name, role: bridge.role }, "bridge created");
      if (setup.failModeWas !== undefined) {
        const message = `fail_mode of ${bridge.name} was ${setup.failModeWas ?? "unset"}; set to secure, which made OVS clear the bridge's flows`;
        log.warn({ bridge: bridge.name, was: setup.failModeWas }, message);
        disruptions.push(message);
        this.metrics.disruptions.inc({ bridge: bridge.name, cause: "fail_mode" });
      }
    }
    const patchPortsCreated: string[] = [];
    for (const pair of patchPairs(config))
      patchPortsCreated.push(...(await setupPatchPorts(this.#db, config, pair)));
    if (patchPortsCreated.length > 0) log.info({ ports: patchPortsCreated }, "patch ports created");

    step("bridges");
    this.#cache = await OvsdbCache.start<VswitchTables>(this.#client, vswitchDb, replicaSpec);
    this.#watchOvsdb();
    step("replica");

    for (const spec of bridges) {
      const connection = new OpenFlowConnection({ endpoint: `unix:${config.ovsRundir}/${spec.name}.mgmt` });
      this.#cleanups.push(() => connection.close());
      await connection.start(15_000);
      const flows = new BridgeFlows({
        connection,
        generation: this.#generation,
        classOf: ownerClass,
        onDisturbance: (d) => this.#disturbed(spec.name, d),
        onRepairFailed: (error) =>
          log.warn({ bridge: spec.name, error: describeError(error) }, "flow repair failed; retrying"),
      });
      await flows.watch();
      this.#bridges.set(spec.name, { spec, connection, flows, previous: previous.get(spec.name) });
      this.#watchConnection(spec.name, connection);
    }
    this.#watchReconciles();
    step("openflow");

    if (config.dropFlowsOnStart) {
      for (const [name, bridge] of this.#bridges) {
        await bridge.connection.deleteByCookie(0n, 0n);
        const message = `drop_flows_on_start: deleted every flow of ${name} (traffic stops until the flows are back)`;
        log.warn({ bridge: name }, message);
        disruptions.push(message);
        this.metrics.disruptions.inc({ bridge: name, cause: "drop_flows_on_start" });
      }
    }

    const restored = this.#restore();
    log.info(
      { ports: restored.ports, localVlans: restored.vlans, tunnels: restored.tunnels },
      "state restored from OVSDB",
    );

    const order = this.#applyOrder();
    const converger = new Converger({
      config,
      db: this.#db,
      cache: this.#cache,
      flows: new Map([...this.#bridges].map(([name, b]) => [name, b.flows])),
      bridgeOrder: order,
      vlans: this.#vlans,
      control: this.#control,
      client: this.#server,
      log,
      isOnline: () => this.#session?.online ?? false,
      isFullySynced: () => this.#swapped,
      repairBridges: (snapshot) => this.#repairBridges(snapshot),
    });
    this.#converger = converger;
    this.metrics.attach({
      portsByState: () => {
        const counts: Record<string, number> = { wired: 0, kept: 0, dead: 0 };
        for (const v of converger.vifs.values()) counts[v.state] = (counts[v.state] ?? 0) + 1;
        return counts;
      },
      flowsByOwner: () => this.#flowsByOwner(),
      serverOnline: () => this.#session?.online ?? false,
      generation: () => this.#generation,
      localVlans: () => this.#vlans.size,
    });
    if (config.metricsListen !== undefined) {
      this.#metricsServer = await this.metrics.listen(config.metricsListen);
      log.info({ listen: config.metricsListen }, "metrics at /metrics");
    }
    await converger.passNow(); // records every flow OVSDB alone can tell; nothing is sent yet
    step("restore");

    // Physical bridges before the server (Neutron bug 1840443): their NICs may carry this host's management.
    for (const [name, bridge] of this.#bridges) {
      if (bridge.spec.role === "physical") await bridge.flows.installAdditive(bridge.previous);
      void name;
    }

    const session = new ServerSession(
      this.#server,
      {
        onSync: (snapshot) => this.#onSync(snapshot),
        onEvent: (event, revision) => {
          this.#control.applyEvent(event, revision);
          converger.trigger();
        },
        onReachability: (online) => {
          if (!online) this.metrics.reconnects.inc({ peer: "server" });
          else converger.flushStatus();
        },
        configurations: () => this.#configurations(),
      },
      log,
      config.reportInterval,
    );
    this.#session = session;
    const syncStarted = performance.now();
    const online = await session.first();
    step("server");
    const flowReports: Record<string, FlowReport> = {};
    if (online) {
      Object.assign(flowReports, await this.#swapAll());
      this.metrics.resyncSeconds.observe({ kind: "start" }, (performance.now() - syncStarted) / 1000);
    } else {
      for (const [name, bridge] of this.#bridges) {
        if (bridge.spec.role === "physical") continue;
        const r = await bridge.flows.installAdditive(bridge.previous);
        flowReports[name] = {
          replaced: r.added,
          verified: false,
          fellBack: false,
          ms: Math.round(r.durationMs),
        };
      }
    }
    step("flows");
    this.#running = true;
    session.run();
    converger.trigger();
    await converger.idle();
    step("settled");

    const ports: Record<string, number> = { wired: 0, kept: 0, dead: 0 };
    for (const v of converger.vifs.values()) ports[v.state] = (ports[v.state] ?? 0) + 1;
    this.report = {
      host: config.host,
      generation: this.#generation,
      previousGenerations: Object.fromEntries([...this.#bridges].map(([n, b]) => [n, b.previous ?? null])),
      bridges: setups,
      patchPortsCreated,
      disruptions,
      portsRestored: restored.ports,
      localVlansRestored: restored.vlans,
      server: online ? "synced" : "unreachable",
      flows: flowReports,
      ports,
      convergeMs: Math.round(performance.now() - started),
      sinceProcessStartMs: Math.round(performance.now()),
      stepsMs,
    };
    log.info(
      { report: this.report },
      online
        ? "start-up report: converged"
        : "start-up report: forwarding on restored state; server unreachable",
    );
  }

  /** Local VLANs from the ports' other_config + tag; tunnel endpoints from the tunnel ports. */
  #restore(): { ports: number; vlans: number; tunnels: number } {
    const snapshot = new OvsSnapshot(this.#cache!);
    let ports = 0;
    for (const { port } of snapshot.ports(this.config.integrationBridge).values()) {
      const segment = segmentFromOtherConfig(port.other_config);
      if (segment === undefined || port.tag === null) continue;
      const { networkId, ...rest } = segment;
      if (this.#vlans.restore(networkId, port.tag, rest)) ports++;
      else
        this.#log.warn(
          { port: port.name, tag: port.tag, network: networkId },
          "port's local VLAN conflicts with another port's; it will be re-wired",
        );
    }
    let tunnels = 0;
    if (this.config.tunnelTypes.length > 0) {
      for (const [name, { iface }] of snapshot.ports(this.config.tunnelBridge)) {
        if (iface === undefined) continue;
        const parsed = parseTunnelPort(name, iface.type, iface.options, iface.external_ids);
        if (parsed === undefined) continue;
        tunnels++;
        for (const network of parsed.networks)
          this.#control.seedEndpoint(network, { host: parsed.remoteHost, ip: parsed.remoteIp });
      }
    }
    return { ports, vlans: this.#vlans.size, tunnels };
  }

  /** Physical bridges, then the tunnel bridge, then br-int: a network's way out exists before its way in. */
  #applyOrder(): string[] {
    const rank = { physical: 0, tunnel: 1, integration: 2 } as const;
    return [...this.#bridges.values()]
      .sort((a, b) => rank[a.spec.role] - rank[b.spec.role])
      .map((b) => b.spec.name);
  }

  async #onSync(snapshot: SyncResponse): Promise<void> {
    const started = performance.now();
    this.#control.applySync(snapshot);
    this.#log.info(
      { revision: snapshot.revision, ports: snapshot.ports.length, networks: snapshot.networks.length },
      "synced with the server",
    );
    // The first sync of start-up is followed by #start itself (swap, report, measurement).
    if (this.#converger === undefined || !this.#running) return;
    if (!this.#swapped) {
      const flows = await this.#swapAll();
      this.#log.info({ flows }, "server back: previous generation replaced");
    }
    this.#converger.trigger();
    await this.#converger.idle();
    this.metrics.resyncSeconds.observe({ kind: "resync" }, (performance.now() - started) / 1000);
  }

  /**
   * Every desired flow, now known in full, replaces the previous generation: one bundle per bridge, in
   * apply order, each verified by flow counts (falling back to a reconcile by dump). Then the generation
   * is recorded on each bridge — last, so a crash before it is repaired by the next start.
   */
  async #swapAll(): Promise<Record<string, FlowReport>> {
    const converger = this.#converger!;
    await converger.passNow();
    return converger.exclusive(async () => {
      const reports: Record<string, FlowReport> = {};
      for (const name of this.#applyOrder()) {
        const bridge = this.#bridges.get(name)!;
        const r = await bridge.flows.swapGeneration(bridge.previous);
        await persistGeneration(this.#db, name, this.#generation);
        reports[name] = {
          replaced: r.replaced,
          verified: r.verified,
          fellBack: r.fellBack,
          ...(r.repaired
            ? { added: r.repaired.added, modified: r.repaired.modified, deleted: r.repaired.deleted }
            : {}),
          ms: Math.round(r.durationMs),
        };
        if (r.fellBack && bridge.previous !== undefined) {
          this.#log.info(
            { bridge: name, repaired: r.repaired },
            "generation swap reconciled by dump (leftovers of another run)",
          );
        }
      }
      this.#swapped = true;
      return reports;
    });
  }

  #configurations(): AgentConfigurations {
    return {
      bridge_mappings: { ...this.config.bridgeMappings },
      tunnel_types: [...this.config.tunnelTypes],
      tunneling_ip: this.config.localIp ?? null,
      integration_bridge: this.config.integrationBridge,
      datapath_type: this.config.datapathType,
      firewall_driver: this.config.firewallDriver,
      l2_population: this.config.l2Population,
      arp_responder: this.config.arpResponder,
      devices: this.#converger?.vifs.size ?? 0,
    };
  }

  /** Bridges deleted or with fail_mode changed behind the agent's back are put back. */
  async #repairBridges(snapshot: OvsSnapshot): Promise<boolean> {
    let acted = false;
    for (const bridge of this.#bridges.values()) {
      const row = snapshot.bridge(bridge.spec.name);
      if (row !== undefined && row.fail_mode === "secure") continue;
      if (row === undefined)
        this.#log.error({ bridge: bridge.spec.name }, "bridge disappeared from OVSDB; re-creating it");
      else {
        this.#log.warn(
          { bridge: bridge.spec.name, failMode: row.fail_mode },
          `fail_mode of ${bridge.spec.name} was changed to ${row.fail_mode ?? "unset"} outside the agent; setting it back to secure (OVS clears the flows; the agent re-installs them)`,
        );
        this.metrics.disruptions.inc({ bridge: bridge.spec.name, cause: "fail_mode" });
      }
      this.metrics.repairs.inc({
        bridge: bridge.spec.name,
        kind: row === undefined ? "bridge-deleted" : "fail-mode",
      });
      await setupBridge(this.#db, this.config, bridge.spec);
      acted = true;
    }
    const intPorts = snapshot.ports(this.config.integrationBridge);
    for (const pair of patchPairs(this.config)) {
      if (intPorts.has(pair.intSide) && snapshot.ports(pair.otherBridge).has(pair.otherSide) && !acted)
        continue;
      const created = await setupPatchPorts(this.#db, this.config, pair);
      if (created.length > 0) {
        this.#log.warn({ ports: created }, "patch ports were missing; re-created");
        acted = true;
      }
    }
    return acted;
  }

  #disturbed(bridge: string, d: Disturbance): void {
    const log = this.#log;
    if (d.kind === "switch-restarted") {
      log.warn(
        { bridge },
        "OpenFlow session re-established (ovs-vswitchd restarted, or the bridge was re-created): reprogramming the bridge from OVSDB and the agent's state",
      );
      this.metrics.repairs.inc({ bridge, kind: "switch-restarted" });
    } else if (d.kind === "monitor-overflow") {
      log.warn({ bridge }, "flow monitor overflowed: reconciling the bridge by dump");
      this.metrics.repairs.inc({ bridge, kind: "monitor-overflow" });
    } else if (d.owners.length > 0) {
      log.warn(
        { bridge, owners: d.owners.slice(0, 10), changes: d.updates.length },
        "flows changed outside the agent: repairing",
      );
      this.metrics.repairs.inc({ bridge, kind: "flows-changed" });
    } else if (d.foreign.length > 0) {
      log.info(
        { bridge, flows: d.foreign.length },
        "flows that are not the agent's were changed; left alone",
      );
    }
  }

  #watchOvsdb(): void {
    const cache = this.#cache!;
    this.#cleanups.push(cache.subscribe(() => this.#converger?.trigger()));
    let lost = false;
    this.#cleanups.push(
      this.#client.onStatus((status) => {
        if (status.state === "disconnected" && !lost) {
          lost = true;
          this.#log.warn({ error: status.error.message }, "OVSDB connection lost; reconnecting");
        }
        if (status.state === "connected" && lost) {
          lost = false;
          this.metrics.reconnects.inc({ peer: "ovsdb" });
          this.#log.info("OVSDB connection re-established");
        }
      }),
    );
  }

  #watchConnection(bridge: string, connection: OpenFlowConnection): void {
    let lost = false;
    this.#cleanups.push(
      connection.onStatus((status) => {
        if (status.state === "disconnected" && !lost && !this.#stopped) {
          lost = true;
          this.#log.warn({ bridge, error: status.error.message }, "OpenFlow session lost; reconnecting");
        }
        if (status.state === "connected" && status.restarted) {
          lost = false;
          this.metrics.reconnects.inc({ peer: "openflow" });
        }
      }),
    );
  }

  #watchReconciles(): void {
    const endpoints = new Map([...this.#bridges].map(([name, b]) => [b.connection.endpoint, name]));
    const listener = (message: unknown) => {
      const m = message as {
        endpoint: string;
        added: number;
        modified: number;
        deleted: number;
        durationMs: number;
      };
      const bridge = endpoints.get(m.endpoint);
      if (bridge === undefined || (m.added === 0 && m.modified === 0 && m.deleted === 0)) return;
      this.#log.info(
        { bridge, added: m.added, modified: m.modified, deleted: m.deleted, ms: Math.round(m.durationMs) },
        "bridge reprogrammed",
      );
    };
    reconcileChannel.subscribe(listener);
    this.#cleanups.push(() => void reconcileChannel.unsubscribe(listener));
  }

  #flowsByOwner(): Record<string, Record<string, number>> {
    const result: Record<string, Record<string, number>> = {};
    for (const [name, bridge] of this.#bridges) {
      const counts: Record<string, number> = {};
      for (const [, , owner] of bridge.flows.desired.entries()) {
        const kind = owner.split(":")[0]!;
        counts[kind] = (counts[kind] ?? 0) + 1;
      }
      result[name] = counts;
    }
    return result;
  }
}

/** Connects to OVSDB, waiting (with a warning now and then) until it is there or start-up is aborted. */
async function connectOvsdb(
  config: AgentConfig,
  log: Logger,
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
