/** Reads shared by the services. */
import { ApiError, notFound } from "../api-errors.ts";
import type {
  AgentRow,
  IpAllocationRow,
  NetworkRow,
  PortRow,
  QosPolicyRow,
  QosRuleRow,
  SubnetRow,
} from "../rows.ts";
import type { Caller, Queryable } from "./context.ts";
import { sees } from "./ownership.ts";
import { onNetworkTarget, ownedTarget } from "./targets.ts";

export async function network(q: Queryable, id: string): Promise<NetworkRow> {
  const row = await q.get<NetworkRow>("SELECT * FROM networks WHERE id = ?", [id]);
  if (row === undefined) throw notFound("Network", id);
  return row;
}

export async function subnet(q: Queryable, id: string): Promise<SubnetRow> {
  const row = await q.get<SubnetRow>("SELECT * FROM subnets WHERE id = ?", [id]);
  if (row === undefined) throw notFound("Subnet", id);
  return row;
}

export async function port(q: Queryable, id: string): Promise<PortRow> {
  const row = await q.get<PortRow>("SELECT * FROM ports WHERE id = ?", [id]);
  if (row === undefined) throw notFound("Port", id);
  return row;
}

export function subnetsOf(q: Queryable, networkId: string): Promise<SubnetRow[]> {
  return q.all<SubnetRow>("SELECT * FROM subnets WHERE network_id = ? ORDER BY created_at, id", [networkId]);
}

export function allocationsOf(q: Queryable, portId: string): Promise<IpAllocationRow[]> {
  return q.all<IpAllocationRow>(
    "SELECT * FROM ip_allocations WHERE port_id = ? ORDER BY subnet_id, ip_address",
    [portId],
  );
}

/** Allocations for many ports, grouped by port (one query, for lists). */
export async function allocationsByPort(
  q: Queryable,
  portIds: readonly string[] | "all",
): Promise<Map<string, IpAllocationRow[]>> {
  const rows =
    portIds === "all"
      ? await q.all<IpAllocationRow>("SELECT * FROM ip_allocations ORDER BY subnet_id, ip_address")
      : await chunked(portIds, (ids) =>
          q.all<IpAllocationRow>(
            `SELECT * FROM ip_allocations WHERE port_id IN (${ids.map(() => "?").join(",")}) ORDER BY subnet_id, ip_address`,
            ids,
          ),
        );
  const byPort = new Map<string, IpAllocationRow[]>();
  for (const row of rows) {
    const list = byPort.get(row.port_id);
    if (list) list.push(row);
    else byPort.set(row.port_id, [row]);
  }
  return byPort;
}

/** Runs `query` on the ids 500 at a time (IN lists stay short) and concatenates the rows. */
export async function chunked<T>(
  ids: readonly string[],
  query: (ids: string[]) => Promise<T[]>,
): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += 500) out.push(...(await query(ids.slice(i, i + 500))));
  return out;
}

/** `?, ?, …` for an IN list of these values. */
export const marks = (values: readonly unknown[]) => values.map(() => "?").join(",");

export async function subnetIdsByNetwork(q: Queryable): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  for (const row of await q.all<{ id: string; network_id: string }>(
    "SELECT id, network_id FROM subnets ORDER BY created_at, id",
  )) {
    const list = map.get(row.network_id);
    if (list) list.push(row.id);
    else map.set(row.network_id, [row.id]);
  }
  return map;
}

export function agentOnHost(q: Queryable, host: string): Promise<AgentRow | undefined> {
  return q.get<AgentRow>("SELECT * FROM agents WHERE host = ? AND agent_type = ?", [
    host,
    "Open vSwitch agent",
  ]);
}

export function isAlive(agent: AgentRow, agentDownTime: number, now: Date): boolean {
  return now.getTime() - Date.parse(agent.heartbeat_at) < agentDownTime * 1000;
}

export const qosPolicyNotFound = (id: string) =>
  new ApiError(404, "QosPolicyNotFound", `QoS policy ${id} could not be found.`);

/** Whether the caller may see the policy (get_policy: admins every one, others their project's and shared ones). */
export function qosPolicyVisible(caller: Caller, policy: QosPolicyRow): boolean {
  return caller.policy.allows("get_policy", caller, ownedTarget(caller, "qos_policy", policy));
}

/** A policy the caller may see, or QosPolicyNotFound (also for one that exists but is not visible). */
export async function qosPolicy(q: Queryable, caller: Caller, id: string): Promise<QosPolicyRow> {
  const row = await q.get<QosPolicyRow>("SELECT * FROM qos_policies WHERE id = ?", [id]);
  if (row === undefined || !qosPolicyVisible(caller, row)) throw qosPolicyNotFound(id);
  return row;
}

/** Rules grouped by policy, each policy's in Neutron's order: bandwidth limits, then DSCP marking. */
export async function qosRulesByPolicy(
  q: Queryable,
  policyIds: readonly string[] | "all",
): Promise<Map<string, QosRuleRow[]>> {
  const order = "ORDER BY qos_policy_id, CASE type WHEN 'bandwidth_limit' THEN 0 ELSE 1 END, id";
  const rows =
    policyIds === "all"
      ? await q.all<QosRuleRow>(`SELECT * FROM qos_rules ${order}`)
      : await chunked(policyIds, (ids) =>
          q.all<QosRuleRow>(
            `SELECT * FROM qos_rules WHERE qos_policy_id IN (${ids.map(() => "?").join(",")}) ${order}`,
            ids,
          ),
        );
  const byPolicy = new Map<string, QosRuleRow[]>();
  for (const row of rows) {
    const list = byPolicy.get(row.qos_policy_id);
    if (list) list.push(row);
    else byPolicy.set(row.qos_policy_id, [row]);
  }
  return byPolicy;
}

/** network id → its QoS policy (null: none), for rendering ports' qos_network_policy_id. */
export async function networkPolicies(q: Queryable): Promise<Map<string, string | null>> {
  const rows = await q.all<{ id: string; qos_policy_id: string | null }>(
    "SELECT id, qos_policy_id FROM networks",
  );
  return new Map(rows.map((r) => [r.id, r.qos_policy_id]));
}

/** A port or subnet the caller may see (by its network's terms too), or Neutron's 404 for it. */
export async function visibleOnNetwork<T extends PortRow | SubnetRow>(
  q: Queryable,
  caller: Caller,
  kind: "Port" | "Subnet",
  id: string,
): Promise<T> {
  const row = await q.get<T>(`SELECT * FROM ${kind === "Port" ? "ports" : "subnets"} WHERE id = ?`, [id]);
  const owner = row === undefined ? undefined : await network(q, row.network_id);
  if (row === undefined || !sees(caller, `get_${kind.toLowerCase()}`, onNetworkTarget(caller, row, owner!)))
    throw notFound(kind, id);
  return row;
}
