/**
 * Security groups as agents that run the openvswitch firewall see them (src/protocol/security-groups.ts):
 * rules as the firewall applies them, the addresses of remote groups' member ports, address groups'
 * prefixes, and the security_groups section of sync and details replies. Reads only, a few queries
 * whatever the number of objects (IN lists of 500); everything sorted in code, so both backends answer
 * alike whatever their collation.
 */
import type {
  AddressGroupInfo,
  GroupMember,
  RemoteGroupMembers,
  SecurityGroupInfo,
  SecurityGroupRuleInfo,
  SecurityGroupsSection,
} from "../../protocol/index.ts";
import type { SecurityGroupRow, SecurityGroupRuleRow } from "../rows.ts";
import type { Queryable } from "./context.ts";
import { chunked, marks } from "./lookups.ts";
import { normalizedCidr, protocolNumber } from "./sg-rule-values.ts";

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sortedUnique = (ids: Iterable<string>) => [...new Set(ids)].sort(byText);

/**
 * A rule as the firewall applies it: the protocol as its number (names through neutron-lib's map; any:
 * null), the remote prefix as its network (Neutron's normalized_cidr), the whole address space as no
 * prefix at all.
 */
export function ruleInfo(r: SecurityGroupRuleRow): SecurityGroupRuleInfo {
  const cidr = normalizedCidr(r.remote_ip_prefix);
  return {
    id: r.id,
    direction: r.direction,
    ethertype: r.ethertype,
    protocol: r.protocol === null || r.protocol === "any" ? null : protocolNumber(r.protocol)!,
    port_range_min: r.port_range_min,
    port_range_max: r.port_range_max,
    remote_ip_prefix: cidr === "0.0.0.0/0" || cidr === "::/0" ? null : cidr,
    remote_group_id: r.remote_group_id,
    remote_address_group_id: r.remote_address_group_id,
  };
}

/** The groups with these ids (those that exist), sorted by id, each with its rules in creation order. */
export async function groupInfos(q: Queryable, ids: Iterable<string>): Promise<SecurityGroupInfo[]> {
  const wanted = sortedUnique(ids);
  const groups = await chunked(wanted, (c) =>
    q.all<SecurityGroupRow>(`SELECT * FROM security_groups WHERE id IN (${marks(c)})`, c),
  );
  const rules = await chunked(wanted, (c) =>
    q.all<SecurityGroupRuleRow>(
      `SELECT * FROM security_group_rules WHERE security_group_id IN (${marks(c)})`,
      c,
    ),
  );
  rules.sort((a, b) => byText(a.created_at, b.created_at) || byText(a.id, b.id));
  const byGroup = new Map<string, SecurityGroupRuleInfo[]>();
  for (const rule of rules) {
    const list = byGroup.get(rule.security_group_id) ?? [];
    list.push(ruleInfo(rule));
    byGroup.set(rule.security_group_id, list);
  }
  return groups
    .sort((a, b) => byText(a.id, b.id))
    .map((g) => ({
      group_id: g.id,
      stateful: g.stateful !== 0,
      revision_number: g.revision_number,
      rules: byGroup.get(g.id) ?? [],
    }));
}

/** The remote groups and address groups these groups' rules name, sorted. */
export function remotesOf(groups: readonly SecurityGroupInfo[]): {
  groups: string[];
  addressGroups: string[];
} {
  const rules = groups.flatMap((g) => g.rules);
  return {
    groups: sortedUnique(rules.flatMap((r) => (r.remote_group_id === null ? [] : [r.remote_group_id]))),
    addressGroups: sortedUnique(
      rules.flatMap((r) => (r.remote_address_group_id === null ? [] : [r.remote_address_group_id])),
    ),
  };
}

export const memberKey = (m: GroupMember) => `${m.ip_address} ${m.mac_address}`;

/** Members once each, in one order (the agent's: by "ip mac"). */
export function sortedMembers(members: Iterable<GroupMember>): GroupMember[] {
  const unique = new Map<string, GroupMember>();
  for (const m of members) unique.set(memberKey(m), m);
  return [...unique.entries()].sort(([a], [b]) => byText(a, b)).map(([, m]) => m);
}

/** A port's allowed address pairs (its allowed_address_pairs column) as members: IP or CIDR, and MAC. */
function pairMembers(pairs: string): GroupMember[] {
  const stored = JSON.parse(pairs) as { ip_address: string; mac_address: string }[];
  return stored.map((p) => ({ ip_address: p.ip_address, mac_address: p.mac_address }));
}

/** A member port's addresses: each fixed IP with the port's MAC, each allowed address pair as stored. */
export function memberEntries(mac: string, ips: readonly string[], pairs: string): GroupMember[] {
  return sortedMembers([
    ...ips.map((ip_address) => ({ ip_address, mac_address: mac })),
    ...pairMembers(pairs),
  ]);
}

/** Every member port's addresses of each group, bound or not, wherever bound (two queries per 500 groups). */
export async function membersOf(q: Queryable, ids: Iterable<string>): Promise<RemoteGroupMembers[]> {
  const wanted = sortedUnique(ids);
  const byGroup = new Map<string, GroupMember[]>(wanted.map((id) => [id, []]));
  const fixed = await chunked(wanted, (c) =>
    q.all<{ group_id: string; ip_address: string; mac_address: string }>(
      `SELECT psg.security_group_id AS group_id, a.ip_address, p.mac_address
       FROM port_security_groups psg JOIN ports p ON p.id = psg.port_id JOIN ip_allocations a ON a.port_id = p.id
       WHERE psg.security_group_id IN (${marks(c)})`,
      c,
    ),
  );
  for (const row of fixed)
    byGroup.get(row.group_id)!.push({ ip_address: row.ip_address, mac_address: row.mac_address });
  const paired = await chunked(wanted, (c) =>
    q.all<{ group_id: string; allowed_address_pairs: string }>(
      `SELECT psg.security_group_id AS group_id, p.allowed_address_pairs
       FROM port_security_groups psg JOIN ports p ON p.id = psg.port_id
       WHERE psg.security_group_id IN (${marks(c)}) AND p.allowed_address_pairs <> '[]'`,
      c,
    ),
  );
  for (const row of paired) byGroup.get(row.group_id)!.push(...pairMembers(row.allowed_address_pairs));
  return wanted.map((group_id) => ({ group_id, members: sortedMembers(byGroup.get(group_id)!) }));
}

/** The address groups with these ids (those that exist), sorted by id, their addresses sorted. */
export async function addressGroupInfos(q: Queryable, ids: Iterable<string>): Promise<AddressGroupInfo[]> {
  const wanted = sortedUnique(ids);
  const found = await chunked(wanted, (c) =>
    q.all<{ id: string }>(`SELECT id FROM address_groups WHERE id IN (${marks(c)})`, c),
  );
  const byGroup = new Map<string, string[]>(found.map((g) => [g.id, []]));
  const rows = await chunked(wanted, (c) =>
    q.all<{ address_group_id: string; address: string }>(
      `SELECT address_group_id, address FROM address_group_addresses WHERE address_group_id IN (${marks(c)})`,
      c,
    ),
  );
  for (const row of rows) byGroup.get(row.address_group_id)?.push(row.address);
  return [...byGroup.entries()]
    .sort(([a], [b]) => byText(a, b))
    .map(([address_group_id, addresses]) => ({ address_group_id, addresses: addresses.sort(byText) }));
}

/** These groups, and the members and address groups their rules name. */
export async function securityGroupsSection(
  q: Queryable,
  groupIds: Iterable<string>,
): Promise<SecurityGroupsSection> {
  const groups = await groupInfos(q, groupIds);
  const remotes = remotesOf(groups);
  return {
    groups,
    members: await membersOf(q, remotes.groups),
    address_groups: await addressGroupInfos(q, remotes.addressGroups),
  };
}

/** Each port's security groups, sorted (ports in none are absent). */
export async function groupsByPorts(
  q: Queryable,
  portIds: readonly string[],
): Promise<Map<string, string[]>> {
  const rows = await chunked(portIds, (c) =>
    q.all<{ port_id: string; security_group_id: string }>(
      `SELECT port_id, security_group_id FROM port_security_groups WHERE port_id IN (${marks(c)})`,
      c,
    ),
  );
  const map = new Map<string, string[]>();
  for (const row of rows) {
    const list = map.get(row.port_id) ?? [];
    list.push(row.security_group_id);
    map.set(row.port_id, list);
  }
  for (const list of map.values()) list.sort(byText);
  return map;
}
