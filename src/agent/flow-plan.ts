/**
 * From what the agent knows (local VLANs, dead VIFs, tunnel ports, fdb entries, patch ports) to flows,
 * per owner and per bridge. Each owner's plan carries a signature of exactly the inputs its flows depend
 * on, so a pass rebuilds only the owners whose inputs changed: a host with thousands of ports does not
 * recompute thousands of flows because one port came up.
 */
import type { Flow } from "../openflow/index.ts";
import type { TunnelType } from "../ovs/index.ts";
import type { FdbEntry } from "../protocol/index.ts";
import type { LocalVlan } from "./local-vlans.ts";
import { intBaseFlows, physBaseFlows, tunBaseFlows } from "./pipeline/base-flows.ts";
import {
  arpResponderFlows,
  deadVifFlows,
  fdbUnicastFlows,
  intProviderFlows,
  physProviderFlows,
  tunnelNetworkFlows,
  tunnelPortFlows,
} from "./pipeline/network-flows.ts";
import { owners } from "./pipeline/owners.ts";

export interface TunnelPortState {
  readonly name: string;
  readonly type: TunnelType;
  readonly ofport: number;
  readonly remoteHost: string;
  readonly remoteIp: string;
  /** Networks this port floods for. */
  readonly networks: readonly string[];
}

export interface FlowInputs {
  readonly integrationBridge: string;
  readonly tunnelBridge: string | undefined;
  /** physical network → bridge */
  readonly physicalBridges: ReadonlyMap<string, string>;
  readonly tunnelTypes: readonly TunnelType[];
  readonly arpResponder: boolean;
  readonly l2Population: boolean;
  readonly localHost: string;
  /** br-int's patch-tun and br-tun's patch-int, when both have an ofport. */
  readonly tunPatch: { readonly intSide: number; readonly tunSide: number } | undefined;
  /** physical network → its patch ports' ofports (int-<br> on br-int, phy-<br> on the bridge). */
  readonly physPatches: ReadonlyMap<string, { readonly intSide: number; readonly physSide: number }>;
  readonly vlans: readonly LocalVlan[];
  /** interface → ofport, for VIFs parked on the dead VLAN. */
  readonly deadVifs: ReadonlyMap<string, number>;
  readonly tunnels: readonly TunnelPortState[];
  /** Bound ports of other hosts (l2-population, ARP responder). */
  readonly fdb: Iterable<FdbEntry>;
}

export interface OwnerPlan {
  readonly owner: string;
  readonly signature: string;
  /** The owner's flows on each bridge it has flows on. */
  build(): Map<string, Flow[]>;
}

const isTunnelType = (t: string): t is TunnelType => t === "vxlan" || t === "gre" || t === "geneve";

/** Every owner's plan for these inputs. */
export function ownerPlans(inputs: FlowInputs): OwnerPlan[] {
  const plans: OwnerPlan[] = [];
  const intBr = inputs.integrationBridge;
  const tunBr = inputs.tunnelBridge;
  const physIntOfports = [...inputs.physPatches.values()].map((p) => p.intSide).sort((a, b) => a - b);

  plans.push({
    owner: owners.intBase,
    signature: physIntOfports.join(","),
    build: () => new Map([[intBr, intBaseFlows(physIntOfports)]]),
  });
  if (tunBr !== undefined && inputs.tunPatch !== undefined) {
    const patch = inputs.tunPatch.tunSide;
    plans.push({
      owner: owners.tunBase,
      signature: `${patch}|${inputs.arpResponder}`,
      build: () => new Map([[tunBr, tunBaseFlows(patch, inputs.arpResponder)]]),
    });
  }
  for (const [physnet, bridge] of inputs.physicalBridges) {
    const patch = inputs.physPatches.get(physnet);
    if (patch === undefined) continue;
    plans.push({
      owner: `${owners.physBase}`,
      signature: `${bridge}|${patch.physSide}`,
      build: () => new Map([[bridge, physBaseFlows(patch.physSide)]]),
    });
  }

  // Flood lists: which tunnel ports carry each network's floods.
  const floodPorts = new Map<string, number[]>();
  const tunnelsByType = new Map<TunnelType, TunnelPortState[]>();
  for (const t of inputs.tunnels) {
    tunnelsByType.set(t.type, [...(tunnelsByType.get(t.type) ?? []), t]);
    for (const net of t.networks) floodPorts.set(net, [...(floodPorts.get(net) ?? []), t.ofport]);
  }
  const vlanOf = new Map(inputs.vlans.map((v) => [v.networkId, v]));
  for (const vlan of inputs.vlans) {
    const owner = owners.network(vlan.networkId);
    // A VLAN or tunnel network without a segment id cannot be translated: it gets no flows (its ports
    // are parked dead by the decisions, which check the same thing).
    if (vlan.segmentationId === null && vlan.networkType !== "flat") continue;
    const placement = { type: vlan.networkType, segmentationId: vlan.segmentationId, lvid: vlan.lvid };
    if (vlan.networkType === "flat" || vlan.networkType === "vlan") {
      const physnet = vlan.physicalNetwork ?? "";
      const bridge = inputs.physicalBridges.get(physnet);
      const patch = inputs.physPatches.get(physnet);
      if (bridge === undefined || patch === undefined) continue;
      plans.push({
        owner,
        signature: `p|${vlan.lvid}|${vlan.networkType}|${vlan.segmentationId}|${bridge}|${patch.intSide}|${patch.physSide}`,
        build: () =>
          new Map([
            [intBr, intProviderFlows(placement, patch.intSide)],
            [bridge, physProviderFlows(placement, patch.physSide)],
          ]),
      });
    } else if (
      isTunnelType(vlan.networkType) &&
      tunBr !== undefined &&
      inputs.tunnelTypes.includes(vlan.networkType)
    ) {
      const type = vlan.networkType;
      const flood = inputs.l2Population
        ? (floodPorts.get(vlan.networkId) ?? []).filter((p) =>
            inputs.tunnels.some((t) => t.ofport === p && t.type === type),
          )
        : (tunnelsByType.get(type) ?? []).map((t) => t.ofport);
      const sorted = [...new Set(flood)].sort((a, b) => a - b);
      plans.push({
        owner,
        signature: `t|${vlan.lvid}|${type}|${vlan.segmentationId}|${sorted.join(",")}`,
        build: () => new Map([[tunBr, tunnelNetworkFlows(placement, sorted)]]),
      });
    }
  }

  if (tunBr !== undefined) {
    for (const t of inputs.tunnels) {
      plans.push({
        owner: owners.tunnel(t.name),
        signature: `${t.type}|${t.ofport}`,
        build: () => new Map([[tunBr, tunnelPortFlows(t.type, t.ofport)]]),
      });
    }
  }

  for (const [iface, ofport] of inputs.deadVifs) {
    plans.push({
      owner: owners.vif(iface),
      signature: `dead|${ofport}`,
      build: () => new Map([[intBr, deadVifFlows(ofport)]]),
    });
  }

  if (tunBr !== undefined && (inputs.arpResponder || inputs.l2Population)) {
    for (const entry of inputs.fdb) {
      if (entry.host === inputs.localHost) continue;
      const vlan = vlanOf.get(entry.network_id);
      if (vlan === undefined || !isTunnelType(vlan.networkType) || vlan.segmentationId === null) continue;
      const type = vlan.networkType;
      const tunnel = inputs.tunnels.find((t) => t.type === type && t.remoteHost === entry.host);
      const lvid = vlan.lvid;
      const seg = vlan.segmentationId;
      const arp = inputs.arpResponder ? entry.ip_addresses : [];
      const ucast = inputs.l2Population && tunnel !== undefined ? tunnel.ofport : undefined;
      if (arp.length === 0 && ucast === undefined) continue;
      plans.push({
        owner: owners.fdb(entry.port_id),
        signature: `${lvid}|${seg}|${entry.mac_address}|${arp.join(",")}|${ucast ?? ""}`,
        build: () =>
          new Map([
            [
              tunBr,
              [
                ...arpResponderFlows(lvid, entry.mac_address, arp),
                ...(ucast === undefined ? [] : fdbUnicastFlows(lvid, seg, entry.mac_address, ucast)),
              ],
            ],
          ]),
      });
    }
  }
  return plans;
}

/** bridge → owner → flows: what to hand to each bridge's BridgeFlows.setMany. */
export type FlowChanges = Map<string, Map<string, Flow[]>>;

/**
 * Remembers which signature each owner was last applied with, and on which bridges it has flows, so that
 * `diff` returns only owners that changed (or vanished: their flows become empty). The memory is updated
 * only by `commit`, after the caller applied the changes.
 */
export class FlowPlanner {
  readonly #applied = new Map<string, { signature: string; bridges: Set<string> }>();

  diff(plans: readonly OwnerPlan[]): { changes: FlowChanges; commit: () => void } {
    const changes: FlowChanges = new Map();
    const next = new Map<string, { signature: string; bridges: Set<string> }>();
    const put = (bridge: string, owner: string, flows: Flow[]) => {
      const perBridge = changes.get(bridge) ?? new Map<string, Flow[]>();
      changes.set(bridge, perBridge);
      perBridge.set(owner, flows);
    };
    for (const plan of plans) {
      // Owners on several bridges (phys-base) are keyed by owner+signature's bridge part.
      const key =
        plan.owner === owners.physBase ? `${plan.owner}@${plan.signature.split("|")[0]}` : plan.owner;
      const previous = this.#applied.get(key);
      if (previous?.signature === plan.signature) {
        next.set(key, previous);
        continue;
      }
      const built = plan.build();
      const bridges = new Set<string>();
      for (const [bridge, flows] of built) {
        put(bridge, plan.owner, flows);
        if (flows.length > 0) bridges.add(bridge);
      }
      for (const bridge of previous?.bridges ?? []) if (!built.has(bridge)) put(bridge, plan.owner, []);
      next.set(key, { signature: plan.signature, bridges });
    }
    for (const [key, previous] of this.#applied) {
      if (next.has(key)) continue;
      const owner = key.includes("@") ? key.slice(0, key.indexOf("@")) : key;
      for (const bridge of previous.bridges) put(bridge, owner, []);
    }
    return {
      changes,
      commit: () => {
        this.#applied.clear();
        for (const [key, value] of next) this.#applied.set(key, value);
      },
    };
  }
}
