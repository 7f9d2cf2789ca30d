/**
 * What the converger knows about the VIFs between passes — their records, who is bound to which port
 * and network, which ones wait for their flows to be confirmed — and the last phase of a pass, which
 * writes down what it did: records, status reports (up once confirmed, down once the drop is), logs,
 * the features' port hooks.
 */
import type { Log } from "../../base/index.ts";
import { WeirKeys } from "../../ovs/index.ts";
import type { ControlState } from "../control/state.ts";
import type { StatusReports } from "../control/status-reports.ts";
import type { Feature, VifContext } from "../pipeline/feature.ts";
import type { VifDecision } from "../ports/decisions.ts";
import type { LocalVlans } from "../ports/local-vlans.ts";
import type { Decided } from "./decide.ts";
import { type Echoes, expectingNothing } from "./echoes.ts";
import type { PlanResult } from "./planner.ts";
import { stateOf, type VifRecord } from "./vif-records.ts";

export interface BookSources {
  readonly log: Log;
  readonly control: ControlState;
  readonly status: StatusReports;
  readonly vlans: LocalVlans;
  readonly echoes: Echoes;
  readonly hooks: (call: (feature: Feature) => void) => void;
}

/** What one pass did, to be written down. */
export interface PassOutcome {
  readonly decided: ReadonlyMap<string, Decided>;
  /** The decisions as they stand after local VLANs (a wire that got no VLAN is dead). */
  readonly decisions: ReadonlyMap<string, VifDecision>;
  readonly gone: readonly VifRecord[];
  readonly plan: PlanResult;
  readonly contexts: ReadonlyMap<string, VifContext>;
  /** Every bridge's flows are on the switch. */
  readonly confirmed: boolean;
  /** VIFs whose weir-installed mark this pass wrote or confirmed. */
  readonly marked: ReadonlySet<string>;
}

export class VifBook {
  readonly records = new Map<string, VifRecord>();
  readonly #sources: BookSources;
  readonly #byPortId = new Map<string, string>();
  /** VIFs by the network their server details name (re-decided when it changes, wired or not). */
  readonly #onNetwork = new Map<string, Set<string>>();
  readonly #networkOf = new Map<string, string>();
  /** VIFs whose mark and status report wait for their flows (or their drop) to be confirmed. */
  readonly #pending = new Set<string>();
  readonly #warned = new Map<string, string>();

  constructor(sources: BookSources) {
    this.#sources = sources;
  }

  ifaceOf(portId: string): string | undefined {
    return this.#byPortId.get(portId);
  }

  vifsOn(networkId: string): Iterable<string> {
    return this.#onNetwork.get(networkId) ?? [];
  }

  hasVifOn(networkId: string): boolean {
    return this.#onNetwork.has(networkId);
  }

  get pending(): ReadonlySet<string> {
    return this.#pending;
  }

  /** The VIF has no usable ofport for now: its next event is news, whatever its rows say. */
  unready(iface: string, reason: string): void {
    this.warnOnce(iface, reason, "debug");
    const record = this.records.get(iface);
    if (record !== undefined) this.records.set(iface, expectingNothing(record));
  }

  /** A dead or unready VIF's reason is logged once per change, not on every pass. */
  warnOnce(iface: string, reason: string, level: "warn" | "debug"): void {
    if (this.#warned.get(iface) === reason) return;
    this.#warned.set(iface, reason);
    this.#sources.log[level](
      { iface, reason },
      level === "warn" ? "VIF parked on the dead VLAN" : "VIF not ready",
    );
  }

  write(outcome: PassOutcome): void {
    for (const record of outcome.gone) this.#forget(record);
    for (const d of outcome.decided.values()) this.#write(d, outcome);
  }

  #forget(record: VifRecord): void {
    const { log, status, echoes, hooks } = this.#sources;
    this.records.delete(record.iface);
    echoes.forget(record.iface);
    this.#warned.delete(record.iface);
    this.#pending.delete(record.iface);
    if (record.portId !== undefined && this.#byPortId.get(record.portId) === record.iface)
      this.#byPortId.delete(record.portId);
    if (record.portId !== undefined && record.reportedUp) status.queue(record.portId, false);
    this.#setNetworkOf(record.iface, undefined);
    log.info({ iface: record.iface, port: record.portId }, "VIF removed");
    hooks((f) => f.onPortRemoved?.(record.iface));
  }

  #write(d: Decided, outcome: PassOutcome): void {
    const { log, control, vlans, echoes, hooks } = this.#sources;
    const { confirmed } = outcome;
    const decision = outcome.decisions.get(d.iface)!;
    const previous = this.records.get(d.iface);
    const state = stateOf(decision);
    const networkId = decision.kind === "dead" ? undefined : decision.networkId;
    const lvid = networkId === undefined ? undefined : vlans.get(networkId)?.lvid;
    const portId = d.observation.kind === "vif" ? d.observation.portId : undefined;
    const wasInstalled = d.view.externalIds[WeirKeys.installed] !== undefined;
    const { reportedUp, markedLvid } = this.#report(d.iface, decision, previous, {
      portId,
      lvid,
      confirmed,
      wasInstalled,
    });
    if (decision.kind === "dead")
      this.warnOnce(d.iface, decision.reason, decision.waiting ? "debug" : "warn");
    else this.#warned.delete(d.iface);
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
    this.#bind(d.iface, previous?.portId, portId);
    this.#setNetworkOf(d.iface, portId === undefined ? undefined : control.details.get(portId)?.network_id);
    const installed =
      decision.kind === "wire" && outcome.marked.has(d.iface)
        ? true
        : decision.kind === "dead" && confirmed
          ? false
          : wasInstalled;
    this.records.set(d.iface, {
      iface: d.iface,
      portUuid: d.portUuid,
      portId,
      state,
      networkId,
      lvid,
      reason: decision.kind === "dead" ? decision.reason : undefined,
      markedLvid,
      reportedUp,
      expected: echoes.expectedKey(d, decision, installed),
      wishes: outcome.plan.ovsdb.get(d.iface),
    });
    echoes.recorded(d.iface);
    const context = outcome.contexts.get(d.iface);
    if (context === undefined) return;
    if (previous === undefined) hooks((f) => f.onPortAdded?.(context));
    else if (previous.state !== state || previous.lvid !== lvid) hooks((f) => f.onPortUpdated?.(context));
  }

  /**
   * Status reports and the confirmed mark: up once a wired VIF's flows are confirmed, down once a dead
   * one's drop is. Until then the VIF is pending, and looked at again when the bridges are in sync.
   */
  #report(
    iface: string,
    decision: VifDecision,
    previous: VifRecord | undefined,
    now: {
      readonly portId: string | undefined;
      readonly lvid: number | undefined;
      readonly confirmed: boolean;
      readonly wasInstalled: boolean;
    },
  ): { reportedUp: boolean; markedLvid: number | undefined } {
    const { control, status } = this.#sources;
    const { portId, lvid, confirmed, wasInstalled } = now;
    let reportedUp = previous?.reportedUp ?? false;
    let markedLvid = previous?.markedLvid;
    const { kind } = decision;
    if (kind === "wire" && confirmed) {
      markedLvid = lvid;
      if (!reportedUp && portId !== undefined) status.queue(portId, true);
      reportedUp = true;
      this.#pending.delete(iface);
    } else if (kind === "wire") {
      this.#pending.add(iface);
    } else if (kind === "dead") {
      markedLvid = undefined;
      const known = portId !== undefined && control.details.has(portId);
      if (confirmed) {
        if (known && (reportedUp || previous === undefined)) status.queue(portId, false);
        reportedUp = false;
        this.#pending.delete(iface);
      } else if (reportedUp || wasInstalled) this.#pending.add(iface);
      else this.#pending.delete(iface);
    } else this.#pending.delete(iface);
    return { reportedUp, markedLvid };
  }

  #bind(iface: string, before: string | undefined, portId: string | undefined): void {
    if (portId !== undefined) this.#byPortId.set(portId, iface);
    if (before !== undefined && before !== portId && this.#byPortId.get(before) === iface)
      this.#byPortId.delete(before);
  }

  #setNetworkOf(iface: string, networkId: string | undefined): void {
    const before = this.#networkOf.get(iface);
    if (before === networkId) return;
    if (before !== undefined) {
      const set = this.#onNetwork.get(before);
      set?.delete(iface);
      if (set?.size === 0) this.#onNetwork.delete(before);
      this.#networkOf.delete(iface);
    }
    if (networkId === undefined) return;
    const set = this.#onNetwork.get(networkId) ?? new Set<string>();
    set.add(iface);
    this.#onNetwork.set(networkId, set);
    this.#networkOf.set(iface, networkId);
  }
}
