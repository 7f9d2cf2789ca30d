/**
 * The agent's one loop: it looks at what changed (in OVSDB, from the server), decides the VIFs it
 * touches, asks the features for their flows, and makes OVS match — in an order that never opens a gap:
 *
 *   1. meters, then flows that are added or changed (a new network's translation, a drop flow for a
 *      port going dead)
 *   2. Port.tag / other_config of every VIF that changes, and the features' OVSDB wishes (QoS): one
 *      OVSDB transaction
 *   3. flows that go away (the drop flow of a port coming alive, a network that left), then their meters
 *   4. only once every bridge's flows are confirmed on the switch: weir-installed marks, ports reported
 *      up/down, tunnel ports no longer needed deleted (and only after the generation swap)
 *
 * This file keeps that order and does the I/O; each phase is a function or a small class that returns
 * values: relevance.ts (what concerns this host), decide.ts, local-vlan-users.ts, tunnel-phase.ts,
 * contexts.ts, planner.ts, apply.ts (isolating features), port-writes.ts, vif-book.ts (what is written
 * down). A pass looks at what changed since the last one (work.ts), so it costs what changed, not what
 * the host holds: the echo of the agent's own writes (echoes.ts) and server events that change nothing
 * it forwards do not even start one.
 */
import { backoffDelay, defaultBackoff, describeError, type Log } from "../../base/index.ts";
import type { FlowOwner } from "../../openflow/index.ts";
import { transact, type VswitchDb } from "../../ovs/index.ts";
import type { CacheEvent, VswitchTables } from "../../ovsdb/index.ts";
import type { AgentConfig } from "../config.ts";
import { type ControlChange, type ControlState, isEmptyChange } from "../control/state.ts";
import type { StatusReports } from "../control/status-reports.ts";
import { physPatchNames } from "../host/bridges.ts";
import type { OvsView } from "../host/ovs-view.ts";
import type { TunnelPortWant } from "../host/tunnel-ports.ts";
import type { HostContext, VifContext } from "../pipeline/feature.ts";
import { callFeatures } from "../pipeline/hooks.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import type { VifDecision } from "../ports/decisions.ts";
import type { LocalVlans } from "../ports/local-vlans.ts";
import { applyAdding, applyFlows, FullPassNeededError } from "./apply.ts";
import { hostContext, hostKeyOf, networkContext, remotePortContext, vifContext } from "./contexts.ts";
import { Claims, type Decided, decide } from "./decide.ts";
import { DetailsRequests, type DetailsSource } from "./details-requests.ts";
import { Echoes } from "./echoes.ts";
import { FeatureHealth, type HealthListeners } from "./feature-health.ts";
import { LocalVlanUsers } from "./local-vlan-users.ts";
import { Planner, type PlanResult, type PlanRound } from "./planner.ts";
import { markWrites, portWrites, type Writes } from "./port-writes.ts";
import { forwardingHere, isQuiet, type RelevanceScope, type Rereads, rereads } from "./relevance.ts";
import type { FlowSink, MeterSink } from "./sinks.ts";
import { type TunnelPhase, tunnelPhase } from "./tunnel-phase.ts";
import { TunnelState } from "./tunnel-state.ts";
import { VifBook } from "./vif-book.ts";
import type { VifRecord, VifState } from "./vif-records.ts";
import { Wakeups } from "./wakeups.ts";
import { Work } from "./work.ts";

export type { FlowSink, MeterSink, VifRecord, VifState };

/** What the converger changes on the switch besides VIF rows. */
export interface SwitchActions {
  /** bridge name → its flows, in apply order: physical bridges, tunnel bridge, integration bridge. */
  readonly flows: ReadonlyMap<string, FlowSink>;
  readonly meters: ReadonlyMap<string, MeterSink>;
  /** Puts back bridges and patch ports that someone removed or changed; true if it did anything. */
  repairBridges(): Promise<boolean>;
  ensureTunnelPort(want: TunnelPortWant & { creating: boolean }): Promise<void>;
  deleteTunnelPort(name: string): Promise<void>;
}

/** The server as the converger uses it: details of ports it did not tell about, status reports. */
export interface ServerLink extends DetailsSource {
  readonly status: StatusReports;
  isOnline(): boolean;
}

export interface ConvergerListeners extends HealthListeners {
  /** Told after each pass whether it changed anything. */
  readonly onPass?: (result: "changed" | "idle") => void;
}

export interface ConvergerDeps {
  readonly config: AgentConfig;
  readonly pipeline: Pipeline;
  readonly log: Log;
  readonly db: VswitchDb;
  readonly view: OvsView;
  readonly switch: SwitchActions;
  readonly vlans: LocalVlans;
  /** What the server said. */
  readonly control: ControlState;
  readonly server: ServerLink;
  /** True once this run's generation replaced the previous one on every bridge. */
  readonly isSwapped: () => boolean;
  readonly listeners?: ConvergerListeners;
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

/** A full pass is retried after this long while a feature fails (its flows stay as they were meanwhile). */
export const FEATURE_RETRY_MS = 30_000;
/** How often to look again at ports whose flows were not confirmed yet, when no event comes. */
const CONFIRM_RETRY_MS = 250;

/** One pass's view of what to look at. */
interface Look {
  readonly full: boolean;
  /** Full, or the host changed (patch ports): base and network flows are planned again. */
  readonly everything: boolean;
  readonly host: HostContext;
  readonly candidates: Set<string>;
  readonly rereads: Rereads;
}

/** The tunnel phase's result, and the remote hosts whose tunnel ports changed. */
type ChangedTunnels = TunnelPhase & { readonly changedHosts: ReadonlySet<string> };

/** One pass's decisions. */
interface Decisions {
  readonly decided: Map<string, Decided>;
  readonly decisions: Map<string, VifDecision>;
  readonly gone: readonly VifRecord[];
  readonly unready: ReadonlyMap<string, string>;
  /** Networks whose flows are planned again. */
  readonly networks: Set<string>;
}

export class Converger {
  readonly counts: PassCounts = { passes: 0, idle: 0, failures: 0, vifsDecided: 0 };
  readonly #deps: ConvergerDeps;
  readonly #planner: Planner;
  readonly #claims = new Claims();
  readonly #users: LocalVlanUsers;
  readonly #work = new Work();
  readonly #echoes: Echoes;
  readonly #book: VifBook;
  readonly #health: FeatureHealth;
  readonly #tunnels = new TunnelState();
  readonly #details: DetailsRequests;
  readonly #wakeups: Wakeups;
  readonly #scope: RelevanceScope;
  /** Names of br-int's patch ports: a change to one may need a repair. */
  readonly #patchPorts: ReadonlySet<string>;
  /** Other hosts' ports with flows here (their l2-population and ARP flows). */
  readonly #remoteHere = new Set<string>();
  #hostKey = "";
  #chain: Promise<unknown> = Promise.resolve();
  #scheduled = false;
  #closed = false;
  #failuresInRow = 0;

  constructor(deps: ConvergerDeps) {
    const { config, view, vlans, log, control, pipeline } = deps;
    this.#deps = deps;
    this.#planner = new Planner(pipeline);
    this.#users = new LocalVlanUsers(vlans);
    const bridge = config.integrationBridge;
    this.#echoes = new Echoes({ integrationBridge: bridge, view, vlans, ops: deps.db.ops, log });
    this.#book = new VifBook({
      log,
      control,
      status: deps.server.status,
      vlans,
      echoes: this.#echoes,
      hooks: (call) => callFeatures(pipeline.features, log, call),
    });
    this.#health = new FeatureHealth(log, deps.listeners ?? {});
    this.#details = new DetailsRequests(deps.server, control, log, (change) => this.onControlChange(change));
    this.#wakeups = new Wakeups((reason) => {
      if (reason !== "unconfirmed") this.#work.full = true;
      this.#wake();
    });
    this.#scope = {
      vlans,
      control,
      hasVifOf: (id) => this.#book.ifaceOf(id) !== undefined || this.#claims.of(id).length > 0,
      hasVifOn: (id) => this.#book.hasVifOn(id),
      hasRemoteFlows: (id) => this.#remoteHere.has(id),
      isRead: (key) => this.#planner.isRead(key),
    };
    this.#patchPorts = new Set([
      config.intPeerPatchPort,
      ...Object.values(config.bridgeMappings).map((b) => physPatchNames(b).intSide),
    ]);
    this.#work.full = true;
    for (const flows of deps.switch.flows.values())
      flows.onInSync(() => {
        if (this.#book.pending.size > 0) this.#wake();
      });
  }

  get vifs(): ReadonlyMap<string, VifRecord> {
    return this.#book.records;
  }

  /** Features failing now, with their last error. */
  get failedFeatures(): ReadonlyMap<string, string> {
    return this.#health.failed;
  }

  /** Feeds the replica's changes; the echo of the agent's own writes triggers nothing. */
  onOvsdbEvents(events: readonly CacheEvent<VswitchTables>[]): void {
    const changes = this.#deps.view.apply(events);
    const bridge = this.#deps.config.integrationBridge;
    const records = this.#book.records;
    const news = changes.ports.filter(
      (p) =>
        p.bridge !== bridge ||
        this.#patchPorts.has(p.name) ||
        !(
          this.#echoes.settled(p.name, records.get(p.name)) ||
          this.#echoes.notYet(p.name, records.has(p.name))
        ),
    );
    if (news.length === 0 && changes.bridges.size === 0) return;
    this.#work.addView({ ports: news, bridges: changes.bridges }, bridge);
    this.#wake();
  }

  /** Feeds what the server changed (ControlState says what); what concerns nothing here triggers nothing. */
  onControlChange(change: ControlChange): void {
    const relevant = change.full ? change : forwardingHere(change, this.#scope);
    if (isEmptyChange(relevant)) return;
    this.#work.addControl(relevant);
    this.#wake();
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
    this.#wakeups.clear();
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

  async #runPass(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#pass();
      this.#failuresInRow = 0;
    } catch (error) {
      if (error instanceof FullPassNeededError) {
        this.#deps.log.info({ reason: error.message }, "a full pass follows");
        this.triggerFull();
        return;
      }
      this.counts.failures++;
      const delay = backoffDelay(defaultBackoff, this.#failuresInRow++);
      this.#deps.log.warn(
        { error: describeError(error), retryInMs: delay },
        "convergence pass failed; retrying",
      );
      this.#wakeups.after("pass-failed", delay);
    }
  }

  async #pass(): Promise<void> {
    if (this.#closed) return;
    const work = this.#work.take();
    if (work.empty && !(this.#book.pending.size > 0 && this.#confirmed())) return;
    try {
      const acted = await this.#converge(work);
      if (acted) this.counts.passes++;
      else this.counts.idle++;
      this.#deps.listeners?.onPass?.(acted ? "changed" : "idle");
    } catch (error) {
      this.#work.merge(work);
      throw error;
    }
  }

  /** One pass over `work`, in the order above; false when it turned out to change nothing. */
  async #converge(work: Work): Promise<boolean> {
    const started = performance.now();
    // flowsMs: the flow changes' diff and bundles, until the switch confirmed them (the log says it).
    const writes = { count: 0, flowsMs: 0 };
    const look = await this.#look(work);
    if (look === undefined) return false;
    const d = this.#decide(look, work);
    const tunnels = await this.#tunnelPorts(work, d.networks, look.everything, writes);
    const { round, plan: first, contexts } = this.#plan(look, d, work, tunnels);
    const planned = performance.now();

    const { switch: sw, pipeline } = this.#deps;
    const applied = await applyAdding({ pipeline, flows: sw.flows, meters: sw.meters }, round, first, {
      full: look.full,
      writes,
    });
    const { plan } = applied;
    const ports = portWrites(this.#writeSources(), d.decided, d.decisions, plan);
    await this.#send(ports, plan, writes);
    await applyFlows(sw.flows, applied.removing, writes);
    for (const [bridge, delta] of applied.meterDeletes) await sw.meters.get(bridge)!.delete(delta);
    if (this.#health.outcome(plan.failures, look.full))
      this.#wakeups.after("feature-failed", FEATURE_RETRY_MS);

    const confirmed = this.#confirmed();
    const marked = confirmed ? await this.#mark(d, ports.tagged, plan, writes) : new Set<string>();
    if (confirmed && this.#tunnels.stale.length > 0 && this.#deps.isSwapped())
      await this.#deleteStaleTunnels(writes);
    this.#book.write({ ...d, plan, contexts, confirmed, marked });
    this.#afterPass(d, look, confirmed);
    this.#deps.log.debug(
      {
        vifs: d.decided.size,
        full: look.full,
        ms: Math.round(performance.now() - started),
        planMs: Math.round(planned - started),
        flowsMs: Math.round(writes.flowsMs),
      },
      "convergence pass",
    );
    return writes.count > 0 || d.decided.size > 0 || d.gone.length > 0;
  }

  /** What to look at, after putting back bridges and patch ports; undefined: nothing here changed. */
  async #look(work: Work): Promise<Look | undefined> {
    if (this.#mayNeedRepair(work) && (await this.#deps.switch.repairBridges())) work.host = true;
    const host = hostContext(this.#deps);
    const full = work.full;
    const everything = full || this.#hostKey !== hostKeyOf(host);
    const reread = rereads(work.sections, (key) => this.#planner.readersOf(key));
    const candidates = this.#candidates(work, everything, reread.vifs);
    if (!everything && candidates.size === 0 && isQuiet(work, this.#scope)) return undefined;
    return { full, everything, host, candidates, rereads: reread };
  }

  #mayNeedRepair(work: Work): boolean {
    if (work.full || work.host || work.bridges.size > 0) return true;
    for (const name of work.vifs) if (this.#patchPorts.has(name)) return true;
    return false;
  }

  /** Interfaces on br-int to decide: changed ones, their ports', their networks', readers of sections. */
  #candidates(work: Work, everything: boolean, rereadVifs: ReadonlySet<string>): Set<string> {
    const { view, config } = this.#deps;
    const records = this.#book.records;
    const out = new Set<string>(everything ? view.portNames(config.integrationBridge) : []);
    for (const name of work.vifs) if (!this.#echoes.settled(name, records.get(name))) out.add(name);
    if (this.#confirmed()) for (const iface of this.#book.pending) out.add(iface);
    for (const id of work.portIds) {
      const iface = this.#book.ifaceOf(id);
      if (iface !== undefined) out.add(iface);
      else for (const claimant of this.#claims.of(id)) out.add(claimant);
    }
    for (const id of work.networks) {
      for (const iface of this.#users.of(id)) out.add(iface);
      for (const iface of this.#book.vifsOn(id)) out.add(iface);
    }
    for (const iface of rereadVifs) out.add(iface);
    return out;
  }

  /** Decides the candidates, and the local VLANs that follow them. */
  #decide(look: Look, work: Work): Decisions {
    const { config, log, control, vlans, view } = this.#deps;
    const { decided, gone, unready } = decide(look.candidates, {
      view,
      integrationBridge: config.integrationBridge,
      records: this.#book.records,
      claims: this.#claims,
      control,
      host: {
        physicalNetworks: new Set(Object.keys(config.bridgeMappings)),
        tunnelTypes: config.tunnelTypes,
      },
      vlans,
    });
    for (const [iface, reason] of unready) this.#book.unready(iface, reason);
    this.counts.vifsDecided += decided.size;
    const { decisions, changed } = this.#users.apply(
      decided,
      gone.map((r) => r.iface),
      log,
      look.full,
    );
    const networks = new Set([
      ...changed,
      ...work.networks,
      ...look.rereads.networks,
      ...(look.everything ? vlans.all().map((v) => v.networkId) : []),
    ]);
    return { decided, decisions, gone, unready, networks };
  }

  /** Tunnel ports this host needs, created before any flow uses them; the networks whose floods changed. */
  async #tunnelPorts(
    work: Work,
    networks: Set<string>,
    everything: boolean,
    writes: { count: number },
  ): Promise<ChangedTunnels | undefined> {
    const { config, vlans, control, log } = this.#deps;
    if (config.tunnelTypes.length === 0 || config.localIp === undefined) return undefined;
    const tunnelled = (type: string) => (config.tunnelTypes as readonly string[]).includes(type);
    // A network that is tunnelled, or was (its flood list goes), or lost its VLAN.
    const touched = [...networks, ...work.endpoints].some((id) => {
      const v = vlans.get(id);
      return v === undefined || tunnelled(v.networkType) || this.#tunnels.hadFlood(id);
    });
    if (!everything && !work.host && !touched) return undefined;
    const phase = tunnelPhase({
      view: this.#deps.view,
      bridge: config.tunnelBridge,
      localIp: config.localIp,
      tunnelTypes: config.tunnelTypes,
      l2Population: config.l2Population,
      vlans: vlans.all(),
      control,
      previous: this.#tunnels.ready,
    });
    for (const want of phase.ensure) {
      await this.#deps.switch.ensureTunnelPort(want);
      writes.count++;
      if (want.creating)
        log.info(
          { port: want.name, remoteIp: want.remoteIp, remoteHost: want.remoteHost },
          "tunnel port created",
        );
    }
    const hosts = new Set<string>();
    for (const [name, t] of phase.changedPorts) {
      const host = t?.remoteHost ?? this.#tunnels.ready.get(name)?.remoteHost;
      if (host !== undefined) hosts.add(host);
    }
    for (const id of this.#tunnels.update(phase)) networks.add(id);
    return { ...phase, changedHosts: hosts };
  }

  /** Asks every feature for the objects this pass looks at. */
  #plan(
    look: Look,
    d: Decisions,
    work: Work,
    tunnels: ChangedTunnels | undefined,
  ): { round: PlanRound; plan: PlanResult; contexts: Map<string, VifContext> } {
    const { control, switch: sw } = this.#deps;
    const round = this.#planner.round(look.host, control, {
      bridges: [...sw.flows.keys()],
      has: (bridge, owner) => sw.flows.get(bridge)?.desired.has(owner) ?? false,
      hasMeters: (bridge, owner) => (sw.meters.get(bridge)?.metersOf(owner).length ?? 0) > 0,
    });
    if (look.everything || look.rereads.base) round.base();
    for (const id of d.networks) round.network(id, networkContext(this.#deps, id, this.#tunnels.floodOf(id)));
    const tunnelPorts = new Map(tunnels?.changedPorts ?? []);
    for (const name of look.rereads.tunnelPorts) tunnelPorts.set(name, this.#tunnels.ready.get(name));
    if (look.everything) for (const [name, t] of this.#tunnels.ready) tunnelPorts.set(name, t);
    for (const [name, t] of tunnelPorts) round.tunnelPort(name, t);
    for (const id of this.#remotePorts(work, look, d.networks, tunnels?.changedHosts)) {
      const context = remotePortContext(this.#deps, id, this.#tunnels.ready.values());
      if (context === undefined) this.#remoteHere.delete(id);
      else this.#remoteHere.add(id);
      round.remotePort(id, context);
    }
    const contexts = new Map<string, VifContext>();
    for (const v of d.decided.values()) {
      const context = vifContext(this.#deps, v, d.decisions.get(v.iface)!);
      if (context !== undefined) contexts.set(v.iface, context);
      round.vif(v.iface, context);
    }
    for (const r of d.gone) if (!d.decided.has(r.iface)) round.vif(r.iface, undefined);
    for (const iface of d.unready.keys()) round.keepVif(iface);
    if (look.full) round.sweep(this.#desiredOwners());
    return { round, plan: round.finish(), contexts };
  }

  /** Other hosts' ports to plan: changed ones, those on planned networks, those behind changed tunnels. */
  #remotePorts(
    work: Work,
    look: Look,
    networks: ReadonlySet<string>,
    changedHosts: ReadonlySet<string> | undefined,
  ): Set<string> {
    const { control } = this.#deps;
    const out = new Set([...work.remotePorts, ...look.rereads.remotePorts]);
    if (look.everything) for (const id of control.fdb.keys()) out.add(id);
    else if (changedHosts !== undefined && changedHosts.size > 0)
      for (const [id, entry] of control.fdb) if (changedHosts.has(entry.host)) out.add(id);
    for (const net of networks) for (const id of control.remotePortsOf(net)) out.add(id);
    return out;
  }

  #desiredOwners(): Map<string, FlowOwner[]> {
    return new Map([...this.#deps.switch.flows].map(([bridge, f]) => [bridge, f.desired.owners()]));
  }

  /** Sends OVSDB writes in one transaction; their echo is expected before it is sent, and not after a failure. */
  async #send(writes: Writes, plan: PlanResult, counter: { count: number }): Promise<void> {
    const undos = writes.expectations.map((e) =>
      this.#echoes.expect(e.d, e.decision, e.installed, plan.ovsdb.get(e.d.iface)),
    );
    if (writes.operations.length === 0) return;
    try {
      await transact(this.#deps.db, writes.operations);
    } catch (error) {
      for (const undo of undos.reverse()) undo();
      throw error;
    }
    counter.count += writes.operations.length;
  }

  async #mark(
    d: Decisions,
    tagged: ReadonlySet<string>,
    plan: PlanResult,
    counter: { count: number },
  ): Promise<Set<string>> {
    const marks = markWrites(this.#writeSources(), d.decided, d.decisions, tagged, this.#book.records);
    await this.#send(marks, plan, counter);
    return marks.marked;
  }

  async #deleteStaleTunnels(writes: { count: number }): Promise<void> {
    for (const name of this.#tunnels.stale) {
      await this.#deps.switch.deleteTunnelPort(name);
      writes.count++;
      this.#deps.log.info({ port: name }, "tunnel port removed: no shared networks with its host any more");
    }
    this.#tunnels.clearStale();
  }

  /** What follows every pass: details asked for, status sent, the unconfirmed looked at again later. */
  #afterPass(d: Decisions, look: Look, confirmed: boolean): void {
    const { control, server } = this.#deps;
    if (server.isOnline()) this.#details.request(d.decided, d.decisions);
    if (look.full) control.pruneUnknown((id) => this.#claims.of(id).length > 0);
    void server.status.flush();
    if (!confirmed && this.#book.pending.size > 0) this.#wakeups.after("unconfirmed", CONFIRM_RETRY_MS);
    this.#hostKey = hostKeyOf(look.host);
  }

  #writeSources() {
    const { config, view, vlans, db } = this.#deps;
    return { integrationBridge: config.integrationBridge, view, vlans, ops: db.ops };
  }

  #confirmed(): boolean {
    for (const f of this.#deps.switch.flows.values()) if (!f.inSync) return false;
    return true;
  }
}
