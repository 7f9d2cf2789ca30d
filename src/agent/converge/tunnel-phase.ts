/**
 * Phase 3 of a pass: the tunnel ports this host needs (one per tunnel type and remote host sharing a
 * tunnelled network, l2-population style), which of them are ready (have an ofport), and each tunnelled
 * network's flood list. Recomputed only when something it depends on changed: a tunnelled network's VLAN,
 * the endpoints of a local network, or br-tun's ports.
 */

import type { TunnelType } from "../../protocol/index.ts";
import type { ControlState } from "../control/state.ts";
import type { OvsView } from "../host/ovs-view.ts";
import {
  planTunnelPorts,
  type TunnelPortPlan,
  type TunnelPortState,
  type TunnelPortWant,
  wantedTunnelPorts,
} from "../host/tunnel-ports.ts";
import type { LocalVlan } from "../ports/local-vlans.ts";

export interface TunnelPhase extends TunnelPortPlan {
  /** Ready tunnel ports whose flows must be planned (new, changed or gone: gone ones have no state). */
  readonly changedPorts: ReadonlyMap<string, TunnelPortState | undefined>;
  /** network → the ofports its floods go to. */
  readonly flood: ReadonlyMap<string, readonly number[]>;
}

export interface TunnelInputs {
  readonly view: OvsView;
  readonly bridge: string;
  readonly localIp: string;
  readonly tunnelTypes: readonly TunnelType[];
  readonly l2Population: boolean;
  readonly vlans: readonly LocalVlan[];
  readonly control: ControlState;
  /** The ready ports of the last time this ran. */
  readonly previous: ReadonlyMap<string, TunnelPortState>;
}

export function tunnelPhase(inputs: TunnelInputs): TunnelPhase {
  const tunnelled = inputs.vlans.filter((v) =>
    (inputs.tunnelTypes as readonly string[]).includes(v.networkType),
  );
  const wanted = wantedTunnelPorts(
    tunnelled.map((v) => ({
      networkId: v.networkId,
      type: v.networkType as TunnelType,
      remotes: (inputs.control.endpoints.get(v.networkId) ?? []).filter(
        (e) => e.host !== inputs.control.host,
      ),
    })),
    inputs.localIp,
  );
  const plan = planTunnelPorts(inputs.view, inputs.bridge, wanted);
  const changedPorts = new Map<string, TunnelPortState | undefined>();
  const ready = new Map(plan.ready.map((t) => [t.name, t]));
  for (const [name, t] of ready) {
    const before = inputs.previous.get(name);
    if (before === undefined || before.ofport !== t.ofport || before.type !== t.type)
      changedPorts.set(name, t);
  }
  for (const name of inputs.previous.keys()) if (!ready.has(name)) changedPorts.set(name, undefined);
  return { ...plan, changedPorts, flood: floodLists(tunnelled, plan.ready, inputs.l2Population) };
}

/** Which tunnel ports carry each tunnelled network's floods. */
export function floodLists(
  networks: readonly LocalVlan[],
  ready: readonly TunnelPortState[],
  l2Population: boolean,
): Map<string, number[]> {
  const flood = new Map<string, number[]>();
  for (const v of networks) {
    const ports = ready.filter(
      (t) => t.type === v.networkType && (!l2Population || t.networks.includes(v.networkId)),
    );
    flood.set(
      v.networkId,
      [...new Set(ports.map((t) => t.ofport))].sort((a, b) => a - b),
    );
  }
  return flood;
}

export type { TunnelPortWant };
