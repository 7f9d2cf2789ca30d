/** What the tunnel phase found last time: ready tunnel ports, ports no longer needed, flood lists. */
import type { TunnelPortState } from "../host/tunnel-ports.ts";
import type { TunnelPhase } from "./tunnel-phase.ts";

export class TunnelState {
  #ready = new Map<string, TunnelPortState>();
  #stale: readonly string[] = [];
  #flood = new Map<string, readonly number[]>();

  get ready(): ReadonlyMap<string, TunnelPortState> {
    return this.#ready;
  }

  /** Tunnel ports to delete once the flows are confirmed (and the previous generation swapped). */
  get stale(): readonly string[] {
    return this.#stale;
  }

  clearStale(): void {
    this.#stale = [];
  }

  floodOf(networkId: string): readonly number[] {
    return this.#flood.get(networkId) ?? [];
  }

  /** The network had a flood list: it was tunnelled (it may not be any more). */
  hadFlood(networkId: string): boolean {
    return this.#flood.has(networkId);
  }

  /** Takes a phase's result; returns the networks whose flood list changed (or went). */
  update(phase: TunnelPhase): Set<string> {
    const changed = new Set<string>();
    for (const [id, list] of phase.flood)
      if ((this.#flood.get(id) ?? []).join(",") !== list.join(",")) changed.add(id);
    for (const id of this.#flood.keys()) if (!phase.flood.has(id)) changed.add(id);
    this.#ready = new Map(phase.ready.map((t) => [t.name, t]));
    this.#stale = phase.stale;
    this.#flood = new Map(phase.flood);
    return changed;
  }
}
