/**
 * DHCP as agents that answer it themselves see it — only agents that declared `dhcp`
 * (agent-capabilities.ts): subnets as the protocol's DhcpSubnetInfo, the dhcp section of sync and details
 * replies, and the dhcp.subnet.* events, addressed per host. A host holds a network's subnets while one of
 * its bound ports is on that network; what a transaction sent a host is not sent to it again in it.
 */
import type { DhcpSection, DhcpSubnetInfo, HostRoute } from "../../protocol/index.ts";
import type { PortRow, SubnetRow } from "../rows.ts";
import { capabilitiesByHost, capabilitiesOf } from "./agent-capabilities.ts";
import type { Queryable, WriteTx } from "./context.ts";
import { chunked, marks, subnetsOf } from "./lookups.ts";
import { sentInTransaction } from "./sent-in-tx.ts";

export function dhcpSubnetInfo(s: SubnetRow): DhcpSubnetInfo {
  return {
    subnet_id: s.id,
    network_id: s.network_id,
    ip_version: s.ip_version as 4 | 6,
    cidr: s.cidr,
    gateway_ip: s.gateway_ip,
    enable_dhcp: s.enable_dhcp !== 0,
    dns_nameservers: JSON.parse(s.dns_nameservers) as string[],
    host_routes: JSON.parse(s.host_routes) as HostRoute[],
    ipv6_address_mode: s.ipv6_address_mode,
    ipv6_ra_mode: s.ipv6_ra_mode,
    revision_number: s.revision_number,
  };
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The dhcp section for ports on these networks: every subnet of them (DHCP enabled or not), by id. */
export async function dhcpSection(q: Queryable, networkIds: Iterable<string>): Promise<DhcpSection> {
  const rows = await chunked([...new Set(networkIds)], (ids) =>
    q.all<SubnetRow>(`SELECT * FROM subnets WHERE network_id IN (${marks(ids)})`, ids),
  );
  return { subnets: rows.sort(byId).map(dhcpSubnetInfo) };
}

/** (host, subnet) pairs sent in a transaction. */
const sent = sentInTransaction();
const sentKey = (host: string, subnetId: string) => `${host}\n${subnetId}`;

/** Hosts of dhcp agents with a bound port on the network, sorted. */
async function dhcpHostsOn(q: Queryable, networkId: string): Promise<string[]> {
  const hosts = (
    await q.all<{ host: string }>(
      "SELECT DISTINCT binding_host_id AS host FROM ports WHERE network_id = ? AND binding_vif_type = 'ovs'",
      [networkId],
    )
  ).map((r) => r.host);
  if (hosts.length === 0) return [];
  const capabilities = await capabilitiesByHost(q, hosts);
  return hosts.filter((h) => capabilities.get(h)?.dhcp).sort();
}

/** A subnet was created or changed: dhcp.subnet.updated to every dhcp host with a bound port on its network. */
export async function emitSubnetUpdated(tx: WriteTx, subnet: SubnetRow): Promise<void> {
  const hosts = await dhcpHostsOn(tx, subnet.network_id);
  if (hosts.length === 0) return;
  const info = dhcpSubnetInfo(subnet);
  for (const host of hosts) {
    sent(tx).add(sentKey(host, subnet.id));
    tx.emit({ kind: "dhcp.subnet.updated", subnet: info }, host);
  }
}

/** A subnet is being deleted: dhcp.subnet.deleted to every dhcp host with a bound port on its network. */
export async function emitSubnetDeleted(tx: WriteTx, subnet: SubnetRow): Promise<void> {
  for (const host of await dhcpHostsOn(tx, subnet.network_id))
    tx.emit({ kind: "dhcp.subnet.deleted", subnet_id: subnet.id }, host);
}

/** A bound port of the host other than `port` is on its network. */
async function hostHasOtherPortOn(q: Queryable, host: string, port: PortRow): Promise<boolean> {
  const row = await q.get(
    "SELECT 1 AS found FROM ports WHERE network_id = ? AND binding_host_id = ? AND binding_vif_type = 'ovs' AND id <> ? LIMIT 1",
    [port.network_id, host, port.id],
  );
  return row !== undefined;
}

/**
 * A dhcp agent's port, before the port.updated that names its network: the network's subnets, unless
 * the host holds them — `held` (the port was bound there already) or through another bound port of the
 * host on that network — or was sent them in this transaction.
 */
export async function emitSubnetsForPort(
  tx: WriteTx,
  host: string,
  port: PortRow,
  held: boolean,
): Promise<void> {
  if (held) return;
  const subnets = (await subnetsOf(tx, port.network_id)).filter((s) => !sent(tx).has(sentKey(host, s.id)));
  if (subnets.length === 0 || (await hostHasOtherPortOn(tx, host, port))) return;
  for (const subnet of subnets.sort(byId)) {
    sent(tx).add(sentKey(host, subnet.id));
    tx.emit({ kind: "dhcp.subnet.updated", subnet: dhcpSubnetInfo(subnet) }, host);
  }
}

/**
 * A port left `host` (unbound, moved away or deleted): when it was the host's last bound port on its
 * network, the host's dhcp agent hears dhcp.subnet.deleted for the network's subnets.
 */
export async function emitSubnetsLeft(tx: WriteTx, host: string, port: PortRow): Promise<void> {
  if (!(await capabilitiesOf(tx, host)).dhcp || (await hostHasOtherPortOn(tx, host, port))) return;
  for (const subnet of (await subnetsOf(tx, port.network_id)).sort(byId)) {
    sent(tx).delete(sentKey(host, subnet.id));
    tx.emit({ kind: "dhcp.subnet.deleted", subnet_id: subnet.id }, host);
  }
}
