/** Turning committed changes into agent-stream events (written in the same transaction). */
import type { AgentConfigurations, FdbEntry, NetworkEndpoints } from "../../protocol/index.ts";
import type { AgentRow, IpAllocationRow, NetworkRow, PortRow } from "../rows.ts";
import { deviceDetails } from "../views.ts";
import type { Queryable, WriteTx } from "./context.ts";
import { allocationsOf } from "./lookups.ts";

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

/**
 * Events for a port that changed from `before` to `after` (either may be absent): the host it is bound to
 * gets port.updated; a host it left gets port.unbound; a deleted bound port's host gets port.deleted.
 */
export async function emitPortChange(
  tx: WriteTx,
  before: PortRow | undefined,
  after: PortRow | undefined,
  network: NetworkRow,
) {
  const wasBound = before !== undefined && before.binding_vif_type === "ovs";
  const isBound = after !== undefined && after.binding_vif_type === "ovs";
  if (isBound) {
    const allocations = await allocationsOf(tx, after.id);
    tx.emit(
      { kind: "port.updated", port: deviceDetails(after, network, allocations) },
      after.binding_host_id,
    );
    tx.emit({ kind: "fdb.updated", entry: fdbEntry(after, allocations) }, null);
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
