/** Turning committed changes into agent-stream events (written in the same transaction). */
import type { AgentConfigurations, ExtraDhcpOpt, FdbEntry, NetworkEndpoints } from "../../protocol/index.ts";
import type { AgentRow, IpAllocationRow, NetworkRow, PortRow } from "../rows.ts";
import { type DeviceExtras, deviceDetails } from "../views.ts";
import { type AgentCapabilities, capabilitiesByHost, capabilitiesOf } from "./agent-capabilities.ts";
import type { Queryable, WriteTx } from "./context.ts";
import { emitSubnetsForPort, emitSubnetsLeft } from "./dhcp-agents.ts";
import { extraDhcpOptsOf } from "./extra-dhcp-opts.ts";
import { allocationsByPort, allocationsOf } from "./lookups.ts";
import { effectivePolicy, emitPolicyTo } from "./qos-agents.ts";
import { emitGroupsForPort } from "./security-group-agents.ts";
import { groupsByPorts } from "./security-group-infos.ts";

export function fdbEntry(port: PortRow, allocations: readonly IpAllocationRow[]): FdbEntry {
  return {
    port_id: port.id,
    network_id: port.network_id,
    host: port.binding_host_id,
    mac_address: port.mac_address,
    ip_addresses: allocations.map((a) => a.ip_address),
  };
}

/** l2-population: the hosts with ports bound on the network, and their tunnelling IPs, sorted by host. */
export async function endpointsOf(q: Queryable, networkId: string): Promise<NetworkEndpoints> {
  const hosts = await q.all<{ host: string }>(
    "SELECT DISTINCT binding_host_id AS host FROM ports WHERE network_id = ? AND binding_vif_type = 'ovs' ORDER BY binding_host_id",
    [networkId],
  );
  const endpoints = [];
  for (const { host } of hosts) {
    const agent = await q.get<AgentRow>("SELECT configurations FROM agents WHERE host = ?", [host]);
    const config = agent ? (JSON.parse(agent.configurations) as AgentConfigurations) : undefined;
    endpoints.push({ host, tunneling_ip: config?.tunneling_ip ?? null });
  }
  return { network_id: networkId, endpoints };
}

const sameEndpoints = (a: NetworkEndpoints, b: NetworkEndpoints) => JSON.stringify(a) === JSON.stringify(b);

/** Emits endpoints.changed for a network if its endpoint set differs from `before`. */
export async function emitEndpointsIfChanged(tx: WriteTx, before: NetworkEndpoints): Promise<void> {
  const after = await endpointsOf(tx, before.network_id);
  if (!sameEndpoints(before, after)) tx.emit({ kind: "endpoints.changed", endpoints: after }, null);
}

export interface PortChange {
  readonly before?: PortRow;
  readonly after?: PortRow;
  readonly network: NetworkRow;
  /** The port's addresses before the change, when it may have changed them (default: unchanged). */
  readonly beforeIps?: readonly string[];
  /** The port's allocations after the change, when the caller has them at hand (saves a query). */
  readonly allocations?: readonly IpAllocationRow[];
  /** What the agent of the port's (new) host reads, when the caller has it at hand. */
  readonly capabilities?: AgentCapabilities;
  /** The port's security groups before the change, when it may have changed them (default: unchanged). */
  readonly beforeGroups?: readonly string[];
  /** The port's security groups after the change, when the caller has them at hand (saves a query). */
  readonly groups?: readonly string[];
}

/**
 * Events for a port that changed from `before` to `after` (either may be absent): the host it is bound to
 * gets port.updated (a firewall agent after the port's groups it may not hold yet, a dhcp agent after its
 * network's subnets); a host it left gets port.unbound (a deleted bound port's host port.deleted), and
 * its dhcp agent dhcp.subnet.deleted for the network's subnets if no other port of it is on the network.
 * Every host hears fdb.updated when the port's entry (host, MAC, addresses) is new or changed — not for a
 * status change alone — and fdb.removed when it is no longer bound.
 */
export async function emitPortChange(tx: WriteTx, change: PortChange): Promise<void> {
  const { before, after, network } = change;
  const wasBound = before !== undefined && before.binding_vif_type === "ovs";
  const isBound = after !== undefined && after.binding_vif_type === "ovs";
  if (isBound) {
    const allocations = change.allocations ?? (await allocationsOf(tx, after.id));
    const capabilities = change.capabilities ?? (await capabilitiesOf(tx, after.binding_host_id));
    // The host holds what the port had when it was bound there: its effective policy, its groups.
    const sameHost = wasBound && before.binding_host_id === after.binding_host_id;
    const groups = capabilities.firewall
      ? (change.groups ?? (await groupsByPorts(tx, [after.id])).get(after.id) ?? [])
      : [];
    const held: Held = {
      policy: sameHost ? effectivePolicy(before, network) : null,
      groups: sameHost ? enforced(before, change.beforeGroups ?? groups) : [],
      network: sameHost,
    };
    await emitPortUpdated(tx, after, network, allocations, capabilities, groups, held);
    const entry = fdbEntry(after, allocations);
    const beforeIps = change.beforeIps ?? entry.ip_addresses;
    const moved =
      !wasBound ||
      before.binding_host_id !== after.binding_host_id ||
      before.mac_address !== after.mac_address ||
      JSON.stringify(beforeIps) !== JSON.stringify(entry.ip_addresses);
    if (moved) tx.emit({ kind: "fdb.updated", entry }, null);
  } else if (wasBound) {
    tx.emit({ kind: "fdb.removed", port_id: before.id, network_id: before.network_id }, null);
  }
  if (wasBound && (!isBound || before.binding_host_id !== after!.binding_host_id)) {
    const kind = after === undefined ? "port.deleted" : "port.unbound";
    tx.emit(
      { kind, port_id: before.id, network_id: before.network_id, host: before.binding_host_id },
      before.binding_host_id,
    );
    await emitSubnetsLeft(tx, before.binding_host_id, before);
  }
}

/** The groups a port's firewall enforces: its own, none with port security off. */
const enforced = (port: PortRow, groups: readonly string[]) =>
  port.port_security_enabled === 0 ? [] : groups;

/**
 * What the port's host already holds for it: the policy and the groups it had there before, and whether
 * it was bound there (so the host holds its network's subnets).
 */
interface Held {
  readonly policy: string | null;
  readonly groups: readonly string[];
  readonly network: boolean;
}

/**
 * port.updated to the port's host. A qos agent gets the port's effective qos_policy_id, preceded by
 * qos.policy.updated unless it already holds that policy; a firewall agent gets its security_groups,
 * preceded by the groups (and their remotes) it may not hold; a dhcp agent gets its extra_dhcp_opts,
 * preceded by the subnets of its network it may not hold; other agents get the first protocol's
 * DeviceDetails.
 */
async function emitPortUpdated(
  tx: WriteTx,
  port: PortRow,
  network: NetworkRow,
  allocations: readonly IpAllocationRow[],
  capabilities: AgentCapabilities,
  groups: readonly string[],
  held: Held,
): Promise<void> {
  const host = port.binding_host_id;
  let qos: DeviceExtras["qos"];
  if (capabilities.qos) {
    qos = { policyId: effectivePolicy(port, network) };
    if (qos.policyId !== null && qos.policyId !== held.policy) await emitPolicyTo(tx, host, qos.policyId);
  }
  let securityGroups: readonly string[] | undefined;
  if (capabilities.firewall) {
    securityGroups = enforced(port, groups);
    await emitGroupsForPort(tx, host, port.id, securityGroups, held.groups);
  }
  let extraDhcpOpts: readonly ExtraDhcpOpt[] | undefined;
  if (capabilities.dhcp) {
    await emitSubnetsForPort(tx, host, port, held.network);
    extraDhcpOpts = await extraDhcpOptsOf(tx, port.id);
  }
  const extras = {
    ...(qos && { qos }),
    ...(securityGroups && { securityGroups }),
    ...(extraDhcpOpts && { extraDhcpOpts }),
  };
  tx.emit({ kind: "port.updated", port: deviceDetails(port, network, allocations, extras) }, host);
}

/**
 * A network's policy changed: its bound ports without a policy of their own whose effective policy
 * changed get port.updated on qos agents (their DeviceDetails are unchanged for the others). The port's
 * revision_number stays: its row did not change (as in Neutron).
 */
export async function emitNetworkPolicyChange(
  tx: WriteTx,
  before: NetworkRow,
  after: NetworkRow,
): Promise<void> {
  if (before.qos_policy_id === after.qos_policy_id) return;
  const ports = (
    await tx.all<PortRow>(
      "SELECT * FROM ports WHERE network_id = ? AND binding_vif_type = 'ovs' AND qos_policy_id IS NULL ORDER BY id",
      [after.id],
    )
  ).filter((p) => effectivePolicy(p, before) !== effectivePolicy(p, after));
  if (ports.length === 0) return;
  const capabilities = await capabilitiesByHost(
    tx,
    ports.map((p) => p.binding_host_id),
  );
  const affected = ports.filter((p) => capabilities.get(p.binding_host_id)?.qos);
  const allocations = await allocationsByPort(
    tx,
    affected.map((p) => p.id),
  );
  const groups = await groupsByPorts(
    tx,
    affected.filter((p) => capabilities.get(p.binding_host_id)!.firewall).map((p) => p.id),
  );
  for (const port of affected) {
    // The port's groups did not change: its host holds them.
    const own = groups.get(port.id) ?? [];
    await emitPortUpdated(
      tx,
      port,
      after,
      allocations.get(port.id) ?? [],
      capabilities.get(port.binding_host_id)!,
      own,
      { policy: null, groups: enforced(port, own), network: true },
    );
  }
}
