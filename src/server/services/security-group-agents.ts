/**
 * Security-group events, for agents that run the openvswitch firewall only (agent-capabilities.ts),
 * addressed per host and only to the hosts whose bound ports need them. A host holds a group when one
 * of its bound ports is in it, and a remote (group members, address group) when a rule of such a group
 * names it. What a host is sent once in a transaction is not sent to it again in that transaction.
 *
 * Each kind of change costs a few queries whatever the number of ports: hosts are found per agent with
 * EXISTS (which stops at the first port that qualifies), a port's addresses are diffed, not its group's.
 */
import { AGENT_TYPE_OVS, type GroupMember } from "../../protocol/index.ts";
import type { SecurityGroupRuleRow } from "../rows.ts";
import type { SqlValue } from "../store/index.ts";
import { capabilitiesByHost, capabilitiesFrom } from "./agent-capabilities.ts";
import type { Queryable, WriteTx } from "./context.ts";
import { allocationsByPort, chunked, marks } from "./lookups.ts";
import {
  addressGroupInfos,
  groupInfos,
  memberEntries,
  memberKey,
  membersOf,
  remotesOf,
} from "./security-group-infos.ts";
import { sentInTransaction } from "./sent-in-tx.ts";

type Sent = "security_group" | "group_members" | "address_group";

/** (host, kind, id) sent in a transaction. */
const sent = sentInTransaction();

const sentKey = (host: string, kind: Sent, id: string) => `${host}\n${kind}\n${id}`;

const BOUND_ON_AGENT_HOST = "p.binding_host_id = a.host AND p.binding_vif_type = 'ovs'";
/** The agent's host has a bound port in the group (parameter: the group). */
const HOST_HAS_PORT_IN = `EXISTS (SELECT 1 FROM port_security_groups psg JOIN ports p ON p.id = psg.port_id
  WHERE psg.security_group_id = ? AND ${BOUND_ON_AGENT_HOST})`;

/**
 * The agent's host has a bound port in a group with a rule naming the remote (parameters: the remote,
 * then the rules not to count).
 */
function hostHoldsRemote(
  column: "remote_group_id" | "remote_address_group_id",
  except: readonly string[],
): string {
  const skip = except.length === 0 ? "" : ` AND r.id NOT IN (${marks(except)})`;
  return `EXISTS (SELECT 1 FROM security_group_rules r
    JOIN port_security_groups psg ON psg.security_group_id = r.security_group_id JOIN ports p ON p.id = psg.port_id
    WHERE r.${column} = ?${skip} AND ${BOUND_ON_AGENT_HOST})`;
}

/** The hosts of firewall agents for which `condition` (SQL on `a.host`) holds, sorted. */
async function firewallHostsWhere(q: Queryable, condition: string, params: SqlValue[]): Promise<string[]> {
  const rows = await q.all<{ host: string; configurations: string }>(
    `SELECT a.host, a.configurations FROM agents a WHERE a.agent_type = ? AND ${condition}`,
    [AGENT_TYPE_OVS, ...params],
  );
  return rows
    .filter((r) => capabilitiesFrom(r.configurations).firewall)
    .map((r) => r.host)
    .sort();
}

/** Firewall hosts with a bound port in the group. */
export const hostsWithPortsIn = (q: Queryable, groupId: string) =>
  firewallHostsWhere(q, HOST_HAS_PORT_IN, [groupId]);

/** Firewall hosts holding the group as a remote (through rules other than `except`). */
const hostsHoldingMembers = (q: Queryable, groupId: string, except: readonly string[] = []) =>
  firewallHostsWhere(q, hostHoldsRemote("remote_group_id", except), [groupId, ...except]);

const hostsHoldingAddressGroup = (q: Queryable, id: string, except: readonly string[] = []) =>
  firewallHostsWhere(q, hostHoldsRemote("remote_address_group_id", except), [id, ...except]);

/** Full member lists to hosts, then address groups, none twice in the transaction. */
async function emitRemotesTo(
  tx: WriteTx,
  hostsOf: (kind: "group_members" | "address_group", id: string) => Promise<readonly string[]>,
  remotes: { groups: readonly string[]; addressGroups: readonly string[] },
): Promise<void> {
  for (const id of remotes.groups) {
    const hosts = (await hostsOf("group_members", id)).filter(
      (h) => !sent(tx).has(sentKey(h, "group_members", id)),
    );
    if (hosts.length === 0) continue;
    const [members] = await membersOf(tx, [id]);
    for (const host of hosts) {
      sent(tx).add(sentKey(host, "group_members", id));
      tx.emit({ kind: "group_members.set", group_id: id, members: members!.members }, host);
    }
  }
  for (const id of remotes.addressGroups) {
    const hosts = (await hostsOf("address_group", id)).filter(
      (h) => !sent(tx).has(sentKey(h, "address_group", id)),
    );
    const [info] = hosts.length === 0 ? [] : await addressGroupInfos(tx, [id]);
    if (info === undefined) continue;
    for (const host of hosts) {
      sent(tx).add(sentKey(host, "address_group", id));
      tx.emit({ kind: "address_group.updated", address_group: info }, host);
    }
  }
}

/**
 * A port's groups for its host, before the port.updated that names them: the groups the host does not
 * hold yet — `held` (the port's before the change, if it was bound there) and those of the host's other
 * bound ports aside — preceded by the remotes their rules name that the host does not hold either.
 */
export async function emitGroupsForPort(
  tx: WriteTx,
  host: string,
  portId: string,
  groups: readonly string[],
  held: readonly string[],
): Promise<void> {
  const fresh = groups.filter((g) => !held.includes(g) && !sent(tx).has(sentKey(host, "security_group", g)));
  if (fresh.length === 0) return;
  const others = await groupsOnHost(tx, host, portId, fresh);
  const infos = await groupInfos(
    tx,
    fresh.filter((g) => !others.has(g)),
  );
  if (infos.length === 0) return;
  const kept = groups.filter((g) => held.includes(g));
  const holds = await remotesOnHost(tx, host, portId, kept, remotesOf(infos));
  await emitRemotesTo(tx, async (kind, id) => (holds.has(`${kind}/${id}`) ? [] : [host]), remotesOf(infos));
  for (const group of infos) {
    sent(tx).add(sentKey(host, "security_group", group.group_id));
    tx.emit({ kind: "security_group.updated", group }, host);
  }
}

/** A bound port of a host other than a port (parameters: the host, the port) is in the group `group` (SQL). */
const otherPortOfHostIn = (group: string) => `EXISTS (SELECT 1 FROM port_security_groups psg
  JOIN ports p ON p.id = psg.port_id WHERE psg.security_group_id = ${group}
  AND p.binding_host_id = ? AND p.binding_vif_type = 'ovs' AND p.id <> ?)`;

/** Of these groups, those a bound port of the host other than `portId` is in. */
async function groupsOnHost(
  q: Queryable,
  host: string,
  portId: string,
  groupIds: readonly string[],
): Promise<Set<string>> {
  const rows = await chunked(groupIds, (c) =>
    q.all<{ id: string }>(
      `SELECT g.id FROM security_groups g WHERE g.id IN (${marks(c)}) AND ${otherPortOfHostIn("g.id")}`,
      [...c, host, portId],
    ),
  );
  return new Set(rows.map((r) => r.id));
}

/**
 * Of these remotes, those the host holds without the port's new groups: named by a rule of a group the
 * port stays in (`kept`) or one a bound port of the host other than `portId` is in. Keys "kind/id".
 */
async function remotesOnHost(
  q: Queryable,
  host: string,
  portId: string,
  kept: readonly string[],
  remotes: { groups: readonly string[]; addressGroups: readonly string[] },
): Promise<Set<string>> {
  const held = new Set<string>();
  for (const [column, ids, kind] of [
    ["remote_group_id", remotes.groups, "group_members"],
    ["remote_address_group_id", remotes.addressGroups, "address_group"],
  ] as const) {
    const byKept = kept.length === 0 ? "" : `r.security_group_id IN (${marks(kept)}) OR `;
    const rows = await chunked(ids, (c) =>
      q.all<{ id: string }>(
        `SELECT DISTINCT r.${column} AS id FROM security_group_rules r WHERE r.${column} IN (${marks(c)})
         AND (${byKept}${otherPortOfHostIn("r.security_group_id")})`,
        [...c, ...kept, host, portId],
      ),
    );
    for (const row of rows) held.add(`${kind}/${row.id}`);
  }
  return held;
}

/**
 * A group's rules (or statefulness) changed: security_group.updated to every firewall host with a bound
 * port in it — after the members and address groups that `added` rules name, for those of these hosts
 * that did not hold them through other rules.
 */
export async function emitGroupChanged(
  tx: WriteTx,
  groupId: string,
  added: readonly SecurityGroupRuleRow[] = [],
): Promise<void> {
  const hosts = await hostsWithPortsIn(tx, groupId);
  if (hosts.length === 0) return;
  const [group] = await groupInfos(tx, [groupId]);
  if (group === undefined) return;
  const newRules = added.map((r) => r.id);
  const remotes = remotesOf([{ ...group, rules: group.rules.filter((r) => newRules.includes(r.id)) }]);
  await emitRemotesTo(
    tx,
    async (kind, id) => {
      const holding = new Set(
        kind === "group_members"
          ? await hostsHoldingMembers(tx, id, newRules)
          : await hostsHoldingAddressGroup(tx, id, newRules),
      );
      return hosts.filter((h) => !holding.has(h));
    },
    remotes,
  );
  for (const host of hosts) {
    sent(tx).add(sentKey(host, "security_group", groupId));
    tx.emit({ kind: "security_group.updated", group }, host);
  }
}

/**
 * A group was deleted: no port was in it, but agents may still hold it — every firewall agent is told
 * to forget it. `dependents` lost the rules that named it as their remote (deleted with it).
 */
export async function emitGroupDeleted(
  tx: WriteTx,
  groupId: string,
  dependents: readonly string[],
): Promise<void> {
  for (const dependent of dependents) await emitGroupChanged(tx, dependent);
  const capabilities = await capabilitiesByHost(tx);
  for (const host of [...capabilities.keys()].sort()) {
    if (capabilities.get(host)!.firewall)
      tx.emit({ kind: "security_group.deleted", group_id: groupId }, host);
  }
}

/** An address group's addresses changed: its new list to every firewall host holding it. */
export async function emitAddressGroupChanged(tx: WriteTx, id: string): Promise<void> {
  const hosts = await hostsHoldingAddressGroup(tx, id);
  const [info] = hosts.length === 0 ? [] : await addressGroupInfos(tx, [id]);
  if (info === undefined) return;
  for (const host of hosts) {
    sent(tx).add(sentKey(host, "address_group", id));
    tx.emit({ kind: "address_group.updated", address_group: info }, host);
  }
}

/** A port as a member of groups: its groups (none with port security off) and its addresses. */
export interface Membership {
  readonly groups: readonly string[];
  readonly members: readonly GroupMember[];
}

export function membership(
  port: { mac_address: string; allowed_address_pairs: string; port_security_enabled: number },
  groups: readonly string[],
  ips: readonly string[],
): Membership {
  return {
    groups: port.port_security_enabled === 0 ? [] : groups,
    members: memberEntries(port.mac_address, ips, port.allowed_address_pairs),
  };
}

/**
 * A port joined or left groups, or its addresses changed (`before`/`after` absent: created/deleted):
 * per group, the addresses added and removed — an address another member port still has stays — as
 * group_members.changed to the firewall hosts holding the group as a remote, except those sent its full
 * list in this transaction (computed after the change).
 */
export async function emitMembershipChange(
  tx: WriteTx,
  portId: string,
  before: Membership | undefined,
  after: Membership | undefined,
): Promise<void> {
  const groups = [...new Set([...(before?.groups ?? []), ...(after?.groups ?? [])])].sort();
  for (const group of groups) {
    const was = before?.groups.includes(group) ? before.members : [];
    const now = after?.groups.includes(group) ? after.members : [];
    const wasKeys = new Set(was.map(memberKey));
    const nowKeys = new Set(now.map(memberKey));
    const added = now.filter((m) => !wasKeys.has(memberKey(m)));
    let removed = was.filter((m) => !nowKeys.has(memberKey(m)));
    if (removed.length > 0) {
      const kept = await stillMembers(tx, group, portId, removed);
      removed = removed.filter((m) => !kept.has(memberKey(m)));
    }
    if (added.length === 0 && removed.length === 0) continue;
    for (const host of await hostsHoldingMembers(tx, group)) {
      if (sent(tx).has(sentKey(host, "group_members", group))) continue;
      tx.emit({ kind: "group_members.changed", group_id: group, added, removed }, host);
    }
  }
}

/**
 * Of these addresses, those another member port of the group has too (by MAC: as its own with a fixed
 * IP, or in an address pair — two VRRP peers may share a virtual MAC and address). Keys of memberKey.
 */
async function stillMembers(
  q: Queryable,
  group: string,
  portId: string,
  members: readonly GroupMember[],
): Promise<Set<string>> {
  const macs = [...new Set(members.map((m) => m.mac_address))];
  // Stored pairs are JSON.stringify's [{"ip_address":…,"mac_address":…}]; MACs hold no LIKE wildcards.
  const ports = await q.all<{ id: string; mac_address: string; allowed_address_pairs: string }>(
    `SELECT p.id, p.mac_address, p.allowed_address_pairs FROM port_security_groups psg JOIN ports p ON p.id = psg.port_id
     WHERE psg.security_group_id = ? AND p.id <> ? AND (p.mac_address IN (${marks(macs)})${macs.map(() => " OR p.allowed_address_pairs LIKE ?").join("")})`,
    [group, portId, ...macs, ...macs.map((m) => `%"mac_address":"${m}"%`)],
  );
  if (ports.length === 0) return new Set();
  const allocations = await allocationsByPort(
    q,
    ports.filter((p) => macs.includes(p.mac_address)).map((p) => p.id),
  );
  const wanted = new Set(members.map(memberKey));
  const kept = new Set<string>();
  for (const p of ports) {
    const ips = (allocations.get(p.id) ?? []).map((a) => a.ip_address);
    for (const m of memberEntries(p.mac_address, ips, p.allowed_address_pairs))
      if (wanted.has(memberKey(m))) kept.add(memberKey(m));
  }
  return kept;
}
