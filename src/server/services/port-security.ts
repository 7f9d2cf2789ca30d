/**
 * A port's security: port_security_enabled (inherited from its network unless given; off for the
 * network's own ports, device_owner network:*), its security groups (the project's default group when
 * none are given and security is on) and its allowed address pairs, with ML2's rules on how they combine
 * (neutron/plugins/ml2/plugin.py _portsec_ext_port_*_processing, securitygroups_db.py).
 */
import { ApiError, conflict } from "../api-errors.ts";
import { canonicalIp, parseIp } from "../ipam.ts";
import type { NetworkRow, PortRow, SecurityGroupRow } from "../rows.ts";
import type { Caller, Queryable, ServiceContext, WriteTx } from "./context.ts";
import { ensureDefaultGroup, securityGroupNotFound } from "./security-groups.ts";
import { parsePrefix } from "./sg-rule-values.ts";
import { sharedWith } from "./targets.ts";

export interface AddressPair {
  readonly ip_address: string;
  readonly mac_address?: string;
}

/** Ports Neutron trusts (its own: DHCP, routers, …) get no security groups and no port security. */
export const isTrusted = (deviceOwner: string) => deviceOwner.startsWith("network:");

export function portSecurityFor(
  network: NetworkRow,
  deviceOwner: string,
  requested: boolean | undefined,
): boolean {
  if (requested !== undefined) return requested;
  return isTrusted(deviceOwner) ? false : network.port_security_enabled !== 0;
}

export async function groupsOfPort(q: Queryable, portId: string): Promise<string[]> {
  return (
    await q.all<{ security_group_id: string }>(
      "SELECT security_group_id FROM port_security_groups WHERE port_id = ? ORDER BY security_group_id",
      [portId],
    )
  ).map((r) => r.security_group_id);
}

export async function groupsByPort(q: Queryable): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  for (const row of await q.all<{ port_id: string; security_group_id: string }>(
    "SELECT port_id, security_group_id FROM port_security_groups ORDER BY security_group_id",
  )) {
    const list = map.get(row.port_id);
    if (list) list.push(row.security_group_id);
    else map.set(row.port_id, [row.security_group_id]);
  }
  return map;
}

const securityRequired = () =>
  new ApiError(
    400,
    "PortSecurityAndIPRequiredForSecurityGroups",
    "Port security must be enabled and port must have an IP address in order to use security groups.",
  );
const pairsNeedSecurity = () =>
  conflict(
    "AddressPairAndPortSecurityRequired",
    "Port Security must be enabled in order to have allowed address pairs on a port.",
  );

/**
 * The groups a new port gets, checked: `requested` undefined means "not given" (the default group when
 * security is on), [] means none.
 */
export async function groupsForNewPort(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  port: Pick<PortRow, "project_id" | "device_owner">,
  security: boolean,
  requested: readonly string[] | undefined,
  pairs: readonly AddressPair[],
): Promise<string[]> {
  if (!security && pairs.length > 0) throw pairsNeedSecurity();
  if (!security) {
    if (requested !== undefined && requested.length > 0) throw securityRequired();
    return [];
  }
  if (isTrusted(port.device_owner)) return [];
  if (requested === undefined) {
    const group = await ensureDefaultGroup(tx, ctx, caller, port.project_id);
    return group === undefined ? [] : [group];
  }
  return checkGroups(tx, caller, port.project_id, requested);
}

/**
 * The groups after an update (undefined: unchanged), with ML2's checks when port security ends up off:
 * no address pairs, no groups left behind.
 */
export async function groupsForUpdatedPort(
  tx: WriteTx,
  caller: Caller,
  current: PortRow,
  security: boolean,
  requested: readonly string[] | undefined,
  pairsRequested: readonly AddressPair[] | undefined,
): Promise<string[] | undefined> {
  if (!security) {
    if (pairsRequested !== undefined && pairsRequested.length > 0) throw pairsNeedSecurity();
    if (pairsRequested === undefined && JSON.parse(current.allowed_address_pairs).length > 0)
      throw pairsNeedSecurity();
    if (requested !== undefined && requested.length > 0) throw securityRequired();
    if (requested === undefined && (await groupsOfPort(tx, current.id)).length > 0)
      throw conflict(
        "PortSecurityPortHasSecurityGroup",
        "Port has security group associated. Cannot disable port security or IP address until security group is removed.",
      );
  }
  if (requested === undefined) return undefined;
  if (isTrusted(current.device_owner)) return [];
  return checkGroups(tx, caller, current.project_id, requested);
}

/** Each group the port's project owns or is given (an admin may use any); all stateful or all stateless. */
async function checkGroups(
  q: Queryable,
  caller: Caller,
  projectId: string,
  ids: readonly string[],
): Promise<string[]> {
  const found: SecurityGroupRow[] = [];
  const missing: string[] = [];
  for (const id of ids) {
    const row = await q.get<SecurityGroupRow>("SELECT * FROM security_groups WHERE id = ?", [id]);
    if (
      row !== undefined &&
      (caller.admin || row.project_id === projectId || sharedWith(caller, "security_group", row))
    )
      found.push(row);
    else missing.push(id);
  }
  if (missing.length > 0) throw securityGroupNotFound(missing.join(", "));
  if (found.some((g) => g.stateful === 1) && found.some((g) => g.stateful === 0))
    throw conflict(
      "SecurityGroupConflict",
      "Error Cannot apply both stateful and stateless security groups on the same port at the same time while attempting the operation.",
    );
  return found.map((g) => g.id).sort();
}

export async function setGroupsOfPort(tx: WriteTx, portId: string, ids: readonly string[]): Promise<void> {
  await tx.run("DELETE FROM port_security_groups WHERE port_id = ?", [portId]);
  for (const id of ids)
    await tx.run("INSERT INTO port_security_groups (port_id, security_group_id) VALUES (?, ?)", [portId, id]);
}

const macPattern = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/**
 * neutron-lib's allowed-address-pairs validator, in its order: at most `max`, no repeated (MAC, IP),
 * each IP an address or a prefix, not multicast, nor the MAC; the MAC defaults to the port's.
 */
export function checkAddressPairs(
  pairs: readonly AddressPair[],
  portMac: string,
  max: number,
): { ip_address: string; mac_address: string }[] {
  if (pairs.length > max)
    throw new ApiError(
      400,
      "AllowedAddressPairExhausted",
      `The number of allowed address pair exceeds the maximum ${max}.`,
    );
  const seen = new Set<string>();
  const bad = (message: string) => new ApiError(400, "HTTPBadRequest", message);
  for (const pair of pairs) {
    if (pair.mac_address !== undefined && !macPattern.test(pair.mac_address.toLowerCase()))
      throw bad(`'${pair.mac_address}' is not a valid MAC address`);
    const key = `${pair.mac_address ?? "None"} ${pair.ip_address}`;
    if (seen.has(key))
      throw new ApiError(
        400,
        "DuplicateAddressPairInRequest",
        `Request contains duplicate address pair: mac_address ${pair.mac_address ?? "None"} ip_address ${pair.ip_address}.`,
      );
    seen.add(key);
    const multicast = multicastReason(pair.ip_address);
    if (multicast !== undefined) throw bad(multicast);
    if (pair.mac_address !== undefined && (Number.parseInt(pair.mac_address.slice(0, 2), 16) & 1) === 1)
      throw bad(`MAC address ${pair.mac_address} is a multicast address, which is not supported.`);
  }
  return pairs.map((pair) => ({
    ip_address: pair.ip_address.includes("/") ? pair.ip_address : canonicalIp(pair.ip_address)!,
    mac_address: (pair.mac_address ?? portMac).toLowerCase(),
  }));
}

function multicastReason(ip: string): string | undefined {
  if (ip.includes("/")) {
    const prefix = parsePrefix(ip);
    if (prefix === undefined) return `'${ip}' is not a valid IP subnet`;
    if (prefix.version === 4 && prefix.prefix === 0 && prefix.value === 0n) return undefined;
    const [mcast, length, bits] = prefix.version === 4 ? [0xe0n, 4, 32] : [0xffn, 8, 128];
    const shortest = Math.min(prefix.prefix, length);
    const top = (v: bigint) => v >> BigInt(bits - shortest);
    if (top(prefix.value) === top(mcast << BigInt(bits - 8)))
      return `Subnet ${ip} overlaps with multicast range ${prefix.version === 4 ? "224.0.0.0/4" : "ff00::/8"}, which is not supported.`;
    return undefined;
  }
  const parsed = parseIp(ip);
  if (parsed === undefined) return `'${ip}' is not a valid IP address`;
  const multicast = parsed.version === 4 ? parsed.value >> 28n === 0xen : parsed.value >> 120n === 0xffn;
  return multicast ? `IP ${ip} is a multicast address, which is not supported.` : undefined;
}
