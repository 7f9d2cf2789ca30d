/**
 * Local VLANs: one per network with ports on this host, 1–4094, carried as Port.tag on br-int. The
 * mapping lives on each port too (Port.other_config net_uuid, network_type, physical_network,
 * segmentation_id — the keys Neutron uses), so a restarted agent restores it from OVSDB and never
 * re-tags a port that is forwarding.
 */
import { WeirError } from "../../base/index.ts";
import { portNetworkKeys } from "../../ovs/index.ts";
import type { NetworkType } from "../../protocol/index.ts";

/** The VLAN tag of ports that must not forward (unknown, admin-down, odd): Neutron's DEAD_VLAN_TAG. */
export const DEAD_VLAN = 4095;

export const MIN_LVID = 1;
export const MAX_LVID = 4094;

/** What a local VLAN stands for: enough to compute its flows without the server. */
export interface Segment {
  readonly networkType: NetworkType;
  readonly physicalNetwork: string | null;
  readonly segmentationId: number | null;
}

export interface LocalVlan extends Segment {
  readonly networkId: string;
  readonly lvid: number;
}

export { portNetworkKeys };

export function segmentToOtherConfig(networkId: string, segment: Segment): Record<string, string> {
  return {
    net_uuid: networkId,
    network_type: segment.networkType,
    physical_network: segment.physicalNetwork ?? "None",
    segmentation_id: segment.segmentationId === null ? "None" : String(segment.segmentationId),
  };
}

const networkTypes = new Set<string>(["flat", "vlan", "vxlan", "gre", "geneve"]);

/** The network a port's other_config records, or undefined if it records none (or garbage). */
export function segmentFromOtherConfig(
  otherConfig: Readonly<Record<string, string>>,
): (Segment & { networkId: string }) | undefined {
  const networkId = otherConfig.net_uuid;
  const type = otherConfig.network_type;
  if (networkId === undefined || type === undefined || !networkTypes.has(type)) return undefined;
  const physnet = otherConfig.physical_network;
  const seg = otherConfig.segmentation_id;
  if (seg !== undefined && seg !== "None" && !/^\d{1,8}$/.test(seg)) return undefined;
  const segmentationId = seg === undefined || seg === "None" ? null : Number(seg);
  // A VLAN or tunnel network always has a segment: anything else is not a record this agent wrote.
  if (segmentationId === null && type !== "flat") return undefined;
  return {
    networkId,
    networkType: type as NetworkType,
    physicalNetwork: physnet === undefined || physnet === "None" ? null : physnet,
    segmentationId,
  };
}

export class LocalVlanExhaustedError extends WeirError {
  constructor() {
    super("WEIR_LOCAL_VLANS_EXHAUSTED", `all ${MAX_LVID} local VLANs are in use on this host`);
  }
}

/**
 * The allocation table. Allocation goes round-robin from the last one handed out, so a VLAN just freed is
 * not reused at once: flows of the network that left and of the one that arrives never meet on one key.
 */
export class LocalVlans {
  readonly #byNetwork = new Map<string, LocalVlan>();
  readonly #byLvid = new Map<number, string>();
  #cursor = MIN_LVID - 1;

  get size(): number {
    return this.#byNetwork.size;
  }

  get(networkId: string): LocalVlan | undefined {
    return this.#byNetwork.get(networkId);
  }

  networkOf(lvid: number): string | undefined {
    return this.#byLvid.get(lvid);
  }

  all(): LocalVlan[] {
    return [...this.#byNetwork.values()];
  }

  /**
   * Takes over a VLAN found on a port at start. False if it conflicts with what is already restored (the
   * VLAN belongs to another network, or the network already has another VLAN): the port must be re-wired.
   */
  restore(networkId: string, lvid: number, segment: Segment): boolean {
    if (!Number.isInteger(lvid) || lvid < MIN_LVID || lvid > MAX_LVID) return false;
    const holder = this.#byLvid.get(lvid);
    const existing = this.#byNetwork.get(networkId);
    if (holder !== undefined && holder !== networkId) return false;
    if (existing !== undefined) return existing.lvid === lvid;
    this.#set({ networkId, lvid, ...segment });
    this.#cursor = Math.max(this.#cursor, lvid);
    return true;
  }

  /** The network's VLAN, allocated if it has none; the segment is updated if the server says otherwise. */
  allocate(networkId: string, segment: Segment): LocalVlan {
    const existing = this.#byNetwork.get(networkId);
    if (existing !== undefined) {
      const updated = { ...existing, ...segment };
      this.#byNetwork.set(networkId, updated);
      return updated;
    }
    for (let i = 0; i < MAX_LVID; i++) {
      const lvid = ((this.#cursor + i) % MAX_LVID) + 1;
      if (lvid === DEAD_VLAN || this.#byLvid.has(lvid)) continue;
      this.#cursor = lvid;
      const vlan = { networkId, lvid, ...segment };
      this.#set(vlan);
      return vlan;
    }
    throw new LocalVlanExhaustedError();
  }

  release(networkId: string): LocalVlan | undefined {
    const vlan = this.#byNetwork.get(networkId);
    if (vlan === undefined) return undefined;
    this.#byNetwork.delete(networkId);
    this.#byLvid.delete(vlan.lvid);
    return vlan;
  }

  #set(vlan: LocalVlan): void {
    this.#byNetwork.set(vlan.networkId, vlan);
    this.#byLvid.set(vlan.lvid, vlan.networkId);
  }
}
