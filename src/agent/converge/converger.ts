/**
 * The agent's one loop: it looks at what changed (in OVSDB, from the server), decides the VIFs it
 * touches, asks the features for their flows, and makes OVS match — in an order that never opens a gap:
 *
 *   1. flows that are added or changed (a new network's translation, a drop flow for a port going dead)
 *   2. Port.tag / other_config of every VIF that changes, and the features' OVSDB wishes (QoS): one
 *      OVSDB transaction
 *   3. flows that go away (the drop flow of a port coming alive, a network that left)
 *   4. only once every bridge's flows are confirmed on the switch: weir-installed marks, ports reported
 *      up/down, tunnel ports no longer needed deleted (and only after a full sync with the server)
 *
 * The phases are functions that return values (decide.ts, local-vlan-users.ts, tunnel-phase.ts,
 * planner.ts, port-ops.ts); this file keeps that order and does the I/O. A pass looks at what changed
 * since the last one (work.ts), so it costs what changed, not what the host holds: the echo of the
 * agent's own writes and server events that change nothing it forwards do not even start one.
 */
import { backoffDelay, defaultBackoff, describeError, type Log } from "../../base/index.ts";
import type { BridgeFlows, Flow, FlowOwner, Meter, MeterDelta } from "../../openflow/index.ts";
import { FlowConflictError } from "../../openflow/index.ts";
import { transact, type VswitchDb, WeirKeys } from "../../ovs/index.ts";
import type { CacheEvent, Operation, VswitchTables } from "../../ovsdb/index.ts";
import type { DeviceDetailsResponse } from "../../protocol/index.ts";
import type { AgentConfig } from "../config.ts";
import { type ControlChange, type ControlState, isEmptyChange } from "../control/state.ts";
import type { StatusReports } from "../control/status-reports.ts";
import { physPatchNames } from "../host/bridges.ts";
import type { OvsView } from "../host/ovs-view.ts";
import type { TunnelPortState, TunnelPortWant } from "../host/tunnel-ports.ts";
import type {
  HostContext,
  NetworkContext,
  RemotePortContext,
  VifContext,
  VifRows,
} from "../pipeline/feature.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import type { VifDecision } from "../ports/decisions.ts";
import { DEAD_VLAN, type LocalVlans, segmentToOtherConfig } from "../ports/local-vlans.ts";
import { interfaceView } from "../ports/vifs.ts";
import { Claims, type Decided, decide } from "./decide.ts";
import { LocalVlanUsers } from "./local-vlan-users.ts";
import { type FlowChanges, Planner, type PlanResult, type PlanRound } from "./planner.ts";
import { markOperation, portOperations, unmarkOperation } from "./port-ops.ts";
import { type TunnelPhase, tunnelPhase } from "./tunnel-phase.ts";
import { observedKey, type VifRecord, type VifState } from "./vif-records.ts";
import { Work } from "./work.ts";

export type { VifRecord, VifState };

/** The bridges' flows as the converger uses them. */
export type FlowSink = Pick<BridgeFlows, "apply" | "inSync" | "onInSync"> & {
  readonly desired: Pick<BridgeFlows["desired"], "has" | "owners">;
};

/** The bridges' meters as the converger uses them (BridgeMeters with its connection). */
export interface MeterSink {
  has(owner: FlowOwner): boolean;
  /** Records an owner's meters; returns what to send (upserts before the flows, deletes after). */
  replace(owner: FlowOwner, meters: readonly Meter[]): MeterDelta;
  upsert(delta: MeterDelta): Promise<void>;
  delete(delta: MeterDelta): Promise<void>;
}

export interface ConvergerDeps {
  readonly config: AgentConfig;
  readonly pipeline: Pipeline;
  readonly db: VswitchDb;
  readonly view: OvsView;
  /** bridge name → its flows, in apply order: physical bridges, tunnel bridge, integration bridge. */
  readonly flows: ReadonlyMap<string, FlowSink>;
  readonly meters: ReadonlyMap<string, MeterSink>;
  readonly vlans: LocalVlans;
  readonly control: ControlState;
  readonly server: { deviceDetails(ids: readonly string[]): Promise<DeviceDetailsResponse> };
  readonly status: StatusReports;
  readonly log: Log;
  readonly isOnline: () => boolean;
  /** True once this run's generation replaced the previous one on every bridge. */
  readonly isSwapped: () => boolean;
  /** Puts back bridges and patch ports that someone removed or changed; true if it did anything. */
  readonly repairBridges: () => Promise<boolean>;
  readonly ensureTunnelPort: (want: TunnelPortWant & { creating: boolean }) => Promise<void>;
  readonly deleteTunnelPort: (name: string) => Promise<void>;
  /** Told when a feature fails (and when it works again: error undefined). */
  readonly onFeatureStatus?: (feature: string, error: string | undefined) => void;
  /** Told after each pass whether it changed anything. */
  readonly onPass?: (result: "changed" | "idle") => void;
}

/** Counts, for metrics and benchmarks. */
export interface PassCounts {
  /** Passes that looked at something. */
  passes: number;
  /** Passes that found nothing to do (the echo of the agent's own writes, say). */
  idle: number;
  failures: number;
  /** VIFs decided, over all passes: what the passes cost (a new port on any host: one). */
  vifsDecided: number;
}

/** A pass is retried after this long when a feature failed in it (its flows stay as they were meanwhile). */
const FEATURE_RETRY_MS = 30_000;
/** How often to look again at ports whose flows were not confirmed yet, when no event comes. */
const CONFIRM_RETRY_MS = 250;

export class Converger {
  readonly vifs = new Map<string, VifRecord>();
  readonly counts: PassCounts = { passes: 0, idle: 0, failures: 0, vifsDecided: 0 };
  readonly #deps: ConvergerDeps;
  readonly #planner: Planner;
  readonly #claims = new Claims();
  readonly #users: LocalVlanUsers;
  readonly #work = new Work();
  readonly #byPortId = new Map<string, string>();
  /** VIFs by the network their server details name (re-decided when it changes, wired or not). */
  readonly #onNetwork = new Map<string, Set<string>>();
  readonly #networkOfVif = new Map<string, string>();
  #host: HostContext | undefined;
  #hostKey = "";
  #tunnels = new Map<string, TunnelPortState>();
  #staleTunnels: readonly string[] = [];
  #flood = new Map<string, readonly number[]>();
  /**
   * What a VIF's rows will look like once a transaction in flight commits: its echo comes back before the
   * reply (ovsdb-server sends monitor updates first), and must be recognised as ours then already.
   */
  readonly #expectedSoon = new Map<string, Pick<VifRecord, "portUuid" | "expected" | "wishes">>();
  /** VIFs wired whose flows were not confirmed yet: their marks and status reports wait. */
  readonly #unconfirmed = new Set<string>();
  readonly #failed = new Map<string, string>();
  readonly #warned = new Map<string, string>();
  readonly #detailsInFlight = new Set<string>();
  #chain: Promise<unknown> = Promise.resolve();
  #scheduled = false;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;
  #failuresInRow = 0;

  constructor(deps: ConvergerDeps) {
    this.#deps = deps;
    this.#planner = new Planner(deps.pipeline);
    this.#users = new LocalVlanUsers(deps.vlans);
    this.#work.full = true;
    for (const flows of deps.flows.values())
      flows.onInSync(() => {
        if (this.#unconfirmed.size > 0) this.#wake();
      });
  }

  /**
   * Feeds the replica's changes. A VIF whose rows are as the agent left them — the echo of its own
   * writes — is not news: it triggers nothing.
   */
  onOvsdbEvents(events: readonly CacheEvent<VswitchTables>[]): void {
    const changes = this.#deps.view.apply(events);
    const bridge = this.#deps.config.integrationBridge;
    const news = changes.ports.filter(
      (p) => p.bridge !== bridge || !(this.#settled(p.name) || this.#notYet(p.name)),
    );
    if (news.length === 0 && changes.bridges.size === 0) return;
    this.#work.addView({ ports: news, bridges: changes.bridges }, bridge);
    this.#wake();
  }

  /** Feeds what the server changed (ControlState says what); a change of nothing triggers nothing. */
  onControlChange(change: ControlChange): void {
    const relevant = change.full ? change : this.#forwardingHere(change);
    if (isEmptyChange(relevant)) return;
    this.#work.addControl(relevant);
    this.#wake();
  }

  /**
   * The part of a server change that concerns what this host forwards: ports plugged here, networks with
   * a local VLAN or a VIF here, other hosts' ports on those, section objects something here read. The
   * rest is kept in ControlState and read when it matters (a VIF plugged later reads its details then).
   */
  #forwardingHere(change: ControlChange): ControlChange {
    const { vlans, control } = this.#deps;
    const local = (networkId: string) => vlans.get(networkId) !== undefined || this.#onNetwork.has(networkId);
    return {
      full: false,
      ports: new Set(
        [...change.ports].filter((id) => this.#byPortId.has(id) || this.#claims.of(id).length > 0),
      ),
      networks: new Set([...change.networks].filter(local)),
      endpoints: new Set([...change.endpoints].filter(local)),
      remotePorts: new Set(
        [...change.remotePorts].filter((id) => {
          const entry = control.fdb.get(id);
          // A removed entry is no longer in ControlState: whether it had flows here, the pass finds out.
          return entry === undefined || (entry.host !== control.host && local(entry.network_id));
        }),
      ),
      sections: new Set([...change.sections].filter((key) => this.#planner.readersOf(key).size > 0)),
    };
  }

  /** Asks for a pass over everything (a sync, a repair). */
  triggerFull(): void {
    this.#work.full = true;
    this.#wake();
  }

  /** Runs `work` between passes (the generation swap). */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(work, work);
    this.#chain = next.catch(() => {});
    return next;
  }

  /** A pass now, awaited; throws what the pass threw. */
  passNow(): Promise<void> {
    return this.exclusive(() => this.#pass());
  }

  /** Resolves when no pass is scheduled or running. */
  async idle(): Promise<void> {
    for (;;) {
      await this.#chain;
      if (!this.#scheduled) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
  }

  /** Features failing now, with their last error. */
  get failedFeatures(): ReadonlyMap<string, string> {
    return this.#failed;
  }

  #wake(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    setImmediate(() => {
      void this.exclusive(async () => {
        this.#scheduled = false;
        await this.#runPass();
      });
    });
  }

  #later(ms: number, full: boolean): void {
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => {
      if (full) this.#work.full = true;
      this.#wake();
    }, ms);
    this.#retry.unref();
  }

  async #runPass(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#pass();
      this.#failuresInRow = 0;
    } catch (error) {
      this.counts.failures++;
      const delay = backoffDelay(defaultBackoff, this.#failuresInRow++);
      this.#deps.log.warn(
        { error: describeError(error), retryInMs: delay },
        "convergence pass failed; retrying",
      );
      this.#later(delay, true);
    }
  }

  async #pass(): Promise<void> {
    if (this.#closed) return;
    const work = this.#work.take();
    if (work.empty && !(this.#unconfirmed.size > 0 && this.#confirmed())) return;
    try {
      const acted = await this.#converge(work);
      if (acted) this.counts.passes++;
      else this.counts.idle++;
      this.#deps.onPass?.(acted ? "changed" : "idle");
    } catch (error) {
      this.#work.merge(work);
      throw error;
    }
  }

  /** One pass over `work`; false when it turned out to change nothing. */
  async #converge(work: Work): Promise<boolean> {
    const { config, log, control, vlans } = this.#deps;
    const started = performance.now();
    if ((work.bridges.size > 0 || work.full) && (await this.#deps.repairBridges())) work.host = true;
    const host = this.#hostContext();
    const hostChanged = this.#hostKey !== hostKeyOf(host);
    const full = work.full;
    const everything = full || hostChanged;
    const candidates = this.#candidates(work, everything);
    const writes = { count: 0 };
    if (!everything && candidates.size === 0 && this.#quiet(work)) return false;

    // ── decide, local VLANs ──────────────────────────────────────────────────────────────────────
    const { decided, gone, unready } = decide(candidates, {
      view: this.#deps.view,
      integrationBridge: config.integrationBridge,
      records: this.vifs,
      claims: this.#claims,
      control,
      host: {
        physicalNetworks: new Set(Object.keys(config.bridgeMappings)),
        tunnelTypes: config.tunnelTypes,
      },
      vlans,
    });
    for (const [iface, reason] of unready) this.#warnOnce(iface, reason, "debug");
    this.counts.vifsDecided += decided.size;
    const { decisions, changed: vlanChanged } = this.#users.apply(
      decided,
      gone.map((r) => r.iface),
      log,
      full,
    );
    const networks = new Set([
      ...vlanChanged,
      ...work.networks,
      ...(everything ? vlans.all().map((v) => v.networkId) : []),
    ]);

    // ── tunnel ports ─────────────────────────────────────────────────────────────────────────────
    const tunnels = await this.#tunnelPorts(work, networks, everything, writes);
    const remotes = this.#remotePortCandidates(work, networks, tunnels, everything);

    // ── plan ─────────────────────────────────────────────────────────────────────────────────────
    const round = this.#planner.round(host, control, {
      bridges: [...this.#deps.flows.keys()],
      has: (bridge, owner) => this.#deps.flows.get(bridge)?.desired.has(owner) ?? false,
      hasMeters: (bridge, owner) => this.#deps.meters.get(bridge)?.has(owner) ?? false,
    });
    if (everything) round.base();
    for (const id of networks) round.network(id, this.#networkContext(id));
    const tunnelPorts =
      everything && tunnels !== undefined
        ? new Map([...tunnels.changedPorts, ...tunnels.ready.map((t) => [t.name, t] as const)])
        : (tunnels?.changedPorts ?? new Map());
    for (const [name, t] of tunnelPorts) round.tunnelPort(name, t);
    for (const id of remotes) round.remotePort(id, this.#remotePortContext(id));
    const contexts = new Map<string, VifContext>();
    for (const d of decided.values()) {
      const context = this.#vifContext(d, decisions.get(d.iface)!);
      if (context !== undefined) contexts.set(d.iface, context);
      round.vif(d.iface, context);
    }
    for (const r of gone) if (!decided.has(r.iface)) round.vif(r.iface, undefined);
    if (full) round.sweep(this.#desiredOwners());
    let plan = round.finish();
    const decidedAt = performance.now();

    // ── flows, OVSDB, flows ──────────────────────────────────────────────────────────────────────
    const [adding, removing] = splitByPhase(plan.changes);
    const meters = this.#meterDeltas(plan);
    for (const [bridge, delta] of meters) await this.#deps.meters.get(bridge)!.upsert(delta);
    plan = await this.#applyIsolated(adding, plan, round, writes);
    const addedAt = performance.now();
    const tagged = await this.#writePorts(decided, decisions, plan, writes);
    const portsAt = performance.now();
    await this.#applyFlows(removing, writes);
    for (const [bridge, delta] of meters) await this.#deps.meters.get(bridge)!.delete(delta);
    this.#featureOutcomes(plan, full);

    // ── confirmations: only once the flows are on the switch ────────────────────────────────────
    const confirmed = this.#confirmed();
    const marked = confirmed
      ? await this.#writeMarks(decided, decisions, tagged, writes, plan)
      : new Set<string>();
    if (confirmed && this.#staleTunnels.length > 0 && this.#deps.isSwapped())
      await this.#deleteStaleTunnels(writes);
    this.#record({ decided, decisions, gone, plan, contexts, confirmed, marked, tagged });
    this.#requestDetails(decided, decisions);
    if (full) control.pruneUnknown((id) => this.#claims.of(id).length > 0);
    void this.#deps.status.flush();
    if (!confirmed && this.#unconfirmed.size > 0) this.#later(CONFIRM_RETRY_MS, false);
    this.#hostKey = hostKeyOf(host);
    log.debug(
      {
        vifs: decided.size,
        full,
        ms: Math.round(performance.now() - started),
        planMs: Math.round(decidedAt - started),
        flowsAddMs: Math.round(addedAt - decidedAt),
        portsMs: Math.round(portsAt - addedAt),
      },
      "convergence pass",
    );
    return writes.count > 0 || decided.size > 0 || gone.length > 0;
  }

  /** Interfaces on br-int to look at: changed ones, their ports', their networks', readers of sections. */
  #candidates(work: Work, everything: boolean): Set<string> {
    const { view, config } = this.#deps;
    const out = new Set<string>(everything ? view.portNames(config.integrationBridge) : []);
    for (const name of work.vifs) if (!this.#settled(name)) out.add(name);
    if (this.#confirmed()) for (const iface of this.#unconfirmed) out.add(iface);
    for (const id of work.portIds) {
      const iface = this.#byPortId.get(id);
      if (iface !== undefined) out.add(iface);
      else for (const claimant of this.#claimsOf(id)) out.add(claimant);
    }
    for (const id of work.networks) {
      for (const iface of this.#users.of(id)) out.add(iface);
      for (const iface of this.#onNetwork.get(id) ?? []) out.add(iface);
    }
    for (const key of work.sections) {
      for (const object of this.#planner.readersOf(key))
        if (object.startsWith("vif:")) out.add(object.slice(4));
    }
    return out;
  }

  #claimsOf(portId: string): readonly string[] {
    return this.#claims.of(portId);
  }

  #confirmed(): boolean {
    for (const f of this.#deps.flows.values()) if (!f.inSync) return false;
    return true;
  }

  /** Nothing but settled VIFs and server changes that touch nothing here. */
  #quiet(work: Work): boolean {
    if (work.host || work.endpoints.size > 0) return false;
    for (const id of work.networks) if (this.#deps.vlans.get(id) !== undefined) return false;
    for (const id of work.remotePorts) {
      const entry = this.#deps.control.fdb.get(id);
      if (entry === undefined || this.#deps.vlans.get(entry.network_id) !== undefined) return false;
    }
    return true;
  }

  /** The VIF's rows are what the agent left them as, and every feature's OVSDB wish holds. */
  #settled(name: string): boolean {
    const record = this.vifs.get(name);
    const soon = this.#expectedSoon.get(name);
    const entry = this.#deps.view.port(this.#deps.config.integrationBridge, name);
    if (entry === undefined || entry.iface === undefined) return false;
    const candidates = [
      ...(record !== undefined && record.portUuid === entry.port._uuid ? [record] : []),
      ...(soon !== undefined && soon.portUuid === entry.port._uuid ? [soon] : []),
    ];
    if (candidates.length === 0) return false;
    const view = interfaceView(entry)!;
    const key = observedKey(view, entry.port._uuid);
    const match = candidates.find((c) => c.expected === key);
    if (match === undefined) return false;
    const rows = this.#rows(entry.port, entry.iface);
    for (const wish of match.wishes?.values() ?? [])
      if (safe(() => wish(rows, this.#deps.db.ops))?.length !== 0) return false;
    return true;
  }

  /** A port that appeared without a usable ofport yet and was never looked at: nothing to do until it has one. */
  #notYet(name: string): boolean {
    if (this.vifs.has(name) || this.#expectedSoon.has(name)) return false;
    const ofport = this.#deps.view.port(this.#deps.config.integrationBridge, name)?.iface?.ofport;
    return ofport === null || ofport === undefined;
  }

  /** What the VIF's rows will hold once this pass's writes are in (tag, other_config; the mark as given). */
  #expectedKey(d: Decided, decision: VifDecision, installed: boolean): string {
    const lvid = decision.kind === "wire" ? this.#deps.vlans.get(decision.networkId)?.lvid : undefined;
    const tag = decision.kind === "keep" ? d.view.tag : decision.kind === "wire" ? lvid! : DEAD_VLAN;
    const otherConfig =
      decision.kind === "keep"
        ? d.view.portOtherConfig
        : decision.kind === "wire"
          ? { ...d.view.portOtherConfig, ...segmentToOtherConfig(decision.networkId, decision.segment) }
          : withoutNetworkKeys(d.view.portOtherConfig);
    return observedKey(d.view, d.portUuid, { tag, otherConfig, installed });
  }

  /** Before a transaction: its echo is ours. */
  #expect(d: Decided, decision: VifDecision, installed: boolean, plan: PlanResult): void {
    this.#expectedSoon.set(d.iface, {
      portUuid: d.portUuid,
      expected: this.#expectedKey(d, decision, installed),
      wishes: plan.ovsdb.get(d.iface),
    });
  }

  #hostContext(): HostContext {
    const { config, view } = this.#deps;
    const tunBr = config.tunnelTypes.length > 0 ? config.tunnelBridge : undefined;
    const intSide = view.ofport(config.integrationBridge, config.intPeerPatchPort);
    const tunSide = tunBr === undefined ? undefined : view.ofport(tunBr, config.tunPeerPatchPort);
    const physPatches = new Map<string, { intSide: number; physSide: number }>();
    for (const [physnet, bridge] of Object.entries(config.bridgeMappings)) {
      const names = physPatchNames(bridge);
      const i = view.ofport(config.integrationBridge, names.intSide);
      const p = view.ofport(bridge, names.otherSide);
      if (i !== undefined && p !== undefined) physPatches.set(physnet, { intSide: i, physSide: p });
    }
    const datapath = view.bridge(config.integrationBridge)?.datapath_type;
    this.#host = {
      host: config.host,
      integrationBridge: config.integrationBridge,
      tunnelBridge: tunBr,
      physicalBridges: new Map(Object.entries(config.bridgeMappings)),
      datapath: datapath === "netdev" ? "netdev" : "system",
      tunnelTypes: config.tunnelTypes,
      l2Population: config.l2Population,
      arpResponder: config.arpResponder,
      tunPatch: intSide === undefined || tunSide === undefined ? undefined : { intSide, tunSide },
      physPatches,
    };
    return this.#host;
  }

  async #tunnelPorts(
    work: Work,
    networks: Set<string>,
    everything: boolean,
    writes: { count: number },
  ): Promise<TunnelPhase | undefined> {
    const { config, vlans, control } = this.#deps;
    if (config.tunnelTypes.length === 0 || config.localIp === undefined) return undefined;
    const tunnelledChanged = [...networks, ...work.endpoints].some((id) => {
      const v = vlans.get(id);
      return v === undefined || (config.tunnelTypes as readonly string[]).includes(v.networkType);
    });
    if (!everything && !work.host && !tunnelledChanged) return undefined;
    const phase = tunnelPhase({
      view: this.#deps.view,
      bridge: config.tunnelBridge,
      localIp: config.localIp,
      tunnelTypes: config.tunnelTypes,
      l2Population: config.l2Population,
      vlans: vlans.all(),
      control,
      previous: this.#tunnels,
    });
    for (const want of phase.ensure) {
      await this.#deps.ensureTunnelPort(want);
      writes.count++;
      if (want.creating)
        this.#deps.log.info(
          { port: want.name, remoteIp: want.remoteIp, remoteHost: want.remoteHost },
          "tunnel port created",
        );
    }
    this.#tunnels = new Map(phase.ready.map((t) => [t.name, t]));
    this.#staleTunnels = phase.stale;
    for (const [id, list] of phase.flood) {
      if ((this.#flood.get(id) ?? []).join(",") !== list.join(",")) networks.add(id);
    }
    for (const id of this.#flood.keys()) if (!phase.flood.has(id)) networks.add(id);
    this.#flood = new Map(phase.flood);
    return phase;
  }

  #remotePortCandidates(
    work: Work,
    networks: ReadonlySet<string>,
    tunnels: TunnelPhase | undefined,
    everything: boolean,
  ): Set<string> {
    const { control } = this.#deps;
    const out = new Set(work.remotePorts);
    const all = everything || (tunnels?.changedPorts.size ?? 0) > 0;
    for (const id of all ? control.fdb.keys() : []) out.add(id);
    for (const net of networks) for (const id of control.remotePortsOf(net)) out.add(id);
    return out;
  }

  #networkContext(id: string): NetworkContext | undefined {
    const vlan = this.#deps.vlans.get(id);
    if (vlan === undefined) return undefined;
    const { networkId, lvid, ...segment } = vlan;
    return { networkId, lvid, segment, floodOfports: this.#flood.get(id) ?? [] };
  }

  #remotePortContext(id: string): RemotePortContext | undefined {
    const { control, vlans } = this.#deps;
    const entry = control.fdb.get(id);
    if (entry === undefined || entry.host === control.host) return undefined;
    const vlan = vlans.get(entry.network_id);
    if (vlan === undefined || vlan.segmentationId === null) return undefined;
    if (!(this.#deps.config.tunnelTypes as readonly string[]).includes(vlan.networkType)) return undefined;
    const { networkId, lvid, ...segment } = vlan;
    const tunnel = [...this.#tunnels.values()].find(
      (t) => t.type === vlan.networkType && t.remoteHost === entry.host,
    );
    return { entry, network: { id: networkId, lvid, segment }, tunnelOfport: tunnel?.ofport };
  }

  #vifContext(d: Decided, decision: VifDecision): VifContext | undefined {
    const entry = this.#deps.view.port(this.#deps.config.integrationBridge, d.iface);
    if (entry?.iface === undefined) return undefined;
    const networkId = decision.kind === "dead" ? undefined : decision.networkId;
    const vlan = networkId === undefined ? undefined : this.#deps.vlans.get(networkId);
    const portId = d.observation.kind === "vif" ? d.observation.portId : undefined;
    return {
      iface: d.iface,
      ofport: d.observation.ofport,
      state: decision.kind === "wire" ? "wired" : decision.kind === "keep" ? "kept" : "dead",
      portId,
      mac: d.observation.kind === "vif" ? d.observation.mac : undefined,
      network: vlan === undefined ? undefined : { id: vlan.networkId, lvid: vlan.lvid, segment: vlan },
      details:
        decision.kind === "wire" && portId !== undefined ? this.#deps.control.details.get(portId) : undefined,
      rows: this.#rows(entry.port, entry.iface),
    };
  }

  #rows(port: VswitchTables["Port"], iface: VswitchTables["Interface"]): VifRows {
    const cache = this.#deps.view.cache;
    return { port, iface, get: (table, uuid) => cache.get(table, uuid) };
  }

  /** Records the plan's meters; per bridge, what to send around the flows. */
  #meterDeltas(plan: PlanResult): Map<string, MeterDelta> {
    const out = new Map<string, MeterDelta>();
    for (const [bridge, owners] of plan.meters) {
      const sink = this.#deps.meters.get(bridge);
      if (sink === undefined) continue;
      const adds: Meter[] = [];
      const modifies: Meter[] = [];
      const deletes: Meter[] = [];
      for (const [owner, list] of owners.values()) {
        const delta = sink.replace(owner, list);
        adds.push(...delta.adds);
        modifies.push(...delta.modifies);
        deletes.push(...delta.deletes);
      }
      if (adds.length + modifies.length + deletes.length > 0) out.set(bridge, { adds, modifies, deletes });
    }
    return out;
  }

  #desiredOwners(): Map<string, FlowOwner[]> {
    return new Map([...this.#deps.flows].map(([bridge, f]) => [bridge, f.desired.owners()]));
  }

  /**
   * Applies the adding half; a flow that collides with another owner's fails the feature that wanted it
   * (its changes are dropped from the plan) and the rest is applied again.
   */
  async #applyIsolated(
    adding: FlowChanges,
    plan: PlanResult,
    round: PlanRound,
    writes: { count: number },
  ): Promise<PlanResult> {
    let current = adding;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#applyFlows(current, writes);
        return plan;
      } catch (error) {
        if (!(error instanceof FlowConflictError) || attempt > this.#deps.pipeline.features.length)
          throw error;
        const culprit = this.#deps.pipeline.featureOfClass(error.owners[1].ownerClass);
        if (culprit === undefined) throw error;
        round.fail(culprit.feature.name, error.message);
        plan = round.finish();
        current = splitByPhase(plan.changes)[0];
      }
    }
  }

  async #applyFlows(changes: FlowChanges, writes: { count: number }): Promise<void> {
    for (const [bridge, flows] of this.#deps.flows) {
      const perOwner = changes.get(bridge);
      if (perOwner === undefined || perOwner.size === 0) continue;
      const r = await flows.apply(perOwner.values());
      writes.count += r.added + r.modified + r.deleted;
    }
  }

  /** Tags, other_config and the features' OVSDB wishes of every VIF that changes: one transaction. */
  async #writePorts(
    decided: ReadonlyMap<string, Decided>,
    decisions: ReadonlyMap<string, VifDecision>,
    plan: PlanResult,
    writes: { count: number },
  ): Promise<Set<string>> {
    const { db, vlans } = this.#deps;
    const operations: Operation[] = [];
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
        const ops = portOperations(db.ops, want, { tag: d.view.tag, otherConfig: d.view.portOtherConfig });
        if (ops.some((op) => op.op === "update")) tagged.add(d.iface);
        operations.push(...ops);
      }
      this.#expect(d, decision, d.view.externalIds[WeirKeys.installed] !== undefined, plan);
      const wishes = plan.ovsdb.get(d.iface);
      const entry = this.#deps.view.port(this.#deps.config.integrationBridge, d.iface);
      if (wishes === undefined || entry?.iface === undefined) continue;
      const rows = this.#rows(entry.port, entry.iface);
      for (const wish of wishes.values()) operations.push(...wish(rows, db.ops));
    }
    if (operations.length > 0) await transact(db, operations);
    writes.count += operations.length;
    return tagged;
  }

  /** weir-installed on VIFs whose wiring is now confirmed; removed from VIFs that went dead. */
  async #writeMarks(
    decided: ReadonlyMap<string, Decided>,
    decisions: ReadonlyMap<string, VifDecision>,
    tagged: ReadonlySet<string>,
    writes: { count: number },
    plan: PlanResult,
  ): Promise<Set<string>> {
    const { db, vlans } = this.#deps;
    const operations: Operation[] = [];
    const marked = new Set<string>();
    const stamp = new Date().toISOString();
    for (const d of decided.values()) {
      const decision = decisions.get(d.iface)!;
      const installed = d.view.externalIds[WeirKeys.installed] !== undefined;
      if (decision.kind === "wire") {
        const lvid = vlans.get(decision.networkId)!.lvid;
        const known = this.vifs.get(d.iface);
        const record = known?.portUuid === d.portUuid ? known : undefined;
        // A mark already in OVSDB on a port this pass did not re-tag still tells the truth: the same
        // wiring, now confirmed in this generation. Rewriting thousands of them at each restart would
        // only make OVS churn (and once cost 2 s at 5,000 ports).
        const already =
          record?.markedLvid === lvid || (installed && d.view.tag === lvid && !tagged.has(d.iface));
        marked.add(d.iface);
        if (!already) operations.push(markOperation(db.ops, d.view.uuid, stamp));
        this.#expect(d, decision, true, plan);
      } else if (decision.kind === "dead" && installed) {
        operations.push(unmarkOperation(db.ops, d.view.uuid));
        this.#expect(d, decision, false, plan);
      }
    }
    if (operations.length > 0) await transact(db, operations);
    writes.count += operations.length;
    return marked;
  }

  async #deleteStaleTunnels(writes: { count: number }): Promise<void> {
    for (const name of this.#staleTunnels) {
      await this.#deps.deleteTunnelPort(name);
      writes.count++;
      this.#deps.log.info({ port: name }, "tunnel port removed: no shared networks with its host any more");
    }
    this.#staleTunnels = [];
  }

  #featureOutcomes(plan: PlanResult, full: boolean): void {
    for (const [name, error] of plan.failures) {
      if (this.#failed.get(name) !== error) {
        this.#deps.log.error(
          { feature: name, error },
          "feature failed: its flows stay as they were; every other feature goes on",
        );
        this.#deps.onFeatureStatus?.(name, error);
      }
      this.#failed.set(name, error);
    }
    if (plan.failures.size > 0) this.#later(FEATURE_RETRY_MS, true);
    if (!full) return;
    for (const name of [...this.#failed.keys()]) {
      if (plan.failures.has(name)) continue;
      this.#failed.delete(name);
      this.#deps.log.info({ feature: name }, "feature works again");
      this.#deps.onFeatureStatus?.(name, undefined);
    }
  }

  #record(pass: {
    readonly decided: ReadonlyMap<string, Decided>;
    readonly decisions: ReadonlyMap<string, VifDecision>;
    readonly gone: readonly VifRecord[];
    readonly plan: PlanResult;
    readonly contexts: ReadonlyMap<string, VifContext>;
    readonly confirmed: boolean;
    readonly marked: ReadonlySet<string>;
    readonly tagged: ReadonlySet<string>;
  }): void {
    const { decided, decisions, gone, plan, contexts, confirmed, marked } = pass;
    const { log, control, status, vlans } = this.#deps;
    for (const record of gone) {
      this.vifs.delete(record.iface);
      this.#expectedSoon.delete(record.iface);
      this.#warned.delete(record.iface);
      this.#unconfirmed.delete(record.iface);
      if (record.portId !== undefined && this.#byPortId.get(record.portId) === record.iface)
        this.#byPortId.delete(record.portId);
      if (record.portId !== undefined && record.reportedUp) status.queue(record.portId, false);
      this.#setNetworkOf(record.iface, undefined);
      log.info({ iface: record.iface, port: record.portId }, "VIF removed");
      this.#hook((f) => f.onPortRemoved?.(record.iface));
    }
    for (const d of decided.values()) {
      const decision = decisions.get(d.iface)!;
      const previous = this.vifs.get(d.iface);
      const state = stateOf(decision);
      const networkId = decision.kind === "dead" ? undefined : decision.networkId;
      const lvid = networkId === undefined ? undefined : vlans.get(networkId)?.lvid;
      const portId = d.observation.kind === "vif" ? d.observation.portId : undefined;
      let reportedUp = previous?.reportedUp ?? false;
      let markedLvid = previous?.markedLvid;
      if (decision.kind === "wire" && confirmed) {
        markedLvid = lvid;
        if (!reportedUp && portId !== undefined) status.queue(portId, true);
        reportedUp = true;
        this.#unconfirmed.delete(d.iface);
      } else if (decision.kind === "wire") {
        this.#unconfirmed.add(d.iface);
      } else {
        this.#unconfirmed.delete(d.iface);
      }
      if (decision.kind === "dead") {
        markedLvid = undefined;
        const known = portId !== undefined && control.details.has(portId);
        if ((reportedUp || (previous === undefined && known)) && portId !== undefined && confirmed && known)
          status.queue(portId, false);
        if (confirmed) reportedUp = false;
        this.#warnOnce(d.iface, decision.reason, decision.waiting ? "debug" : "warn");
      } else this.#warned.delete(d.iface);
      if (previous === undefined || previous.state !== state || previous.lvid !== lvid) {
        log.info(
          {
            iface: d.iface,
            port: portId,
            state,
            network: networkId,
            lvid,
            reason: decision.kind === "dead" ? decision.reason : undefined,
          },
          "VIF state",
        );
      }
      if (portId !== undefined) this.#byPortId.set(portId, d.iface);
      this.#setNetworkOf(d.iface, portId === undefined ? undefined : control.details.get(portId)?.network_id);
      if (
        previous?.portId !== undefined &&
        previous.portId !== portId &&
        this.#byPortId.get(previous.portId) === d.iface
      )
        this.#byPortId.delete(previous.portId);
      const wasInstalled = d.view.externalIds[WeirKeys.installed] !== undefined;
      const installed =
        decision.kind === "wire" && marked.has(d.iface)
          ? true
          : decision.kind === "dead" && confirmed
            ? false
            : wasInstalled;
      const record: VifRecord = {
        iface: d.iface,
        portUuid: d.portUuid,
        portId,
        state,
        networkId,
        lvid,
        reason: decision.kind === "dead" ? decision.reason : undefined,
        markedLvid,
        reportedUp,
        expected: this.#expectedKey(d, decision, installed),
        wishes: plan.ovsdb.get(d.iface),
      };
      this.vifs.set(d.iface, record);
      this.#expectedSoon.delete(d.iface);
      const context = contexts.get(d.iface);
      if (context !== undefined) {
        if (previous === undefined) this.#hook((f) => f.onPortAdded?.(context));
        else if (previous.state !== state || previous.lvid !== lvid)
          this.#hook((f) => f.onPortUpdated?.(context));
      }
    }
  }

  #setNetworkOf(iface: string, networkId: string | undefined): void {
    const before = this.#networkOfVif.get(iface);
    if (before === networkId) return;
    if (before !== undefined) {
      this.#onNetwork.get(before)?.delete(iface);
      if (this.#onNetwork.get(before)?.size === 0) this.#onNetwork.delete(before);
      this.#networkOfVif.delete(iface);
    }
    if (networkId === undefined) return;
    const set = this.#onNetwork.get(networkId) ?? new Set<string>();
    set.add(iface);
    this.#onNetwork.set(networkId, set);
    this.#networkOfVif.set(iface, networkId);
  }

  #hook(call: (feature: Pipeline["features"][number]["feature"]) => void): void {
    for (const f of this.#deps.pipeline.features) {
      try {
        call(f.feature);
      } catch (error) {
        this.#deps.log.warn({ feature: f.feature.name, error: describeError(error) }, "feature hook failed");
      }
    }
  }

  #requestDetails(decided: ReadonlyMap<string, Decided>, decisions: ReadonlyMap<string, VifDecision>): void {
    const { control, server, log } = this.#deps;
    if (!this.#deps.isOnline() || !control.synced) return;
    const wanted: string[] = [];
    for (const d of decided.values()) {
      const decision = decisions.get(d.iface)!;
      if (decision.kind !== "dead" || !decision.waiting || d.observation.kind !== "vif") continue;
      if (this.#detailsInFlight.has(d.observation.portId)) continue;
      wanted.push(d.observation.portId);
    }
    if (wanted.length === 0) return;
    for (const id of wanted) this.#detailsInFlight.add(id);
    void server
      .deviceDetails(wanted)
      .then(
        (reply) =>
          this.onControlChange(control.applyDetails(reply.devices, reply.failed, reply.qos?.policies)),
        (error) =>
          log.warn({ error: describeError(error), ports: wanted.length }, "port details request failed"),
      )
      .finally(() => {
        for (const id of wanted) this.#detailsInFlight.delete(id);
      });
  }

  /** A dead VIF's reason is logged once per change, not on every pass. */
  #warnOnce(iface: string, reason: string, level: "warn" | "debug"): void {
    if (this.#warned.get(iface) === reason) return;
    this.#warned.set(iface, reason);
    this.#deps.log[level](
      { iface, reason },
      level === "warn" ? "VIF parked on the dead VLAN" : "VIF not ready",
    );
  }
}

function stateOf(decision: VifDecision): VifState {
  return decision.kind === "wire" ? "wired" : decision.kind === "keep" ? "kept" : "dead";
}

function withoutNetworkKeys(otherConfig: Readonly<Record<string, string>>): Record<string, string> {
  const { net_uuid: _n, network_type: _t, physical_network: _p, segmentation_id: _s, ...rest } = otherConfig;
  return rest;
}

/** What of the host a pass's base and network flows depend on. */
function hostKeyOf(host: HostContext): string {
  return JSON.stringify([host.datapath, host.tunPatch, [...host.physPatches]]);
}

/** Owners whose flows go away are applied after the port changes; everything else before. */
function splitByPhase(changes: FlowChanges): [FlowChanges, FlowChanges] {
  const adding: FlowChanges = new Map();
  const removing: FlowChanges = new Map();
  for (const [bridge, perOwner] of changes) {
    for (const [id, change] of perOwner) {
      const target = change[1].length > 0 ? adding : removing;
      const m = target.get(bridge) ?? new Map<string, readonly [FlowOwner, readonly Flow[]]>();
      target.set(bridge, m);
      m.set(id, change);
    }
  }
  return [adding, removing];
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
