/**
 * What of a change concerns this host, so that a pass costs what changed here and the rest costs
 * nothing: server events about other hosts' ports on networks not here, repeats, the echo of the
 * agent's own writes. ControlState keeps everything; what is filtered out here is read when it matters
 * (a VIF plugged later reads its details then).
 */
import type { ControlChange, ControlState } from "../control/state.ts";
import type { LocalVlans } from "../ports/local-vlans.ts";
import type { ObjectRef } from "./planner.ts";
import type { Work } from "./work.ts";

export interface RelevanceScope {
  readonly vlans: LocalVlans;
  readonly control: ControlState;
  /** A VIF here is bound to (or claims) the port. */
  hasVifOf(portId: string): boolean;
  /** A VIF here is on the network (by its server details, wired or not). */
  hasVifOn(networkId: string): boolean;
  /** Another host's port has flows here now (l2-population, ARP answers). */
  hasRemoteFlows(portId: string): boolean;
  /** Something here read the section object when it was last planned. */
  isRead(sectionKey: string): boolean;
}

/** The part of a server change that concerns what this host forwards. */
export function forwardingHere(change: ControlChange, scope: RelevanceScope): ControlChange {
  const { vlans, control } = scope;
  const local = (networkId: string) => vlans.get(networkId) !== undefined || scope.hasVifOn(networkId);
  return {
    full: false,
    ports: new Set([...change.ports].filter((id) => scope.hasVifOf(id))),
    networks: new Set([...change.networks].filter(local)),
    endpoints: new Set([...change.endpoints].filter(local)),
    remotePorts: new Set(
      [...change.remotePorts].filter((id) => {
        // Flows here for the port's old place go (it moved here, or to a network not here); a removed
        // entry is no longer in ControlState: whether it had flows here, the pass finds out.
        if (scope.hasRemoteFlows(id)) return true;
        const entry = control.fdb.get(id);
        return entry === undefined || (entry.host !== control.host && local(entry.network_id));
      }),
    ),
    sections: new Set([...change.sections].filter((key) => scope.isRead(key))),
  };
}

/** Nothing but settled VIFs and server changes that touch nothing forwarded here. */
export function isQuiet(work: Work, scope: RelevanceScope): boolean {
  if (work.host || work.endpoints.size > 0 || work.sections.size > 0) return false;
  for (const id of work.networks) if (scope.vlans.get(id) !== undefined) return false;
  for (const id of work.remotePorts) {
    if (scope.hasRemoteFlows(id)) return false;
    const entry = scope.control.fdb.get(id);
    if (entry === undefined || scope.vlans.get(entry.network_id) !== undefined) return false;
  }
  return true;
}

/** The objects to plan again because a section object they read changed. */
export interface Rereads {
  base: boolean;
  readonly vifs: Set<string>;
  readonly networks: Set<string>;
  readonly remotePorts: Set<string>;
  readonly tunnelPorts: Set<string>;
}

export function rereads(
  sections: Iterable<string>,
  readersOf: (key: string) => Iterable<ObjectRef>,
): Rereads {
  const out: Rereads = {
    base: false,
    vifs: new Set(),
    networks: new Set(),
    remotePorts: new Set(),
    tunnelPorts: new Set(),
  };
  for (const key of sections) {
    for (const { kind, id } of readersOf(key)) {
      if (kind === "base") out.base = true;
      else if (kind === "vif") out.vifs.add(id);
      else if (kind === "net") out.networks.add(id);
      else if (kind === "remote") out.remotePorts.add(id);
      else out.tunnelPorts.add(id);
    }
  }
  return out;
}
