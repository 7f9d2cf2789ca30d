/**
 * Phase 1 of a pass: look at the VIFs that may have changed and decide each (wire / keep / dead), and
 * notice the ones that went away. Interfaces that claim the same iface-id are all odd; when one of them
 * goes or changes its id, the others are looked at again — so the claims are kept across passes.
 */
import type { ControlState } from "../control/state.ts";
import type { OvsView } from "../host/ovs-view.ts";
import { decideVif, type HostCapabilities, type VifDecision } from "../ports/decisions.ts";
import type { LocalVlans } from "../ports/local-vlans.ts";
import {
  classifyOne,
  duplicateClaim,
  type InterfaceView,
  interfaceView,
  isVifCandidate,
  type VifObservation,
} from "../ports/vifs.ts";
import type { VifRecord } from "./vif-records.ts";

export interface Decided {
  readonly iface: string;
  readonly view: InterfaceView;
  readonly portUuid: string;
  readonly observation: Exclude<VifObservation, { kind: "unready" }>;
  readonly decision: VifDecision;
}

export interface Decisions {
  readonly decided: Map<string, Decided>;
  /** Records of VIFs that left br-int, or whose port was re-created (a new row under the name). */
  readonly gone: VifRecord[];
  /** VIFs OVS cannot use yet (no ofport): left as they are. */
  readonly unready: Map<string, string>;
}

/** iface-id claims of the interfaces on br-int, by port id. */
export class Claims {
  readonly #byPort = new Map<string, Set<string>>();
  readonly #of = new Map<string, string>();

  /** Records `iface`'s claim (or none); returns the interfaces whose claim group changed. */
  set(iface: string, portId: string | undefined): string[] {
    const before = this.#of.get(iface);
    if (before === portId) return [];
    const affected: string[] = [];
    if (before !== undefined) {
      const group = this.#byPort.get(before)!;
      group.delete(iface);
      if (group.size === 0) this.#byPort.delete(before);
      affected.push(...group);
      this.#of.delete(iface);
    }
    if (portId !== undefined) {
      const group = this.#byPort.get(portId) ?? new Set<string>();
      affected.push(...group);
      group.add(iface);
      this.#byPort.set(portId, group);
      this.#of.set(iface, portId);
    }
    return affected;
  }

  /** The interfaces claiming a port id. */
  of(portId: string): readonly string[] {
    return [...(this.#byPort.get(portId) ?? [])];
  }
}

export interface DecideInputs {
  readonly view: OvsView;
  readonly integrationBridge: string;
  readonly records: ReadonlyMap<string, VifRecord>;
  readonly claims: Claims;
  readonly control: ControlState;
  readonly host: HostCapabilities;
  readonly vlans: LocalVlans;
}

/** Decides `candidates` (interface names on br-int), and whoever shares an iface-id with them. */
export function decide(candidates: Iterable<string>, inputs: DecideInputs): Decisions {
  const { view, integrationBridge: bridge, records, claims } = inputs;
  const decided = new Map<string, Decided>();
  const gone: VifRecord[] = [];
  const unready = new Map<string, string>();
  const observed = new Map<string, { view: InterfaceView; portUuid: string; observation: VifObservation }>();
  const queue = [...candidates];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const entry = view.port(bridge, name);
    const iface = entry === undefined ? undefined : interfaceView(entry);
    const record = records.get(name);
    if (entry === undefined || iface === undefined || !isVifCandidate(iface)) {
      queue.push(...claims.set(name, undefined));
      if (record !== undefined) gone.push(record);
      continue;
    }
    if (record !== undefined && record.portUuid !== entry.port._uuid) gone.push(record);
    const observation = classifyOne(iface);
    queue.push(...claims.set(name, observation.kind === "vif" ? observation.portId : undefined));
    observed.set(name, { view: iface, portUuid: entry.port._uuid, observation });
  }
  for (const [name, o] of observed) {
    if (o.observation.kind === "unready") {
      unready.set(name, o.observation.reason);
      continue;
    }
    let observation: Exclude<VifObservation, { kind: "unready" }> = o.observation;
    if (observation.kind === "vif") {
      const others = claims.of(observation.portId).filter((i) => i !== name);
      if (others.length > 0) observation = duplicateClaim(observation, others);
    }
    const decision = decideVif(
      observation,
      { tag: o.view.tag, otherConfig: o.view.portOtherConfig },
      inputs.control,
      inputs.host,
      (networkId) => inputs.vlans.get(networkId)?.lvid,
    );
    decided.set(name, { iface: name, view: o.view, portUuid: o.portUuid, observation, decision });
  }
  return { decided, gone, unready };
}
