/**
 * QoS as agents see it: a port's effective policy, policies as the protocol's QosPolicyInfo, and the
 * qos.* events — addressed per host, only to agents that declared `qos` (agent-capabilities.ts).
 */
import type { QosPolicyInfo, QosRule } from "../../protocol/index.ts";
import type { NetworkRow, PortRow, QosPolicyRow, QosRuleRow } from "../rows.ts";
import { capabilitiesByHost } from "./agent-capabilities.ts";
import type { Queryable, WriteTx } from "./context.ts";
import { qosRulesByPolicy } from "./lookups.ts";
import { sentInTransaction } from "./sent-in-tx.ts";

/**
 * Whether a network's policy applies to a port without its own (Neutron's QosRule.should_apply_to_port):
 * not to the network's own ports (device_owner network:… or neutron:…, e.g. DHCP, router interfaces),
 * except router and DVR floating-IP gateways.
 */
export function networkPolicyApplies(deviceOwner: string): boolean {
  const internal = deviceOwner.startsWith("network:") || deviceOwner.startsWith("neutron:");
  return (
    !internal ||
    deviceOwner.startsWith("network:router_gateway") ||
    deviceOwner.startsWith("network:floatingip_agent_gateway")
  );
}

/** The policy an agent enforces on the port: its own, else its network's where that applies. */
export function effectivePolicy(
  port: Pick<PortRow, "qos_policy_id" | "device_owner">,
  network: Pick<NetworkRow, "qos_policy_id">,
): string | null {
  return port.qos_policy_id ?? (networkPolicyApplies(port.device_owner) ? network.qos_policy_id : null);
}

export function protocolRule(rule: QosRuleRow): QosRule {
  return rule.type === "bandwidth_limit"
    ? {
        type: "bandwidth_limit",
        id: rule.id,
        max_kbps: Number(rule.max_kbps),
        max_burst_kbps: Number(rule.max_burst_kbps),
        direction: rule.direction ?? "egress",
      }
    : { type: "dscp_marking", id: rule.id, dscp_mark: Number(rule.dscp_mark) };
}

/** The policies with these ids (those that exist), sorted by id. */
export async function policyInfos(q: Queryable, ids: Iterable<string>): Promise<QosPolicyInfo[]> {
  const wanted = [...new Set(ids)].sort();
  const rules = await qosRulesByPolicy(q, wanted);
  const infos: QosPolicyInfo[] = [];
  for (let i = 0; i < wanted.length; i += 500) {
    const chunk = wanted.slice(i, i + 500);
    const rows = await q.all<QosPolicyRow>(
      `SELECT * FROM qos_policies WHERE id IN (${chunk.map(() => "?").join(",")}) ORDER BY id`,
      chunk,
    );
    for (const row of rows) {
      infos.push({
        policy_id: row.id,
        revision_number: row.revision_number,
        rules: (rules.get(row.id) ?? []).map(protocolRule),
      });
    }
  }
  return infos;
}

/** (host, policy) pairs already sent in a transaction: a host hears of a policy once per transaction. */
const sent = sentInTransaction();

/** qos.policy.updated to one host's agent (which must have declared qos), unless it was sent already. */
export async function emitPolicyTo(tx: WriteTx, host: string, policyId: string): Promise<void> {
  const key = `${host}\n${policyId}`;
  if (sent(tx).has(key)) return;
  const [policy] = await policyInfos(tx, [policyId]);
  if (policy === undefined) return;
  sent(tx).add(key);
  tx.emit({ kind: "qos.policy.updated", policy }, host);
}

/** Hosts with bound ports whose effective policy is this one, sorted. */
export async function hostsUsing(q: Queryable, policyId: string): Promise<string[]> {
  const rows = await q.all<{
    host: string;
    device_owner: string;
    qos_policy_id: string | null;
    network_policy_id: string | null;
  }>(
    `SELECT p.binding_host_id AS host, p.device_owner, p.qos_policy_id, n.qos_policy_id AS network_policy_id
     FROM ports p JOIN networks n ON n.id = p.network_id
     WHERE p.binding_vif_type = 'ovs' AND (p.qos_policy_id = ? OR (p.qos_policy_id IS NULL AND n.qos_policy_id = ?))`,
    [policyId, policyId],
  );
  const hosts = rows
    .filter((r) => effectivePolicy(r, { qos_policy_id: r.network_policy_id }) === policyId)
    .map((r) => r.host);
  return [...new Set(hosts)].sort();
}

/** A policy's rules changed: every qos agent enforcing it hears the new rules. */
export async function emitRulesChanged(tx: WriteTx, policyId: string): Promise<void> {
  const hosts = await hostsUsing(tx, policyId);
  if (hosts.length === 0) return;
  const capabilities = await capabilitiesByHost(tx, hosts);
  const [policy] = await policyInfos(tx, [policyId]);
  if (policy === undefined) return;
  for (const host of hosts) {
    if (!capabilities.get(host)?.qos) continue;
    sent(tx).add(`${host}\n${policyId}`);
    tx.emit({ kind: "qos.policy.updated", policy }, host);
  }
}

/**
 * A policy was deleted. No port or network used it (deleting one in use is refused), but agents that
 * enforced it earlier may still hold it: every qos agent is told to forget it.
 */
export async function emitPolicyDeleted(tx: WriteTx, policyId: string): Promise<void> {
  const capabilities = await capabilitiesByHost(tx);
  for (const host of [...capabilities.keys()].sort()) {
    if (capabilities.get(host)!.qos) tx.emit({ kind: "qos.policy.deleted", policy_id: policyId }, host);
  }
}
