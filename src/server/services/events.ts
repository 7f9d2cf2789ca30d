/** Turning committed changes into agent-stream events (written in the same transaction). */
import type { AgentConfigurations, FdbEntry, NetworkEndpoints } from "../../protocol/index.ts";
import type { AgentRow, IpAllocationRow, NetworkRow, PortRow } from "../rows.ts";
import { deviceDetails } from "../views.ts";
import { type AgentCapabilities, capabilitiesByHost, capabilitiesOf } from "./agent-capabilities.ts";
import type { Queryable, WriteTx } from "./context.ts";
import { allocationsByPort, allocationsOf } from "./lookups.ts";
import { effectivePolicy, emitPolicyTo } from "./qos-agents.ts";

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
}

/**
 * Events for a port that changed from `before` to `after` (either may be absent): the host it is bound to
 * gets port.updated; a host it left gets port.unbound; a deleted bound port's host gets port.deleted.
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
    // The host already holds the policy if the port was bound there with the same effective policy.
    const held =
      wasBound && before.binding_host_id === after.binding_host_id ? effectivePolicy(before, network) : null;
    await emitPortUpdated(tx, after, network, allocations, capabilities, held);
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
  }
}

/**
 * port.updated to the port's host. A qos agent gets the port's effective qos_policy_id, preceded by
 * qos.policy.updated unless it already holds that policy (`held`); other agents get the first protocol's
 * DeviceDetails.
 */
async function emitPortUpdated(
  tx: WriteTx,
  port: PortRow,
  network: NetworkRow,
  allocations: readonly IpAllocationRow[],
  capabilities: AgentCapabilities,
  held: string | null,
): Promise<void> {
  const host = port.binding_host_id;
  let qos: { policyId: string | null } | undefined;
  if (capabilities.qos) {
    qos = { policyId: effectivePolicy(port, network) };
    if (qos.policyId !== null && qos.policyId !== held) await emitPolicyTo(tx, host, qos.policyId);
  }
  tx.emit({ kind: "port.updated", port: deviceDetails(port, network, allocations, qos) }, host);
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
  for (const port of affected) {
    await emitPortUpdated(
      tx,
      port,
      after,
      allocations.get(port.id) ?? [],
      capabilities.get(port.binding_host_id)!,
      null,
    );
  }
}
