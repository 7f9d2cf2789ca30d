/**
 * Network segments: validating provider attributes (admins), allocating tenant segments from the
 * configured ranges. Allocation runs inside the serialized write transaction, and the networks_segment
 * unique index backs it, so two creates never get the same segment.
 */
import type { NetworkType } from "../../protocol/index.ts";
import { ApiError, invalidInput, noNetworkAvailable } from "../api-errors.ts";
import type { ServerConfig } from "../config.ts";
import type { Queryable } from "./context.ts";

export interface Segment {
  readonly networkType: NetworkType;
  readonly physicalNetwork: string | null;
  readonly segmentationId: number | null;
}

export interface ProviderInput {
  readonly networkType?: string;
  readonly physicalNetwork?: string | null;
  readonly segmentationId?: number | null;
}

const tunnelTypes = ["vxlan", "gre", "geneve"] as const;
const tunnelMax = { vxlan: 2 ** 24 - 1, gre: 2 ** 32 - 1, geneve: 2 ** 24 - 1 } as const;

/** MTU by type: the physical MTU minus the encapsulation overhead (Neutron's defaults). */
export function segmentMtu(config: ServerConfig, type: NetworkType): number {
  const overhead = { flat: 0, vlan: 0, vxlan: 50, gre: 42, geneve: 50 }[type];
  return config.globalPhysnetMtu - overhead;
}

export async function chooseSegment(
  q: Queryable,
  config: ServerConfig,
  provider: ProviderInput | undefined,
): Promise<Segment> {
  if (provider?.networkType === undefined) return allocateTenantSegment(q, config);
  const type = provider.networkType;
  if (!config.typeDrivers.includes(type) || !["flat", "vlan", ...tunnelTypes].includes(type)) {
    throw invalidInput(`network_type value '${type}' not supported`);
  }
  if (type === "flat") return flatSegment(q, config, provider);
  if (type === "vlan") return vlanSegment(q, config, provider);
  return tunnelSegment(q, config, type as (typeof tunnelTypes)[number], provider);
}

async function flatSegment(q: Queryable, config: ServerConfig, p: ProviderInput): Promise<Segment> {
  const physnet = p.physicalNetwork;
  if (!physnet) throw invalidInput("physical_network required for flat provider network");
  if (p.segmentationId !== undefined && p.segmentationId !== null) {
    throw invalidInput("segmentation_id specified for flat provider network");
  }
  if (!config.flatNetworks.includes("*") && !config.flatNetworks.includes(physnet)) {
    throw invalidInput(`physical_network '${physnet}' unknown for flat provider network`);
  }
  if (await inUse(q, "flat", physnet, null)) {
    throw new ApiError(
      409,
      "FlatNetworkInUse",
      `Unable to create the flat network. Physical network ${physnet} is in use.`,
    );
  }
  return { networkType: "flat", physicalNetwork: physnet, segmentationId: null };
}

async function vlanSegment(q: Queryable, config: ServerConfig, p: ProviderInput): Promise<Segment> {
  const physnet = p.physicalNetwork;
  if (!physnet) throw invalidInput("physical_network required for VLAN provider network");
  const known = config.vlanRanges.filter((r) => r.physicalNetwork === physnet);
  if (known.length === 0)
    throw invalidInput(`physical_network '${physnet}' unknown for VLAN provider network`);
  if (p.segmentationId === undefined || p.segmentationId === null) {
    const id = await firstFree(
      q,
      "vlan",
      physnet,
      known.flatMap((r) => (r.range ? [r.range] : [])),
    );
    if (id === undefined) throw noNetworkAvailable();
    return { networkType: "vlan", physicalNetwork: physnet, segmentationId: id };
  }
  if (!Number.isInteger(p.segmentationId) || p.segmentationId < 1 || p.segmentationId > 4094) {
    throw invalidInput(`segmentation_id out of range (1 through 4094)`);
  }
  if (await inUse(q, "vlan", physnet, p.segmentationId)) {
    throw new ApiError(
      409,
      "VlanIdInUse",
      `Unable to create the network. The VLAN ${p.segmentationId} on physical network ${physnet} is in use.`,
    );
  }
  return { networkType: "vlan", physicalNetwork: physnet, segmentationId: p.segmentationId };
}

async function tunnelSegment(
  q: Queryable,
  config: ServerConfig,
  type: (typeof tunnelTypes)[number],
  p: ProviderInput,
): Promise<Segment> {
  if (p.physicalNetwork) throw invalidInput(`provider:physical_network specified for ${type} network`);
  if (p.segmentationId === undefined || p.segmentationId === null) {
    const id = await firstFree(q, type, null, config.vniRanges[type]);
    if (id === undefined) throw noNetworkAvailable();
    return { networkType: type, physicalNetwork: null, segmentationId: id };
  }
  if (!Number.isInteger(p.segmentationId) || p.segmentationId < 1 || p.segmentationId > tunnelMax[type]) {
    throw invalidInput(`segmentation_id out of range (1 through ${tunnelMax[type]})`);
  }
  if (await inUse(q, type, null, p.segmentationId)) {
    throw new ApiError(
      409,
      "TunnelIdInUse",
      `Unable to create the network. The tunnel ID ${p.segmentationId} is in use.`,
    );
  }
  return { networkType: type, physicalNetwork: null, segmentationId: p.segmentationId };
}

async function allocateTenantSegment(q: Queryable, config: ServerConfig): Promise<Segment> {
  for (const type of config.tenantNetworkTypes) {
    if (type === "vlan") {
      for (const range of config.vlanRanges) {
        if (!range.range) continue;
        const id = await firstFree(q, "vlan", range.physicalNetwork, [range.range]);
        if (id !== undefined)
          return { networkType: "vlan", physicalNetwork: range.physicalNetwork, segmentationId: id };
      }
    } else if (type === "vxlan" || type === "gre" || type === "geneve") {
      const id = await firstFree(q, type, null, config.vniRanges[type]);
      if (id !== undefined) return { networkType: type, physicalNetwork: null, segmentationId: id };
    }
  }
  throw noNetworkAvailable();
}

async function inUse(
  q: Queryable,
  type: string,
  physnet: string | null,
  id: number | null,
): Promise<boolean> {
  const row = await q.get(
    "SELECT id FROM networks WHERE network_type = ? AND COALESCE(physical_network, '') = ? AND COALESCE(segmentation_id, -1) = ?",
    [type, physnet ?? "", id ?? -1],
  );
  return row !== undefined;
}

/** The lowest id of `ranges` not used by a network of this type (and physnet). */
async function firstFree(
  q: Queryable,
  type: string,
  physnet: string | null,
  ranges: readonly (readonly [number, number])[],
): Promise<number | undefined> {
  const used = new Set(
    (
      await q.all<{ segmentation_id: number }>(
        "SELECT segmentation_id FROM networks WHERE network_type = ? AND COALESCE(physical_network, '') = ?",
        [type, physnet ?? ""],
      )
    ).map((r) => Number(r.segmentation_id)),
  );
  for (const [low, high] of ranges) {
    // Bounded by |used| + 1 candidates per range.
    for (let id = low, tries = 0; id <= high && tries <= used.size; id++, tries++)
      if (!used.has(id)) return id;
  }
  return undefined;
}
