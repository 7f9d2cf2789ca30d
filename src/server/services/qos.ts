/**
 * QoS policies and their rules (Neutron's QoSPlugin): one default policy per project, one bandwidth limit
 * per direction and one DSCP mark per policy, no deleting a policy in use. A rule change bumps its
 * policy's revision (Neutron's revises_on_change) and reaches the qos agents enforcing the policy.
 */
import { randomUUID } from "node:crypto";
import { ApiError, conflict } from "../api-errors.ts";
import { type QosPolicyRow, type QosRuleRow, timestamp } from "../rows.ts";
import type { Caller, Queryable, ServiceContext, WriteTx } from "./context.ts";
import { qosPolicy, qosPolicyNotFound, qosRulesByPolicy } from "./lookups.ts";
import { allow, allowOn } from "./ownership.ts";
import { emitPolicyDeleted, emitRulesChanged } from "./qos-agents.ts";
import type { Direction, RuleType } from "./qos-rule-types.ts";
import { dropRbacOf, setWildcard } from "./rbac.ts";
import { dropTags } from "./tags.ts";
import { ownedTarget } from "./targets.ts";

export interface QosPolicyCreate {
  readonly name: string;
  readonly description: string;
  readonly shared: boolean;
  readonly isDefault: boolean;
  readonly projectId: string;
}

export type QosPolicyUpdate = Partial<Omit<QosPolicyCreate, "projectId">>;

export type QosRuleCreate =
  | {
      readonly type: "bandwidth_limit";
      readonly maxKbps: number;
      readonly maxBurstKbps: number;
      readonly direction: Direction;
    }
  | { readonly type: "dscp_marking"; readonly dscpMark: number };

export type QosRuleUpdate =
  | {
      readonly type: "bandwidth_limit";
      readonly maxKbps?: number;
      readonly maxBurstKbps?: number;
      readonly direction?: Direction;
    }
  | { readonly type: "dscp_marking"; readonly dscpMark?: number };

export const qosRuleNotFound = (ruleId: string, policyId: string) =>
  new ApiError(404, "QosRuleNotFound", `QoS rule ${ruleId} for policy ${policyId} could not be found.`);

export async function createPolicy(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  input: QosPolicyCreate,
): Promise<QosPolicyRow> {
  allow(caller, "create_policy", { project_id: input.projectId, shared: false });
  if (input.isDefault) await checkNoOtherDefault(tx, input.projectId, undefined);
  const now = timestamp(ctx.now());
  const row: QosPolicyRow = {
    id: randomUUID(),
    name: input.name,
    description: input.description,
    project_id: input.projectId,
    shared: input.shared ? 1 : 0,
    is_default: input.isDefault ? 1 : 0,
    revision_number: 1,
    created_at: now,
    updated_at: now,
  };
  await tx.run(
    `INSERT INTO qos_policies (id, name, description, project_id, shared, is_default, revision_number, created_at,
      updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      row.id,
      row.name,
      row.description,
      row.project_id,
      row.shared,
      row.is_default,
      row.revision_number,
      row.created_at,
      row.updated_at,
    ],
  );
  if (input.shared) await setWildcard(tx, "qos_policy", row, "access_as_shared", true);
  return row;
}

export async function updatePolicy(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  id: string,
  input: QosPolicyUpdate,
): Promise<QosPolicyRow> {
  const current = await qosPolicy(tx, caller, id);
  allowOn(caller, "update_policy", "get_policy", ownedTarget(caller, "qos_policy", current), () =>
    qosPolicyNotFound(current.id),
  );
  if (input.isDefault === true) await checkNoOtherDefault(tx, current.project_id, id);
  const next: QosPolicyRow = {
    ...current,
    name: input.name ?? current.name,
    description: input.description ?? current.description,
    shared: input.shared === undefined ? current.shared : input.shared ? 1 : 0,
    is_default: input.isDefault === undefined ? current.is_default : input.isDefault ? 1 : 0,
    revision_number: current.revision_number + 1,
    updated_at: timestamp(ctx.now()),
  };
  if (input.shared !== undefined)
    await setWildcard(tx, "qos_policy", current, "access_as_shared", input.shared);
  await writePolicy(tx, next);
  return next;
}

/** Refused while a port or a network uses the policy (Neutron checks ports first, then networks). */
export async function deletePolicy(tx: WriteTx, caller: Caller, id: string): Promise<void> {
  const current = await qosPolicy(tx, caller, id);
  allowOn(caller, "delete_policy", "get_policy", ownedTarget(caller, "qos_policy", current), () =>
    qosPolicyNotFound(current.id),
  );
  for (const table of ["port", "network"] as const) {
    const user = await tx.get<{ id: string }>(
      `SELECT id FROM ${table}s WHERE qos_policy_id = ? ORDER BY id LIMIT 1`,
      [id],
    );
    if (user !== undefined)
      throw conflict("QosPolicyInUse", `QoS Policy ${id} is used by ${table} ${user.id}.`);
  }
  await tx.run("DELETE FROM qos_rules WHERE qos_policy_id = ?", [id]);
  await tx.run("DELETE FROM qos_policies WHERE id = ?", [id]);
  await dropTags(tx, "qos/policies", id);
  await dropRbacOf(tx, "qos_policy", id);
  await emitPolicyDeleted(tx, id);
}

export async function createRule(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  policyId: string,
  input: QosRuleCreate,
): Promise<QosRuleRow> {
  // As Neutron's API layer: the action is checked against the body before the policy is looked up, so
  // a caller who may create no rules at all is refused (403) whatever id it names.
  allow(caller, `create_policy_${input.type}_rule`, { project_id: caller.projectId });
  const policy = await qosPolicy(tx, caller, policyId);
  allowOn(
    caller,
    `create_policy_${input.type}_rule`,
    "get_policy",
    ownedTarget(caller, "qos_policy", policy),
    () => qosPolicyNotFound(policy.id),
  );
  const row: QosRuleRow =
    input.type === "bandwidth_limit"
      ? {
          id: randomUUID(),
          qos_policy_id: policyId,
          type: input.type,
          max_kbps: input.maxKbps,
          max_burst_kbps: input.maxBurstKbps,
          direction: input.direction,
          dscp_mark: null,
        }
      : {
          id: randomUUID(),
          qos_policy_id: policyId,
          type: input.type,
          max_kbps: null,
          max_burst_kbps: null,
          direction: null,
          dscp_mark: input.dscpMark,
        };
  await checkRulesConflict(tx, row);
  await tx.run(
    "INSERT INTO qos_rules (id, qos_policy_id, type, max_kbps, max_burst_kbps, direction, dscp_mark) VALUES (?, ?, ?, ?, ?, ?, ?)",
    [row.id, row.qos_policy_id, row.type, row.max_kbps, row.max_burst_kbps, row.direction, row.dscp_mark],
  );
  await rulesChanged(tx, ctx, policy);
  return row;
}

export async function updateRule(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  policyId: string,
  ruleId: string,
  input: QosRuleUpdate,
): Promise<QosRuleRow> {
  const policy = await qosPolicy(tx, caller, policyId);
  allowOn(
    caller,
    `update_policy_${input.type}_rule`,
    "get_policy",
    ownedTarget(caller, "qos_policy", policy),
    () => qosPolicyNotFound(policy.id),
  );
  const current = await findRule(tx, policyId, input.type, ruleId);
  const next: QosRuleRow =
    input.type === "bandwidth_limit"
      ? {
          ...current,
          max_kbps: input.maxKbps ?? current.max_kbps,
          max_burst_kbps: input.maxBurstKbps ?? current.max_burst_kbps,
          direction: input.direction ?? current.direction,
        }
      : { ...current, dscp_mark: input.dscpMark ?? current.dscp_mark };
  await checkRulesConflict(tx, next);
  await tx.run(
    "UPDATE qos_rules SET max_kbps = ?, max_burst_kbps = ?, direction = ?, dscp_mark = ? WHERE id = ?",
    [next.max_kbps, next.max_burst_kbps, next.direction, next.dscp_mark, ruleId],
  );
  await rulesChanged(tx, ctx, policy);
  return next;
}

export async function deleteRule(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  policyId: string,
  type: RuleType,
  ruleId: string,
): Promise<void> {
  const policy = await qosPolicy(tx, caller, policyId);
  allowOn(caller, `delete_policy_${type}_rule`, "get_policy", ownedTarget(caller, "qos_policy", policy), () =>
    qosPolicyNotFound(policy.id),
  );
  await findRule(tx, policyId, type, ruleId);
  await tx.run("DELETE FROM qos_rules WHERE id = ?", [ruleId]);
  await rulesChanged(tx, ctx, policy);
}

/** A rule of this type in this policy, or QosRuleNotFound. */
export async function findRule(
  q: Queryable,
  policyId: string,
  type: RuleType,
  ruleId: string,
): Promise<QosRuleRow> {
  const row = await q.get<QosRuleRow>(
    "SELECT * FROM qos_rules WHERE id = ? AND qos_policy_id = ? AND type = ?",
    [ruleId, policyId, type],
  );
  if (row === undefined) throw qosRuleNotFound(ruleId, policyId);
  return row;
}

export async function rulesOf(q: Queryable, policyId: string): Promise<QosRuleRow[]> {
  return (await qosRulesByPolicy(q, [policyId])).get(policyId) ?? [];
}

/**
 * Neutron's check_rules_conflict: a rule duplicates another of its type when their compare fields are
 * equal — direction for bandwidth limits, none (so any other) for DSCP marking.
 */
async function checkRulesConflict(tx: WriteTx, rule: QosRuleRow): Promise<void> {
  for (const other of await rulesOf(tx, rule.qos_policy_id)) {
    if (other.id === rule.id || other.type !== rule.type) continue;
    if (rule.type === "bandwidth_limit" && other.direction !== rule.direction) continue;
    throw conflict(
      "QoSRulesConflict",
      `Rule ${rule.type} conflicts with rule ${other.id} which already exists in QoS Policy ${rule.qos_policy_id}.`,
    );
  }
}

async function checkNoOtherDefault(tx: WriteTx, projectId: string, self: string | undefined): Promise<void> {
  const current = await tx.get<{ id: string }>(
    "SELECT id FROM qos_policies WHERE project_id = ? AND is_default = 1",
    [projectId],
  );
  if (current !== undefined && current.id !== self) {
    throw conflict("QoSPolicyDefaultAlreadyExists", `A default QoS policy exists for project ${projectId}.`);
  }
}

async function rulesChanged(tx: WriteTx, ctx: ServiceContext, policy: QosPolicyRow): Promise<void> {
  await writePolicy(tx, {
    ...policy,
    revision_number: policy.revision_number + 1,
    updated_at: timestamp(ctx.now()),
  });
  await emitRulesChanged(tx, policy.id);
}

async function writePolicy(tx: WriteTx, p: QosPolicyRow): Promise<void> {
  await tx.run(
    "UPDATE qos_policies SET name = ?, description = ?, shared = ?, is_default = ?, revision_number = ?, updated_at = ? WHERE id = ?",
    [p.name, p.description, p.shared, p.is_default, p.revision_number, p.updated_at, p.id],
  );
}
