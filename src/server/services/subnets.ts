import { randomUUID } from "node:crypto";
import { badRequest, invalidInput, notFound } from "../api-errors.ts";
import {
  type Cidr,
  canonicalIp,
  contains,
  defaultGateway,
  defaultPools,
  formatCidr,
  formatIp,
  overlaps,
  type Pool,
  parseCidr,
  parseIp,
  subnetCidr,
  validatePools,
} from "../ipam.ts";
import { type SubnetPoolRow, type SubnetRow, timestamp } from "../rows.ts";
import type { Caller, Queryable, ServiceContext, WriteTx } from "./context.ts";
import { emitSubnetDeleted, emitSubnetUpdated } from "./dhcp-agents.ts";
import { checkHostRoutes } from "./host-routes.ts";
import { checkDhcpChange, checkModesOnCreate, type Ipv6Modes } from "./ipv6-modes.ts";
import { network as findNetwork, subnet as findSubnet, subnetsOf } from "./lookups.ts";
import { allow, allowOn, projectFor, sees } from "./ownership.ts";
import { checkQuota } from "./quotas.ts";
import { revise } from "./revisions.ts";
import { addressPortsOnNewSubnet, releaseSubnetAddresses } from "./subnet-addresses.ts";
import { allocateFromPool, defaultPoolOf, subnetPoolFor } from "./subnet-pools.ts";
import { dropTags } from "./tags.ts";
import { networkTarget, onNetworkTarget } from "./targets.ts";

export interface SubnetCreate {
  readonly networkId: string;
  /** Absent: allocated from the subnet pool (by `prefixlen` or the pool's default length). */
  readonly cidr?: string;
  readonly prefixlen?: number;
  readonly subnetpoolId?: string | null;
  readonly useDefaultSubnetpool?: boolean;
  readonly ipVersion?: number;
  readonly name?: string;
  readonly description?: string;
  readonly projectId?: string;
  /** null: no gateway; undefined: the first address. */
  readonly gatewayIp?: string | null;
  readonly allocationPools?: readonly Pool[];
  readonly enableDhcp?: boolean;
  readonly dnsNameservers?: readonly string[];
  readonly hostRoutes?: readonly { destination: string; nexthop: string }[];
  /** Default: neither mode. */
  readonly ipv6Modes?: Ipv6Modes;
}

export interface SubnetUpdate {
  readonly name?: string;
  readonly description?: string;
  readonly gatewayIp?: string | null;
  readonly allocationPools?: readonly Pool[];
  readonly enableDhcp?: boolean;
  readonly dnsNameservers?: readonly string[];
  readonly hostRoutes?: readonly { destination: string; nexthop: string }[];
}

export async function createSubnet(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  input: SubnetCreate,
): Promise<SubnetRow> {
  const network = await findNetwork(tx, input.networkId);
  // A network the caller may not see is not found; one it sees but does not own is forbidden.
  if (!sees(caller, "get_network", networkTarget(caller, network))) throw notFound("Network", network.id);
  const projectId = projectFor(caller, input.projectId);
  allow(caller, "create_subnet", onNetworkTarget(caller, { project_id: projectId }, network));
  await checkQuota(tx, ctx.config, projectId, "subnet", 1);
  if (input.cidr !== undefined && input.prefixlen !== undefined)
    throw badRequest("cidr and prefixlen must not be supplied together");
  const requested = input.cidr === undefined ? undefined : parseCidr(input.cidr);
  if (requested !== undefined && "error" in requested) throw invalidInput(requested.error);
  const pool = await poolOf(tx, caller, input, input.ipVersion ?? requested?.version);
  if (pool === undefined && requested === undefined)
    throw badRequest("A cidr must be specified in the absence of a subnet pool");
  if (pool !== undefined && input.ipVersion !== undefined && input.ipVersion !== pool.ip_version)
    throw badRequest(`Cannot allocate IPv${input.ipVersion} subnet from IPv${pool.ip_version} subnet pool`);
  const parsed =
    pool === undefined
      ? requested!
      : await allocateFromPool(tx, pool, projectId, { cidr: requested, prefixlen: input.prefixlen });
  if (input.ipVersion !== undefined && input.ipVersion !== parsed.version) {
    throw invalidInput(`Cidr ${input.cidr} does not match ip_version ${input.ipVersion}`);
  }
  if (parsed.version === 4 && parsed.prefix > 30)
    throw invalidInput(`Subnet ${formatCidr(parsed)} is too small: use at most a /30`);
  const siblings = await subnetsOf(tx, network.id);
  // Neutron's _validate_network_subnetpools: a network's subnets of one IP version share one pool (or none).
  if (siblings.some((o) => o.ip_version === parsed.version && o.subnetpool_id !== (pool?.id ?? null)))
    throw badRequest("Subnets hosted on the same network must be allocated from the same subnet pool.");
  for (const other of siblings) {
    if (overlaps(parsed, subnetCidr(other))) {
      throw invalidInput(
        `Requested subnet with cidr: ${formatCidr(parsed)} for network: ${network.id} overlaps with another subnet`,
      );
    }
  }
  const gateway = gatewayOf(parsed, input.gatewayIp);
  const pools = input.allocationPools ?? defaultPools(parsed, gateway);
  const poolError = validatePools(parsed, pools, gateway);
  if (poolError) throw invalidInput(poolError);
  const modes = input.ipv6Modes ?? { addressMode: null, raMode: null };
  checkModesOnCreate({
    ipVersion: parsed.version,
    modes,
    enableDhcp: input.enableDhcp !== false,
    requestedCidr: requested === undefined ? undefined : { text: formatCidr(parsed), prefix: parsed.prefix },
  });
  const now = timestamp(ctx.now());
  const row: SubnetRow = {
    id: randomUUID(),
    network_id: network.id,
    name: input.name ?? "",
    description: input.description ?? "",
    project_id: projectId,
    ip_version: parsed.version,
    cidr: formatCidr(parsed),
    gateway_ip: gateway === undefined ? null : formatIp(parsed.version, gateway),
    enable_dhcp: input.enableDhcp === false ? 0 : 1,
    allocation_pools: JSON.stringify(
      pools.map((p) => ({ start: canonicalIp(p.start), end: canonicalIp(p.end) })),
    ),
    dns_nameservers: JSON.stringify(checkAddresses(input.dnsNameservers ?? [], "dns_nameservers")),
    host_routes: JSON.stringify(checkHostRoutes(input.hostRoutes ?? [], parsed.version)),
    subnetpool_id: pool?.id ?? null,
    ipv6_address_mode: modes.addressMode,
    ipv6_ra_mode: modes.raMode,
    revision_number: 1,
    created_at: now,
    updated_at: now,
  };
  await tx.run(
    `INSERT INTO subnets (id, network_id, name, description, project_id, ip_version, cidr, gateway_ip, enable_dhcp,
      allocation_pools, dns_nameservers, host_routes, subnetpool_id, ipv6_address_mode, ipv6_ra_mode,
      revision_number, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      row.id,
      row.network_id,
      row.name,
      row.description,
      row.project_id,
      row.ip_version,
      row.cidr,
      row.gateway_ip,
      row.enable_dhcp,
      row.allocation_pools,
      row.dns_nameservers,
      row.host_routes,
      row.subnetpool_id,
      row.ipv6_address_mode,
      row.ipv6_ra_mode,
      row.revision_number,
      row.created_at,
      row.updated_at,
    ],
  );
  // A network's subnets are one of its attributes: a new subnet is a new revision of the network.
  await revise(tx, "networks", network.id, now);
  await emitSubnetUpdated(tx, row);
  await addressPortsOnNewSubnet(tx, ctx, row, network);
  return row;
}

export async function updateSubnet(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  id: string,
  input: SubnetUpdate,
) {
  const current = await findSubnet(tx, id);
  const target = onNetworkTarget(caller, current, await findNetwork(tx, current.network_id));
  allowOn(caller, "update_subnet", "get_subnet", target, () => notFound("Subnet", id));
  checkDhcpChange({ addressMode: current.ipv6_address_mode, raMode: current.ipv6_ra_mode }, input.enableDhcp);
  const cidr = subnetCidr(current);
  const gateway =
    input.gatewayIp === undefined
      ? current.gateway_ip === null
        ? undefined
        : parseIp(current.gateway_ip)!.value
      : gatewayOf(cidr, input.gatewayIp);
  const pools = input.allocationPools ?? (JSON.parse(current.allocation_pools) as Pool[]);
  const poolError = validatePools(cidr, pools, gateway);
  if (poolError) throw invalidInput(poolError);
  const next: SubnetRow = {
    ...current,
    name: input.name ?? current.name,
    description: input.description ?? current.description,
    gateway_ip: gateway === undefined ? null : formatIp(cidr.version, gateway),
    enable_dhcp: input.enableDhcp === undefined ? current.enable_dhcp : input.enableDhcp ? 1 : 0,
    allocation_pools: JSON.stringify(
      pools.map((p) => ({ start: canonicalIp(p.start), end: canonicalIp(p.end) })),
    ),
    dns_nameservers:
      input.dnsNameservers === undefined
        ? current.dns_nameservers
        : JSON.stringify(checkAddresses(input.dnsNameservers, "dns_nameservers")),
    host_routes:
      input.hostRoutes === undefined
        ? current.host_routes
        : JSON.stringify(checkHostRoutes(input.hostRoutes, cidr.version)),
    revision_number: current.revision_number + 1,
    updated_at: timestamp(ctx.now()),
  };
  await tx.run(
    "UPDATE subnets SET name = ?, description = ?, gateway_ip = ?, enable_dhcp = ?, allocation_pools = ?, dns_nameservers = ?, host_routes = ?, revision_number = ?, updated_at = ? WHERE id = ?",
    [
      next.name,
      next.description,
      next.gateway_ip,
      next.enable_dhcp,
      next.allocation_pools,
      next.dns_nameservers,
      next.host_routes,
      next.revision_number,
      next.updated_at,
      id,
    ],
  );
  await emitSubnetUpdated(tx, next);
  return next;
}

export async function deleteSubnet(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  id: string,
): Promise<void> {
  const current = await findSubnet(tx, id);
  const network = await findNetwork(tx, current.network_id);
  const target = onNetworkTarget(caller, current, network);
  allowOn(caller, "delete_subnet", "get_subnet", target, () => notFound("Subnet", id));
  await releaseSubnetAddresses(tx, ctx, current, network);
  await emitSubnetDeleted(tx, current);
  await tx.run("DELETE FROM subnets WHERE id = ?", [id]);
  await dropTags(tx, "subnets", id);
  await revise(tx, "networks", current.network_id, timestamp(ctx.now()));
}

/** The pool a create names (subnetpool_id) or asks for (use_default_subnetpool), if any. */
async function poolOf(
  q: Queryable,
  caller: Caller,
  input: SubnetCreate,
  version: number | undefined,
): Promise<SubnetPoolRow | undefined> {
  if (input.useDefaultSubnetpool) {
    if (input.subnetpoolId)
      throw badRequest("subnetpool_id and use_default_subnetpool cannot both be specified");
    if (version === undefined)
      throw badRequest("ip_version must be specified in the absence of cidr and subnetpool_id");
    const pool = await defaultPoolOf(q, version);
    if (pool === undefined) throw badRequest(`No default subnetpool found for IPv${version}`);
    return pool;
  }
  return input.subnetpoolId ? subnetPoolFor(q, caller, input.subnetpoolId) : undefined;
}

function gatewayOf(cidr: Cidr, requested: string | null | undefined): bigint | undefined {
  if (requested === null) return undefined;
  if (requested === undefined) return defaultGateway(cidr);
  const ip = parseIp(requested);
  if (ip === undefined || ip.version !== cidr.version)
    throw invalidInput(`'${requested}' is not a valid IP address`);
  if (!contains(cidr, ip.value))
    throw invalidInput(`Gateway IP ${requested} is not in subnet ${formatCidr(cidr)}`);
  return ip.value;
}

function checkAddresses(addresses: readonly string[], field: string): string[] {
  return addresses.map((a) => {
    const canonical = canonicalIp(a);
    if (canonical === undefined) throw invalidInput(`'${a}' in ${field} is not a valid IP address`);
    return canonical;
  });
}
