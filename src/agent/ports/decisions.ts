/**
 * What to do with one VIF, given what OVSDB shows and what the server said: wire it to its network's
 * local VLAN, keep it as it is (restored from OVSDB, server not heard yet), or park it on the dead VLAN
 * with a reason. Pure: the converger does the I/O.
 */
import type { TunnelType } from "../../protocol/index.ts";
import type { ControlState } from "../control/state.ts";
import { type Segment, segmentFromOtherConfig } from "./local-vlans.ts";
import type { VifObservation } from "./vifs.ts";

export type VifDecision =
  | { readonly kind: "wire"; readonly networkId: string; readonly segment: Segment }
  | { readonly kind: "keep"; readonly networkId: string; readonly segment: Segment; readonly lvid: number }
  | { readonly kind: "dead"; readonly reason: string; readonly waiting?: boolean };

export interface HostCapabilities {
  readonly physicalNetworks: ReadonlySet<string>;
  readonly tunnelTypes: readonly TunnelType[];
}

/** Why a network cannot be wired on this host, or undefined if it can. */
export function unwireable(segment: Segment, host: HostCapabilities): string | undefined {
  switch (segment.networkType) {
    case "flat":
    case "vlan":
      if (segment.physicalNetwork === null)
        return `${segment.networkType} network without a physical network`;
      if (!host.physicalNetworks.has(segment.physicalNetwork)) {
        return `physical network ${segment.physicalNetwork} is not in [ovs] bridge_mappings`;
      }
      if (
        segment.networkType === "vlan" &&
        (segment.segmentationId === null || segment.segmentationId < 1 || segment.segmentationId > 4094)
      ) {
        return `VLAN network with segmentation id ${segment.segmentationId}`;
      }
      return undefined;
    default:
      if (!host.tunnelTypes.includes(segment.networkType)) {
        return `tunnel type ${segment.networkType} is not in [agent] tunnel_types`;
      }
      if (segment.segmentationId === null) return `${segment.networkType} network without a segmentation id`;
      return undefined;
  }
}

export interface PortFacts {
  readonly tag: number | null;
  readonly otherConfig: Readonly<Record<string, string>>;
}

/**
 * @param restoredLvid the local VLAN restored for the network this port's other_config names, if any.
 */
export function decideVif(
  observation: Exclude<VifObservation, { kind: "unready" }>,
  port: PortFacts,
  control: ControlState,
  host: HostCapabilities,
  restoredLvid: (networkId: string) => number | undefined,
): VifDecision {
  if (observation.kind === "odd") return { kind: "dead", reason: observation.reason };
  const details = control.details.get(observation.portId);
  if (details !== undefined) {
    // The network's own record wins over the copy in the port's details, as a whole (never mixed).
    const network = control.networks.get(details.network_id);
    const source = network ?? details;
    const segment: Segment = {
      networkType: source.network_type,
      physicalNetwork: source.physical_network,
      segmentationId: source.segmentation_id,
    };
    if (!details.admin_state_up) return { kind: "dead", reason: "port is administratively down" };
    if (!(network?.admin_state_up ?? details.network_admin_state_up)) {
      return { kind: "dead", reason: "network is administratively down" };
    }
    const why = unwireable(segment, host);
    if (why !== undefined)
      return { kind: "dead", reason: `cannot wire network ${details.network_id}: ${why}` };
    return { kind: "wire", networkId: details.network_id, segment };
  }
  const unknown = control.unknown.get(observation.portId);
  if (unknown !== undefined) return { kind: "dead", reason: `server: ${unknown}` };
  if (!control.synced) {
    // Server not heard yet: a port restored from OVSDB keeps forwarding as it did.
    const recorded = segmentFromOtherConfig(port.otherConfig);
    if (
      recorded !== undefined &&
      port.tag !== null &&
      restoredLvid(recorded.networkId) === port.tag &&
      unwireable(recorded, host) === undefined
    ) {
      const { networkId, ...segment } = recorded;
      return { kind: "keep", networkId, segment, lvid: port.tag };
    }
  }
  return { kind: "dead", reason: "waiting for the server's details of this port", waiting: true };
}
