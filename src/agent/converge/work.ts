/**
 * What changed since the last pass, collected as events arrive — the replica's (ports and bridges
 * touched) and the server's (ports, networks, endpoints, fdb, sections) — and taken whole by the next
 * pass, which looks at those things only. `full` means: look at everything (start, a sync, a retry).
 */
import type { ControlChange } from "../control/state.ts";
import type { ViewChanges } from "../host/ovs-view.ts";

export class Work {
  full = false;
  /** Interfaces (port names) on br-int. */
  readonly vifs = new Set<string>();
  /** Server port ids bound here. */
  readonly portIds = new Set<string>();
  readonly networks = new Set<string>();
  readonly endpoints = new Set<string>();
  readonly remotePorts = new Set<string>();
  readonly sections = new Set<string>();
  /** Ports of the other bridges (patch ports, tunnel ports) or bridges themselves changed. */
  host = false;
  readonly bridges = new Set<string>();

  get empty(): boolean {
    return (
      !this.full &&
      !this.host &&
      this.vifs.size +
        this.portIds.size +
        this.networks.size +
        this.endpoints.size +
        this.remotePorts.size +
        this.sections.size +
        this.bridges.size ===
        0
    );
  }

  addView(changes: ViewChanges, integrationBridge: string): void {
    for (const { bridge, name } of changes.ports) {
      if (bridge === integrationBridge) this.vifs.add(name);
      else this.host = true;
    }
    for (const bridge of changes.bridges) this.bridges.add(bridge);
  }

  addControl(change: ControlChange): void {
    if (change.full) this.full = true;
    for (const id of change.ports) this.portIds.add(id);
    for (const id of change.networks) this.networks.add(id);
    for (const id of change.endpoints) this.endpoints.add(id);
    for (const id of change.remotePorts) this.remotePorts.add(id);
    for (const key of change.sections) this.sections.add(key);
  }

  /** Moves everything into a new Work and leaves this one empty. */
  take(): Work {
    const taken = new Work();
    taken.merge(this);
    this.full = false;
    this.host = false;
    for (const set of this.#sets()) set.clear();
    return taken;
  }

  /** Adds another's work to this one (a pass failed: its work is retried). */
  merge(other: Work): void {
    this.full ||= other.full;
    this.host ||= other.host;
    const mine = this.#sets();
    other.#sets().forEach((set, i) => {
      for (const x of set) mine[i]!.add(x);
    });
  }

  /** Every set of names, in one order. */
  #sets(): Set<string>[] {
    return [
      this.vifs,
      this.portIds,
      this.networks,
      this.endpoints,
      this.remotePorts,
      this.sections,
      this.bridges,
    ];
  }
}
