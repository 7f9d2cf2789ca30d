/**
 * Phase 2 of a pass: local VLANs follow their VIFs. Each network's VLAN is held by the VIFs wired or kept
 * on it (and by VIFs OVS cannot use right now, which keep what they had); a network gets a VLAN when its
 * first VIF is wired and releases it when its last one goes. A VIF that cannot get one (all 4094 in use)
 * is parked dead instead.
 */
import type { Log } from "../../base/index.ts";
import type { VifDecision } from "../ports/decisions.ts";
import { LocalVlanExhaustedError, type LocalVlans } from "../ports/local-vlans.ts";
import type { Decided } from "./decide.ts";

export class LocalVlanUsers {
  readonly #users = new Map<string, Set<string>>();
  readonly #networkOf = new Map<string, string>();
  readonly #vlans: LocalVlans;

  constructor(vlans: LocalVlans) {
    this.#vlans = vlans;
  }

  /** VIFs holding a network's VLAN. */
  of(networkId: string): ReadonlySet<string> {
    return this.#users.get(networkId) ?? new Set();
  }

  /**
   * Applies this pass's decisions and departures; returns the decisions as they stand (a `wire` that got
   * no VLAN becomes `dead`) and the networks whose VLAN was allocated, changed segment, or released.
   */
  apply(
    decided: Map<string, Decided>,
    gone: Iterable<string>,
    log: Log,
    sweep: boolean,
  ): { decisions: Map<string, VifDecision>; changed: Set<string> } {
    const changed = new Set<string>();
    const touched = new Set<string>();
    const decisions = new Map<string, VifDecision>();
    for (const iface of gone) this.#move(iface, undefined, touched);
    for (const d of decided.values()) {
      let decision = d.decision;
      if (decision.kind === "wire") {
        const before = this.#vlans.get(decision.networkId);
        try {
          const vlan = this.#vlans.allocate(decision.networkId, decision.segment);
          if (
            before === undefined ||
            before.networkType !== vlan.networkType ||
            before.physicalNetwork !== vlan.physicalNetwork ||
            before.segmentationId !== vlan.segmentationId
          )
            changed.add(decision.networkId);
        } catch (error) {
          if (!(error instanceof LocalVlanExhaustedError)) throw error;
          decision = { kind: "dead", reason: error.message };
        }
      }
      decisions.set(d.iface, decision);
      this.#move(d.iface, decision.kind === "dead" ? undefined : decision.networkId, touched);
    }
    const candidates = sweep ? this.#vlans.all().map((v) => v.networkId) : touched;
    for (const networkId of candidates) {
      if (this.of(networkId).size > 0) continue;
      const vlan = this.#vlans.release(networkId);
      if (vlan === undefined) continue;
      changed.add(networkId);
      log.info({ network: networkId, lvid: vlan.lvid }, "local VLAN released: no ports of the network left");
    }
    return { decisions, changed };
  }

  #move(iface: string, networkId: string | undefined, touched: Set<string>): void {
    const before = this.#networkOf.get(iface);
    if (before === networkId) return;
    if (before !== undefined) {
      this.#users.get(before)?.delete(iface);
      if (this.#users.get(before)?.size === 0) this.#users.delete(before);
      touched.add(before);
      this.#networkOf.delete(iface);
    }
    if (networkId !== undefined) {
      const set = this.#users.get(networkId) ?? new Set<string>();
      set.add(iface);
      this.#users.set(networkId, set);
      this.#networkOf.set(iface, networkId);
    }
  }
}
