/**
 * Subnet pools (Neutron's subnet_allocation, always on in ML2): a set of prefixes of one IP version that
 * subnets are carved from, lowest free block first, by length (`prefixlen`, else the pool's
 * default_prefixlen) or by an explicit cidr within the prefixes. Bounds, messages and codes are
 * Neutron's (SubnetPoolReader, SubnetAllocator): min ≤ default ≤ max ≤ the version's bits; prefixes may
 * only grow; pools of one address scope never overlap; a project's subnets from a pool stay within the
 * pool's default_quota (IPv4 addresses, IPv6 /64s); one default pool per IP version.
 */
import { randomUUID } from "node:crypto";
import { ApiError, conflict } from "../api-errors.ts";
import { type Cidr, formatCidr, type IpVersion, overlaps, parseCidr } from "../ipam.ts";
import { compact, firstFreeBlock, parsePoolPrefix, quotaUnits, subtract, within } from "../prefixes.ts";
import { type SubnetPoolRow, timestamp } from "../rows.ts";
import { addressScopeFor } from "./address-scopes.ts";
import type { Caller, Queryable, ServiceContext, WriteTx } from "./context.ts";
import { allow, allowAttributes, allowOn, sees } from "./ownership.ts";
import { dropRbacOf, setWildcard } from "./rbac.ts";
import { dropTags } from "./tags.ts";
import { ownedTarget } from "./targets.ts";

export const subnetPoolNotFound = (id: string) =>
  new ApiError(404, "SubnetPoolNotFound", `Subnet pool ${id} could not be found.`);
const badRequest = (type: string, message: string) => new ApiError(400, type, message);

export interface SubnetPoolCreate {
  readonly name: string;
  readonly description: string;
  readonly projectId: string;
  readonly prefixes: readonly string[];
  readonly defaultPrefixlen?: number;
  readonly minPrefixlen?: number;
  readonly maxPrefixlen?: number;
  readonly defaultQuota?: number | null;
  readonly shared: boolean;
  readonly isDefault: boolean;
  readonly addressScopeId?: string | null;
}

export type SubnetPoolUpdate = Partial<Omit<SubnetPoolCreate, "projectId" | "shared">>;

const BITS = { 4: 32, 6: 128 } as const;
const DEFAULT_MIN = { 4: 8, 6: 64 } as const;

export function subnetPoolVisible(caller: Caller, pool: SubnetPoolRow): boolean {
  return sees(caller, "get_subnetpool", ownedTarget(caller, "subnetpool", pool));
}

export async function subnetPoolFor(q: Queryable, caller: Caller, id: string): Promise<SubnetPoolRow> {
  const row = await q.get<SubnetPoolRow>("SELECT * FROM subnetpools WHERE id = ?", [id]);
  if (row === undefined || !subnetPoolVisible(caller, row)) throw subnetPoolNotFound(id);
  return row;
}

export async function prefixesOf(q: Queryable, id: string): Promise<Cidr[]> {
  const rows = await q.all<{ cidr: string }>("SELECT cidr FROM subnetpool_prefixes WHERE subnetpool_id = ?", [
    id,
  ]);
  return compact(rows.map((r) => parseCidr(r.cidr) as Cidr));
}

export async function prefixesByPool(q: Queryable): Promise<Map<string, string[]>> {
  const byPool = new Map<string, Cidr[]>();
  for (const r of await q.all<{ subnetpool_id: string; cidr: string }>("SELECT * FROM subnetpool_prefixes")) {
    const list = byPool.get(r.subnetpool_id) ?? [];
    list.push(parseCidr(r.cidr) as Cidr);
    byPool.set(r.subnetpool_id, list);
  }
  return new Map([...byPool].map(([id, list]) => [id, compact(list).map(formatCidr)]));
}

/** The pool's prefixes as given: one IP version, compacted (Neutron's _read_prefix_info). */
function readPrefixes(texts: readonly string[]): { version: IpVersion; prefixes: Cidr[] } {
  const parsed = texts.map((t) => {
    const c = parsePoolPrefix(t);
    if (c === undefined)
      throw badRequest(
        "HTTPBadRequest",
        `Invalid input for prefixes. Reason: '${t}' is not a valid IP subnet.`,
      );
    return c;
  });
  const first = parsed[0];
  if (first === undefined) throw badRequest("EmptySubnetPoolPrefixList", "Empty subnet pool prefix list.");
  if (parsed.some((c) => c.version !== first.version))
    throw badRequest("PrefixVersionMismatch", "Cannot mix IPv4 and IPv6 prefixes in a subnet pool.");
  return { version: first.version, prefixes: compact(parsed) };
}

/** min, max and default prefix lengths: given or defaulted, each within the others (SubnetPoolHelper). */
function readBounds(
  version: IpVersion,
  given: { min?: number; max?: number; dflt?: number },
): { min: number; max: number; dflt: number } {
  const max = given.max ?? BITS[version];
  const min = given.min ?? DEFAULT_MIN[version];
  const dflt = given.dflt ?? min;
  const illegal = (type: string, n: number, base: string, b: number) =>
    badRequest("IllegalSubnetPoolPrefixBounds", `Illegal prefix bounds: ${type}=${n}, ${base}=${b}.`);
  if (max > BITS[version]) throw illegal("max_prefixlen", max, "ip_version_max", BITS[version]);
  if (min > max) throw illegal("min_prefixlen", min, "max_prefixlen", max);
  if (dflt < min) throw illegal("default_prefixlen", dflt, "min_prefixlen", min);
  if (dflt > max) throw illegal("default_prefixlen", dflt, "max_prefixlen", max);
  return { min, max, dflt };
}

/** A scope the pool may join: visible, of the pool's version, none of whose pools overlaps it. */
async function checkScope(
  q: Queryable,
  caller: Caller,
  poolId: string,
  version: IpVersion,
  prefixes: readonly Cidr[],
  scopeId: string,
): Promise<void> {
  const scope = await addressScopeFor(q, caller, scopeId);
  if (scope.ip_version !== version)
    throw badRequest(
      "IllegalSubnetPoolIpVersionAssociationToAddressScope",
      `Illegal subnetpool association: subnetpool ${poolId} cannot associate with address scope ${scopeId} because subnetpool ip_version is not ${scope.ip_version}.`,
    );
  const others = await q.all<{ cidr: string }>(
    "SELECT x.cidr FROM subnetpool_prefixes x JOIN subnetpools p ON p.id = x.subnetpool_id WHERE p.address_scope_id = ? AND p.id <> ?",
    [scopeId, poolId],
  );
  if (others.some((o) => prefixes.some((p) => overlaps(p, parseCidr(o.cidr) as Cidr))))
    throw conflict(
      "AddressScopePrefixConflict",
      "Failed to associate address scope: subnetpools within an address scope must have unique prefixes.",
    );
}

async function checkOneDefault(q: Queryable, version: number, except: string): Promise<void> {
  const other = await q.get(
    "SELECT id FROM subnetpools WHERE ip_version = ? AND is_default = 1 AND id <> ?",
    [version, except],
  );
  if (other !== undefined)
    throw badRequest(
      "BadRequest",
      "Bad request: A default subnetpool for this IP family has already been set. Only one default may exist per IP family",
    );
}

async function writePrefixes(tx: WriteTx, id: string, prefixes: readonly Cidr[]): Promise<void> {
  await tx.run("DELETE FROM subnetpool_prefixes WHERE subnetpool_id = ?", [id]);
  for (const p of prefixes)
    await tx.run("INSERT INTO subnetpool_prefixes (subnetpool_id, cidr) VALUES (?, ?)", [id, formatCidr(p)]);
}

export async function createSubnetPool(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  input: SubnetPoolCreate,
): Promise<SubnetPoolRow> {
  const target = { project_id: input.projectId, shared: input.shared, is_default: input.isDefault };
  allow(caller, "create_subnetpool", target);
  allowAttributes(
    caller,
    "create_subnetpool",
    [...(input.shared ? ["shared"] : []), ...(input.isDefault ? ["is_default"] : [])],
    target,
  );
  const { version, prefixes } = readPrefixes(input.prefixes);
  const bounds = readBounds(version, {
    min: input.minPrefixlen,
    max: input.maxPrefixlen,
    dflt: input.defaultPrefixlen,
  });
  const id = randomUUID();
  if (input.addressScopeId) await checkScope(tx, caller, id, version, prefixes, input.addressScopeId);
  if (input.isDefault) await checkOneDefault(tx, version, id);
  const now = timestamp(ctx.now());
  const row: SubnetPoolRow = {
    id,
    name: input.name,
    description: input.description,
    project_id: input.projectId,
    ip_version: version,
    default_prefixlen: bounds.dflt,
    min_prefixlen: bounds.min,
    max_prefixlen: bounds.max,
    default_quota: input.defaultQuota ?? null,
    shared: input.shared ? 1 : 0,
    is_default: input.isDefault ? 1 : 0,
    address_scope_id: input.addressScopeId ?? null,
    revision_number: 1,
    created_at: now,
    updated_at: now,
  };
  await tx.run(
    `INSERT INTO subnetpools (id, name, description, project_id, ip_version, default_prefixlen, min_prefixlen,
      max_prefixlen, default_quota, shared, is_default, address_scope_id, revision_number, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      row.id,
      row.name,
      row.description,
      row.project_id,
      row.ip_version,
      row.default_prefixlen,
      row.min_prefixlen,
      row.max_prefixlen,
      row.default_quota,
      row.shared,
      row.is_default,
      row.address_scope_id,
      row.revision_number,
      row.created_at,
      row.updated_at,
    ],
  );
  await writePrefixes(tx, id, prefixes);
  if (input.shared) await setWildcard(tx, "subnetpool", row, "access_as_shared", true);
  return row;
}

export async function updateSubnetPool(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  id: string,
  input: SubnetPoolUpdate,
): Promise<SubnetPoolRow> {
  const current = await subnetPoolFor(tx, caller, id);
  const target = ownedTarget(caller, "subnetpool", current);
  allowOn(caller, "update_subnetpool", "get_subnetpool", target, () => subnetPoolNotFound(id));
  allowAttributes(caller, "update_subnetpool", input.isDefault === undefined ? [] : ["is_default"], target);
  const version = current.ip_version as IpVersion;
  const old = await prefixesOf(tx, id);
  let prefixes = old;
  if (input.prefixes !== undefined) {
    const read = readPrefixes(input.prefixes);
    if (read.version !== version)
      throw badRequest("PrefixVersionMismatch", "Cannot mix IPv4 and IPv6 prefixes in a subnet pool.");
    if (!old.every((p) => within(p, read.prefixes)))
      throw badRequest(
        "IllegalSubnetPoolPrefixUpdate",
        "Illegal update to prefixes: Existing prefixes must be a subset of the new prefixes.",
      );
    prefixes = read.prefixes;
  }
  const scopeId = input.addressScopeId === undefined ? current.address_scope_id : input.addressScopeId;
  if (input.prefixes !== undefined && scopeId !== null && !caller.admin) {
    const scope = await addressScopeFor(tx, caller, scopeId);
    if (scope.project_id !== caller.projectId)
      throw badRequest(
        "IllegalSubnetPoolUpdate",
        `Illegal subnetpool update : Only admins may change the prefixes of subnet pool ${id}: its address scope ${scopeId} is another project's.`,
      );
  }
  if (scopeId !== null && (input.prefixes !== undefined || scopeId !== current.address_scope_id))
    await checkScope(tx, caller, id, version, prefixes, scopeId);
  const bounds = readBounds(version, {
    min: input.minPrefixlen ?? current.min_prefixlen,
    max: input.maxPrefixlen ?? current.max_prefixlen,
    dflt: input.defaultPrefixlen ?? current.default_prefixlen,
  });
  if (input.isDefault === true) await checkOneDefault(tx, version, id);
  const next: SubnetPoolRow = {
    ...current,
    name: input.name ?? current.name,
    description: input.description ?? current.description,
    default_prefixlen: bounds.dflt,
    min_prefixlen: bounds.min,
    max_prefixlen: bounds.max,
    default_quota: input.defaultQuota === undefined ? current.default_quota : input.defaultQuota,
    is_default: input.isDefault === undefined ? current.is_default : input.isDefault ? 1 : 0,
    address_scope_id: scopeId,
    revision_number: current.revision_number + 1,
    updated_at: timestamp(ctx.now()),
  };
  await tx.run(
    `UPDATE subnetpools SET name = ?, description = ?, default_prefixlen = ?, min_prefixlen = ?, max_prefixlen = ?,
      default_quota = ?, is_default = ?, address_scope_id = ?, revision_number = ?, updated_at = ? WHERE id = ?`,
    [
      next.name,
      next.description,
      next.default_prefixlen,
      next.min_prefixlen,
      next.max_prefixlen,
      next.default_quota,
      next.is_default,
      next.address_scope_id,
      next.revision_number,
      next.updated_at,
      id,
    ],
  );
  if (input.prefixes !== undefined) await writePrefixes(tx, id, prefixes);
  return next;
}

/**
 * PUT …/add_prefixes and …/remove_prefixes (subnetpool-prefix-ops): the pool's prefixes with `given`
 * joined or taken out; a prefix that holds one of the pool's subnets cannot be taken out.
 */
export async function changePrefixes(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  id: string,
  op: "add_prefixes" | "remove_prefixes",
  given: readonly string[],
): Promise<string[]> {
  const current = await subnetPoolFor(tx, caller, id);
  allowOn(caller, op, "get_subnetpool", ownedTarget(caller, "subnetpool", current), () =>
    subnetPoolNotFound(id),
  );
  const old = await prefixesOf(tx, id);
  if (given.length === 0) return old.map(formatCidr);
  const { version, prefixes } = readPrefixes(given);
  if (version !== current.ip_version)
    throw badRequest("PrefixVersionMismatch", "Cannot mix IPv4 and IPv6 prefixes in a subnet pool.");
  if (op === "add_prefixes") {
    const next = await updateSubnetPool(tx, ctx, caller, id, {
      prefixes: [...old, ...prefixes].map(formatCidr),
    });
    return (await prefixesOf(tx, next.id)).map(formatCidr);
  }
  const remaining = subtract(old, prefixes);
  const subnets = await tx.all<{ cidr: string }>("SELECT cidr FROM subnets WHERE subnetpool_id = ?", [id]);
  const held = subnets.map((s) => s.cidr).filter((c) => !within(parseCidr(c) as Cidr, remaining));
  if (held.length > 0)
    throw badRequest(
      "IllegalSubnetPoolPrefixUpdate",
      `Illegal update to prefixes: subnets ${held.join(", ")} are allocated from the prefixes to remove.`,
    );
  if (remaining.length === 0) throw badRequest("EmptySubnetPoolPrefixList", "Empty subnet pool prefix list.");
  await writePrefixes(tx, id, remaining);
  await tx.run("UPDATE subnetpools SET revision_number = revision_number + 1, updated_at = ? WHERE id = ?", [
    timestamp(ctx.now()),
    id,
  ]);
  return remaining.map(formatCidr);
}

export async function deleteSubnetPool(tx: WriteTx, caller: Caller, id: string): Promise<void> {
  const current = await subnetPoolFor(tx, caller, id);
  allowOn(caller, "delete_subnetpool", "get_subnetpool", ownedTarget(caller, "subnetpool", current), () =>
    subnetPoolNotFound(id),
  );
  if ((await tx.get("SELECT id FROM subnets WHERE subnetpool_id = ? LIMIT 1", [id])) !== undefined)
    throw conflict(
      "SubnetPoolInUse",
      `Unable to complete operation on subnet pool ${id}. Subnet pool has existing allocations.`,
    );
  await tx.run("DELETE FROM subnetpool_prefixes WHERE subnetpool_id = ?", [id]);
  await tx.run("DELETE FROM subnetpools WHERE id = ?", [id]);
  await dropTags(tx, "subnetpools", id);
  await dropRbacOf(tx, "subnetpool", id);
}

export interface NetworkScopes {
  readonly ipv4_address_scope: string | null;
  readonly ipv6_address_scope: string | null;
}

/**
 * A network's address scope per IP version (the address-scope extension's network attributes): the
 * scope every subnet of that version on it was allocated in, else null (Neutron's rule: one subnet
 * outside a scope, or two scopes, and the network has none).
 */
export async function addressScopesByNetwork(
  q: Queryable,
  networkId?: string,
): Promise<Map<string, NetworkScopes>> {
  const rows = await q.all<{ network_id: string; ip_version: number; scope: string | null }>(
    `SELECT s.network_id, s.ip_version, p.address_scope_id AS scope FROM subnets s
       LEFT JOIN subnetpools p ON p.id = s.subnetpool_id${networkId === undefined ? "" : " WHERE s.network_id = ?"}`,
    networkId === undefined ? [] : [networkId],
  );
  const seen = new Map<string, Map<number, Set<string | null>>>();
  for (const r of rows) {
    const byVersion = seen.get(r.network_id) ?? new Map<number, Set<string | null>>();
    const scopes = byVersion.get(r.ip_version) ?? new Set<string | null>();
    scopes.add(r.scope ?? null);
    byVersion.set(r.ip_version, scopes);
    seen.set(r.network_id, byVersion);
  }
  const one = (scopes: Set<string | null> | undefined) =>
    scopes?.size === 1 ? ([...scopes][0] ?? null) : null;
  return new Map(
    [...seen].map(([id, v]) => [
      id,
      { ipv4_address_scope: one(v.get(4)), ipv6_address_scope: one(v.get(6)) },
    ]),
  );
}

/** The default pool of an IP version, if one is set (use_default_subnetpool). */
export async function defaultPoolOf(q: Queryable, version: number): Promise<SubnetPoolRow | undefined> {
  return q.get<SubnetPoolRow>("SELECT * FROM subnetpools WHERE ip_version = ? AND is_default = 1", [version]);
}

/**
 * The subnet a request gets from a pool: `cidr` if it lies within the prefixes and is free, else the
 * lowest free block of `prefixlen` (the pool's default when absent); within the pool's bounds and the
 * project's default_quota.
 */
export async function allocateFromPool(
  q: Queryable,
  pool: SubnetPoolRow,
  projectId: string,
  request: { readonly cidr?: Cidr; readonly prefixlen?: number },
): Promise<Cidr> {
  const length = request.cidr?.prefix ?? request.prefixlen ?? pool.default_prefixlen;
  if (length < pool.min_prefixlen)
    throw badRequest(
      "MinPrefixSubnetAllocationError",
      `Unable to allocate subnet with prefix length ${length}, minimum allowed prefix is ${pool.min_prefixlen}.`,
    );
  if (length > pool.max_prefixlen)
    throw badRequest(
      "MaxPrefixSubnetAllocationError",
      `Unable to allocate subnet with prefix length ${length}, maximum allowed prefix is ${pool.max_prefixlen}.`,
    );
  const prefixes = await prefixesOf(q, pool.id);
  const allocated = await q.all<{ cidr: string; project_id: string }>(
    "SELECT cidr, project_id FROM subnets WHERE subnetpool_id = ?",
    [pool.id],
  );
  const used = allocated.map((s) => parseCidr(s.cidr) as Cidr);
  const failed = (reason: string) =>
    badRequest("SubnetAllocationError", `Failed to allocate subnet: ${reason}.`);
  let subnet: Cidr | undefined;
  if (request.cidr !== undefined) {
    if (!within(request.cidr, prefixes) || used.some((u) => overlaps(u, request.cidr!)))
      throw failed("Cannot allocate requested subnet from the available set of prefixes");
    subnet = request.cidr;
  } else {
    subnet = firstFreeBlock(prefixes, used, length);
    if (subnet === undefined) throw failed(`Insufficient prefix space to allocate subnet size /${length}`);
  }
  if (pool.default_quota !== null) {
    const inUse = allocated
      .filter((s) => s.project_id === projectId)
      .reduce((sum, s) => sum + quotaUnits(parseCidr(s.cidr) as Cidr), 0n);
    if (inUse + quotaUnits(subnet) > BigInt(pool.default_quota))
      throw conflict("SubnetPoolQuotaExceeded", "Per-tenant subnet pool prefix quota exceeded.");
  }
  return subnet;
}
