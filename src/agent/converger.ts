/**
 * The agent's one loop: look at OVSDB and at what the server said, decide every VIF, and make OVS match —
 * local VLANs, tunnel ports, flows, Port tags — in an order that never opens a gap:
 *
 *   1. flows that are added or changed (a new network's translation, a drop flow for a port going dead)
 *   2. Port.tag / other_config of every VIF that changes, in one OVSDB transaction
 *   3. flows that go away (the drop flow of a port coming alive, a network that left)
 *   4. only when the flows are confirmed on the switch: weir-installed marks, ports reported up/down,
 *      tunnel ports no longer needed deleted (and only after a full sync with the server)
 *
 * Passes are triggered by changes (OVSDB monitor, server events) and coalesce: a burst of a thousand
 * new ports is a handful of passes, each one OVSDB transaction and one bundle per bridge.
 */
import type { Logger } from "pino";
import { describeError } from "../base/index.ts";
import type { BridgeFlows, Flow } from "../openflow/index.ts";
import { deletePort, ensurePort, transact, tunnelPort, type VswitchDb } from "../ovs/index.ts";
import type { Operation } from "../ovsdb/index.ts";
import { physPatchNames } from "./bridges.ts";
import type { AgentConfig } from "./config.ts";
import type { ControlState } from "./control-state.ts";
import {
  type FlowChanges,
  type FlowInputs,
  FlowPlanner,
  ownerPlans,
  type TunnelPortState,
} from "./flow-plan.ts";
import {
  LocalVlanExhaustedError,
  type LocalVlans,
  portNetworkKeys,
  segmentToOtherConfig,
} from "./local-vlans.ts";
import { OvsSnapshot, type VswitchCache } from "./ovs-snapshot.ts";
import { DEAD_VLAN } from "./pipeline/tables.ts";
import type { ServerClient } from "./server-client.ts";
import {
  parseTunnelPort,
  TUNNEL_NETWORKS_KEY,
  TUNNEL_REMOTE_HOST_KEY,
  type TunnelPortWant,
  wantedTunnelPorts,
} from "./tunnels.ts";
import { decideVif, type HostCapabilities, type VifDecision } from "./vif-decisions.ts";
import { classifyVifs } from "./vifs.ts";

/** Interface.external_ids key the agent sets when a port's flows are confirmed in place. */
export const INSTALLED_KEY = "weir-installed";

export type VifState = "wired" | "dead" | "kept";

export interface VifRecord {
  readonly iface: string;
  readonly portUuid: string;
  readonly portId: string | undefined;
  readonly state: VifState;
  readonly networkId: string | undefined;
  readonly lvid: number | undefined;
  readonly reason: string | undefined;
  /** The local VLAN at which weir-installed was last confirmed in this run. */
  readonly markedLvid: number | undefined;
  readonly reportedUp: boolean;
}

export interface ConvergerDeps {
  readonly config: AgentConfig;
  readonly db: VswitchDb;
  readonly cache: VswitchCache;
  /** bridge name → its flows; apply order: physical bridges, tunnel bridge, integration bridge. */
  readonly flows: ReadonlyMap<string, BridgeFlows>;
  readonly bridgeOrder: readonly string[];
  readonly vlans: LocalVlans;
  readonly control: ControlState;
  readonly client: ServerClient;
  readonly log: Logger;
  readonly isOnline: () => boolean;
  /** True once this run's generation replaced the previous one on every bridge. */
  readonly isFullySynced: () => boolean;
  /** Re-creates or repairs agent bridges that drifted (deleted, fail_mode changed); true if it acted. */
  readonly repairBridges: (snapshot: OvsSnapshot) => Promise<boolean>;
}

export interface PassStats {
  readonly passes: number;
  readonly failures: number;
  readonly lastPassMs: number;
}

interface Decided {
  readonly iface: string;
  readonly ifaceUuid: string | undefined;
  readonly portUuid: string;
  readonly portId: string | undefined;
  readonly tag: number | null;
  readonly otherConfig: Readonly<Record<string, string>>;
  readonly installed: boolean;
  decision: VifDecision;
}

export class Converger {
  readonly vifs = new Map<string, VifRecord>();
  readonly #deps: ConvergerDeps;
  readonly #planner = new FlowPlanner();
  readonly #host: HostCapabilities;
  #chain: Promise<unknown> = Promise.resolve();
  #scheduled = false;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;
  #failuresInRow = 0;
  #passes = 0;
  #failures = 0;
  #lastPassMs = 0;
  readonly #warned = new Map<string, string>();
  readonly #detailsInFlight = new Set<string>();
  readonly #statusUp = new Set<string>();
  readonly #statusDown = new Set<string>();
  #statusFlushing = false;

  constructor(deps: ConvergerDeps) {
    this.#deps = deps;
    this.#host = {
      physicalNetworks: new Set(Object.keys(deps.config.bridgeMappings)),
      tunnelTypes: deps.config.tunnelTypes,
    };
  }

  get stats(): PassStats {
    return { passes: this.#passes, failures: this.#failures, lastPassMs: this.#lastPassMs };
  }

  /** Asks for a pass; passes requested while one runs coalesce into one more. */
  trigger(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    setImmediate(() => {
      void this.exclusive(async () => {
        this.#scheduled = false;
        await this.#runPass();
      });
    });
  }

  /** Runs `work` between passes (the generation swap, bridge repair). */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(work, work);
    this.#chain = next.catch(() => {});
    return next;
  }

  /** A pass now, awaited; throws what the pass threw. */
  passNow(): Promise<void> {
    return this.exclusive(() => this.#pass());
  }

  /** Resolves when no pass is scheduled or running (tests, start-up report). */
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

  async #runPass(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#pass();
      this.#failuresInRow = 0;
    } catch (error) {
      this.#failures++;
      const delay = Math.min(5_000, 100 * 2 ** this.#failuresInRow++);
      this.#deps.log.warn(
        { error: describeError(error), retryInMs: delay },
        "convergence pass failed; retrying",
      );
      clearTimeout(this.#retry);
      this.#retry = setTimeout(() => this.trigger(), delay);
      this.#retry.unref();
    }
  }

  async #pass(): Promise<void> {
    if (this.#closed) return;
    const started = performance.now();
    this.#passes++;
    const { config, vlans, control, log } = this.#deps;
    let snapshot = new OvsSnapshot(this.#deps.cache);
    if (await this.#deps.repairBridges(snapshot)) snapshot = new OvsSnapshot(this.#deps.cache);
    const intBr = config.integrationBridge;
    const ports = snapshot.ports(intBr);
    const views = snapshot.interfaceViews(intBr);
    const observations = classifyVifs(views);

    // ── decide every VIF ───────────────────────────────────────────────────────────────────────────
    const decided = new Map<string, Decided>();
    const gone: VifRecord[] = [];
    const carried = new Set<string>(); // networks held by VIFs OVS cannot use right now (ofport pending)
    for (const view of views) {
      const observation = observations.get(view.name);
      if (observation === undefined) continue;
      const entry = ports.get(view.portName)!;
      const record = this.vifs.get(view.name);
      if (observation.kind === "unready") {
        this.#warnOnce(view.name, observation.reason, "debug");
        if (record?.networkId !== undefined && record.portUuid === entry.port._uuid)
          carried.add(record.networkId);
        continue;
      }
      const decision = decideVif(
        observation,
        { tag: entry.port.tag, otherConfig: entry.port.other_config },
        control,
        this.#host,
        (networkId) => vlans.get(networkId)?.lvid,
      );
      decided.set(view.name, {
        iface: view.name,
        ifaceUuid: view.uuid,
        portUuid: entry.port._uuid,
        portId: observation.kind === "vif" ? observation.portId : undefined,
        tag: entry.port.tag,
        otherConfig: entry.port.other_config,
        installed: view.externalIds[INSTALLED_KEY] !== undefined,
        decision,
      });
    }
    for (const record of this.vifs.values()) {
      const now = decided.get(record.iface);
      const stillThere = ports.get(record.iface)?.port._uuid === record.portUuid;
      if (now === undefined && !stillThere) gone.push(record);
      else if (now !== undefined && now.portUuid !== record.portUuid) gone.push(record);
    }

    // ── local VLANs ───────────────────────────────────────────────────────────────────────────────
    const used = new Set<string>(carried);
    for (const d of decided.values()) {
      if (d.decision.kind === "wire") {
        try {
          vlans.allocate(d.decision.networkId, d.decision.segment);
          used.add(d.decision.networkId);
        } catch (error) {
          if (!(error instanceof LocalVlanExhaustedError)) throw error;
          d.decision = { kind: "dead", reason: error.message };
        }
      } else if (d.decision.kind === "keep") {
        used.add(d.decision.networkId);
      }
    }
    for (const vlan of vlans.all()) {
      if (!used.has(vlan.networkId)) {
        vlans.release(vlan.networkId);
        log.info(
          { network: vlan.networkId, lvid: vlan.lvid },
          "local VLAN released: no ports of the network left",
        );
      }
    }
    for (const d of decided.values()) {
      if (d.decision.kind === "dead")
        this.#warnOnce(d.iface, d.decision.reason, d.decision.waiting ? "debug" : "warn");
      else this.#warned.delete(d.iface);
    }

    // ── tunnel ports ──────────────────────────────────────────────────────────────────────────────
    const tunBr = config.tunnelTypes.length > 0 ? config.tunnelBridge : undefined;
    const tunnels: TunnelPortState[] = [];
    let staleTunnels: string[] = [];
    if (tunBr !== undefined && config.localIp !== undefined) {
      const wanted = wantedTunnelPorts(
        vlans
          .all()
          .filter((v) => (config.tunnelTypes as readonly string[]).includes(v.networkType))
          .map((v) => ({
            networkId: v.networkId,
            type: v.networkType as TunnelPortWant["type"],
            remotes: (control.endpoints.get(v.networkId) ?? []).filter((e) => e.host !== control.host),
          })),
        config.localIp,
      );
      const existing = new Map<string, TunnelPortWant>();
      for (const [name, { iface }] of snapshot.ports(tunBr)) {
        if (iface === undefined) continue;
        const parsed = parseTunnelPort(name, iface.type, iface.options, iface.external_ids);
        if (parsed !== undefined) existing.set(name, parsed);
      }
      for (const want of wanted.values()) {
        const have = existing.get(want.name);
        if (
          have === undefined ||
          have.remoteHost !== want.remoteHost ||
          have.networks.join(",") !== want.networks.join(",")
        ) {
          await this.#ensureTunnel(tunBr, want, have === undefined);
        }
        const ofport = snapshot.ofport(tunBr, want.name);
        if (ofport !== undefined) tunnels.push({ ...want, ofport });
      }
      staleTunnels = [...existing.keys()].filter((name) => !wanted.has(name));
    }

    // ── flows, tags, flows ────────────────────────────────────────────────────────────────────────
    const deadVifs = new Map<string, number>();
    for (const d of decided.values()) {
      if (d.decision.kind !== "dead") continue;
      const ofport = observations.get(d.iface);
      if (ofport !== undefined && ofport.kind !== "unready") deadVifs.set(d.iface, ofport.ofport);
    }
    const inputs: FlowInputs = {
      integrationBridge: intBr,
      tunnelBridge: tunBr,
      physicalBridges: new Map(Object.entries(config.bridgeMappings)),
      tunnelTypes: config.tunnelTypes,
      arpResponder: config.arpResponder,
      l2Population: config.l2Population,
      localHost: control.host,
      tunPatch: this.#tunPatch(snapshot, tunBr),
      physPatches: this.#physPatches(snapshot),
      vlans: vlans.all(),
      deadVifs,
      tunnels,
      fdb: control.fdb.values(),
    };
    const decidedAt = performance.now();
    const { changes, commit } = this.#planner.diff(ownerPlans(inputs));
    const [adding, removing] = splitByPhase(changes);
    await this.#applyFlows(adding);
    const addedAt = performance.now();
    const tagged = await this.#writePorts(decided);
    const portsAt = performance.now();
    await this.#applyFlows(removing);
    commit();
    const flowsAt = performance.now();

    // ── confirmations: only once the flows are on the switch ──────────────────────────────────────
    const confirmed = [...this.#deps.flows.values()].every((f) => f.synced);
    if (confirmed) {
      await this.#writeMarks(decided, tagged);
      if (this.#deps.isFullySynced() && tunBr !== undefined) {
        for (const name of staleTunnels) {
          await deletePort(this.#deps.db, tunBr, name);
          log.info({ port: name }, "tunnel port removed: no shared networks with its host any more");
        }
      }
    }
    this.#record(decided, gone, confirmed);
    this.#requestDetails(decided);
    this.#pruneUnknown(decided);
    void this.#flushStatus();
    const ended = performance.now();
    this.#lastPassMs = ended - started;
    log.debug(
      {
        vifs: decided.size,
        ms: Math.round(ended - started),
        decideMs: Math.round(decidedAt - started),
        flowsAddMs: Math.round(addedAt - decidedAt),
        portsMs: Math.round(portsAt - addedAt),
        flowsRemoveMs: Math.round(flowsAt - portsAt),
        confirmMs: Math.round(ended - flowsAt),
      },
      "convergence pass",
    );
  }

  #tunPatch(snapshot: OvsSnapshot, tunBr: string | undefined): FlowInputs["tunPatch"] {
    if (tunBr === undefined) return undefined;
    const intSide = snapshot.ofport(this.#deps.config.integrationBridge, this.#deps.config.intPeerPatchPort);
    const tunSide = snapshot.ofport(tunBr, this.#deps.config.tunPeerPatchPort);
    return intSide === undefined || tunSide === undefined ? undefined : { intSide, tunSide };
  }

  #physPatches(snapshot: OvsSnapshot): FlowInputs["physPatches"] {
    const patches = new Map<string, { intSide: number; physSide: number }>();
    for (const [physnet, bridge] of Object.entries(this.#deps.config.bridgeMappings)) {
      const names = physPatchNames(bridge);
      const intSide = snapshot.ofport(this.#deps.config.integrationBridge, names.intSide);
      const physSide = snapshot.ofport(bridge, names.otherSide);
      if (intSide !== undefined && physSide !== undefined) patches.set(physnet, { intSide, physSide });
    }
    return patches;
  }

  async #ensureTunnel(bridge: string, want: TunnelPortWant, creating: boolean): Promise<void> {
    const { config, log } = this.#deps;
    await ensurePort(this.#deps.db, bridge, {
      ...tunnelPort({
        name: want.name,
        type: want.type,
        remoteIp: want.remoteIp,
        ...(config.localIp === undefined ? {} : { localIp: config.localIp }),
        ...(want.type === "vxlan" && config.vxlanUdpPort !== 4789 ? { dstPort: config.vxlanUdpPort } : {}),
      }),
      interfaceExternalIds: {
        [TUNNEL_NETWORKS_KEY]: want.networks.join(","),
        [TUNNEL_REMOTE_HOST_KEY]: want.remoteHost,
      },
    });
    if (creating)
      log.info(
        { port: want.name, remoteIp: want.remoteIp, remoteHost: want.remoteHost },
        "tunnel port created",
      );
  }

  async #applyFlows(changes: FlowChanges): Promise<void> {
    for (const bridge of this.#deps.bridgeOrder) {
      const perOwner = changes.get(bridge);
      const flows = this.#deps.flows.get(bridge);
      if (perOwner === undefined || perOwner.size === 0 || flows === undefined) continue;
      await flows.setMany(perOwner);
    }
  }

  /** Port.tag and other_config for every VIF that changes, in one transaction; returns those re-tagged. */
  async #writePorts(decided: ReadonlyMap<string, Decided>): Promise<Set<string>> {
    const { db, vlans } = this.#deps;
    const operations: Operation[] = [];
    const tagged = new Set<string>();
    for (const d of decided.values()) {
      let tag: number;
      let record: Record<string, string>;
      if (d.decision.kind === "keep") continue;
      if (d.decision.kind === "wire") {
        tag = vlans.get(d.decision.networkId)!.lvid;
        record = segmentToOtherConfig(d.decision.networkId, d.decision.segment);
      } else {
        tag = DEAD_VLAN;
        record = {};
      }
      const where = [["_uuid", "==", d.portUuid]] as const;
      if (d.tag !== tag) {
        operations.push(db.ops.update("Port", where, { tag }));
        tagged.add(d.iface);
      }
      const stale = portNetworkKeys.filter((k) => d.otherConfig[k] !== undefined && record[k] === undefined);
      const changed = Object.entries(record).filter(([k, v]) => d.otherConfig[k] !== v);
      if (stale.length + changed.length > 0) {
        operations.push(
          db.ops.mutate("Port", where, [
            ["other_config", "delete", [...stale, ...changed.map(([k]) => k)]],
            ...(changed.length > 0 ? [["other_config", "insert", Object.fromEntries(changed)] as const] : []),
          ]),
        );
      }
    }
    if (operations.length > 0) await transact(db, operations);
    return tagged;
  }

  /** weir-installed on VIFs whose wiring is now confirmed; removed from VIFs that went dead. */
  async #writeMarks(decided: ReadonlyMap<string, Decided>, tagged: ReadonlySet<string>): Promise<void> {
    const { db } = this.#deps;
    const operations: Operation[] = [];
    const stamp = new Date().toISOString();
    for (const d of decided.values()) {
      const where =
        d.ifaceUuid === undefined
          ? ([["name", "==", d.iface]] as const)
          : ([["_uuid", "==", d.ifaceUuid]] as const);
      if (d.decision.kind === "wire") {
        const lvid = this.#deps.vlans.get(d.decision.networkId)!.lvid;
        const record = this.vifs.get(d.iface);
        // A mark already in OVSDB on a port this pass did not re-tag still tells the truth: the same
        // wiring, now confirmed in this generation. Rewriting thousands of them at each restart would
        // only make OVS churn (and once cost 2 s at 5,000 ports).
        const alreadyMarked =
          record?.markedLvid === lvid || (d.installed && d.tag === lvid && !tagged.has(d.iface));
        if (alreadyMarked) continue;
        operations.push(
          db.ops.mutate("Interface", where, [
            ["external_ids", "delete", [INSTALLED_KEY]],
            ["external_ids", "insert", { [INSTALLED_KEY]: stamp }],
          ]),
        );
      } else if (d.decision.kind === "dead" && d.installed) {
        operations.push(db.ops.mutate("Interface", where, [["external_ids", "delete", [INSTALLED_KEY]]]));
      }
    }
    if (operations.length === 0) return;
    const started = performance.now();
    await transact(db, operations);
    this.#deps.log.debug(
      { interfaces: operations.length, ms: Math.round(performance.now() - started) },
      "weir-installed marks written",
    );
  }

  #record(decided: ReadonlyMap<string, Decided>, gone: readonly VifRecord[], confirmed: boolean): void {
    for (const record of gone) {
      this.vifs.delete(record.iface);
      this.#warned.delete(record.iface);
      if (record.portId !== undefined && record.reportedUp) this.#queueStatus(record.portId, false);
      this.#deps.log.info({ iface: record.iface, port: record.portId }, "VIF removed");
    }
    for (const d of decided.values()) {
      const previous = this.vifs.get(d.iface);
      const decision = d.decision;
      const lvid =
        decision.kind === "wire" || decision.kind === "keep"
          ? this.#deps.vlans.get(decision.networkId)?.lvid
          : undefined;
      const networkId = decision.kind === "dead" ? undefined : decision.networkId;
      let reportedUp = previous?.reportedUp ?? false;
      let markedLvid = previous?.markedLvid;
      if (decision.kind === "wire" && confirmed) {
        markedLvid = lvid;
        if (!reportedUp && d.portId !== undefined) this.#queueStatus(d.portId, true);
        reportedUp = true;
      } else if (decision.kind === "dead") {
        markedLvid = undefined;
        const known = d.portId !== undefined && this.#deps.control.details.has(d.portId);
        if (
          (reportedUp || (previous === undefined && known)) &&
          d.portId !== undefined &&
          confirmed &&
          known
        ) {
          this.#queueStatus(d.portId, false);
        }
        if (confirmed) reportedUp = false;
      }
      if (previous === undefined || previous.state !== stateOf(decision) || previous.lvid !== lvid) {
        this.#deps.log.info(
          {
            iface: d.iface,
            port: d.portId,
            state: stateOf(decision),
            network: networkId,
            lvid,
            reason: decision.kind === "dead" ? decision.reason : undefined,
          },
          "VIF state",
        );
      }
      this.vifs.set(d.iface, {
        iface: d.iface,
        portUuid: d.portUuid,
        portId: d.portId,
        state: stateOf(decision),
        networkId,
        lvid,
        reason: decision.kind === "dead" ? decision.reason : undefined,
        markedLvid,
        reportedUp,
      });
    }
  }

  #requestDetails(decided: ReadonlyMap<string, Decided>): void {
    if (!this.#deps.isOnline() || !this.#deps.control.synced) return;
    const wanted = [...decided.values()]
      .filter(
        (d) =>
          d.decision.kind === "dead" &&
          d.decision.waiting &&
          d.portId !== undefined &&
          !this.#detailsInFlight.has(d.portId),
      )
      .map((d) => d.portId!);
    if (wanted.length === 0) return;
    for (const id of wanted) this.#detailsInFlight.add(id);
    void this.#deps.client
      .deviceDetails(wanted)
      .then(
        (reply) => {
          this.#deps.control.applyDetails(reply.devices, reply.failed);
          this.trigger();
        },
        (error) =>
          this.#deps.log.warn(
            { error: describeError(error), ports: wanted.length },
            "port details request failed",
          ),
      )
      .finally(() => {
        for (const id of wanted) this.#detailsInFlight.delete(id);
      });
  }

  /** Forgets "unknown" verdicts for ports no VIF here claims (they would only grow). */
  #pruneUnknown(decided: ReadonlyMap<string, Decided>): void {
    const claimed = new Set([...decided.values()].map((d) => d.portId));
    for (const id of this.#deps.control.unknown.keys())
      if (!claimed.has(id)) this.#deps.control.unknown.delete(id);
  }

  #queueStatus(portId: string, up: boolean): void {
    (up ? this.#statusUp : this.#statusDown).add(portId);
    (up ? this.#statusDown : this.#statusUp).delete(portId);
  }

  /** Sends queued up/down reports; kept for the next pass if the server is away. */
  async #flushStatus(): Promise<void> {
    if (this.#statusFlushing || !this.#deps.isOnline()) return;
    if (this.#statusUp.size + this.#statusDown.size === 0) return;
    this.#statusFlushing = true;
    const up = [...this.#statusUp];
    const down = [...this.#statusDown];
    this.#statusUp.clear();
    this.#statusDown.clear();
    let sent = false;
    try {
      const reply = await this.#deps.client.deviceStatus(up, down);
      sent = true;
      if (reply.failed.length > 0)
        this.#deps.log.debug({ failed: reply.failed }, "server did not take some port status reports");
    } catch (error) {
      for (const id of up) if (!this.#statusDown.has(id)) this.#statusUp.add(id);
      for (const id of down) if (!this.#statusUp.has(id)) this.#statusDown.add(id);
      this.#deps.log.debug({ error: describeError(error) }, "port status report failed; will retry");
    } finally {
      this.#statusFlushing = false;
    }
    // Reports queued while this one was in flight go now, not with some later, unrelated pass (a port
    // wired on a quiet host would otherwise wait for the next change to show ACTIVE). After a failure
    // they wait for the next pass or the server's return, so an unreachable server is not hammered.
    if (sent && this.#statusUp.size + this.#statusDown.size > 0) await this.#flushStatus();
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

  /** Status reports still waiting for the server. */
  get pendingStatus(): number {
    return this.#statusUp.size + this.#statusDown.size;
  }

  /** Re-sends queued status reports (the server just came back). */
  flushStatus(): void {
    void this.#flushStatus();
  }
}

function stateOf(decision: VifDecision): VifState {
  return decision.kind === "wire" ? "wired" : decision.kind === "keep" ? "kept" : "dead";
}

/** Owners whose flows go away are applied after the port changes; everything else before. */
function splitByPhase(changes: FlowChanges): [FlowChanges, FlowChanges] {
  const adding: FlowChanges = new Map();
  const removing: FlowChanges = new Map();
  for (const [bridge, perOwner] of changes) {
    for (const [owner, flows] of perOwner) {
      const target = flows.length > 0 ? adding : removing;
      const m = target.get(bridge) ?? new Map<string, Flow[]>();
      target.set(bridge, m);
      m.set(owner, flows);
    }
  }
  return [adding, removing];
}
