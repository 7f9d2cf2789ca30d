/**
 * Security-group rules (Neutron's create_security_group_rule_bulk_native and friends): created one at a
 * time or many in one atomic request — all in one group and one project — checked in Neutron's order
 * (quota, values, remote group, remote address group, the group itself, duplicates), never updated.
 */
import { randomUUID } from "node:crypto";
import { ApiError, conflict } from "../api-errors.ts";
import { type SecurityGroupRuleRow, timestamp } from "../rows.ts";
import { addressGroupFor } from "./address-groups.ts";
import type { Caller, Queryable, ServiceContext, WriteTx } from "./context.ts";
import { allow, allowOn, asProject, sees } from "./ownership.ts";
import { checkQuota } from "./quotas.ts";
import { emitGroupChanged } from "./security-group-agents.ts";
import { insertRule, reviseGroup, rulesOf } from "./security-group-rows.ts";
import { securityGroup } from "./security-groups.ts";
import { checkRuleValues, type RuleValues, ruleKey } from "./sg-rule-values.ts";
import { ruleTarget } from "./targets.ts";

export interface RuleCreate extends RuleValues {
  readonly security_group_id: string;
  readonly project_id: string;
  readonly description: string;
}

export const ruleNotFound = (id: string) =>
  new ApiError(404, "SecurityGroupRuleNotFound", `Security group rule ${id} does not exist`);

/** Rules are the caller's when they own the rule or its group. */
export async function securityGroupRule(
  q: Queryable,
  caller: Caller,
  id: string,
): Promise<SecurityGroupRuleRow> {
  const row = await q.get<SecurityGroupRuleRow & { group_project_id: string }>(
    `SELECT r.*, g.project_id AS group_project_id FROM security_group_rules r
       JOIN security_groups g ON g.id = r.security_group_id WHERE r.id = ?`,
    [id],
  );
  if (row === undefined || !ruleVisible(caller, row, row.group_project_id)) throw ruleNotFound(id);
  const { group_project_id: _, ...rule } = row;
  return rule;
}

export function ruleVisible(caller: Caller, rule: SecurityGroupRuleRow, groupProjectId: string): boolean {
  return sees(caller, "get_security_group_rule", ruleTarget(rule, groupProjectId));
}

export async function createRules(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  inputs: readonly RuleCreate[],
): Promise<SecurityGroupRuleRow[]> {
  const groupIds = new Set(inputs.map((r) => r.security_group_id));
  const projects = new Set(inputs.map((r) => r.project_id));
  if (groupIds.size > 1)
    throw new ApiError(
      400,
      "SecurityGroupNotSingleGroupRules",
      "Only allowed to update rules for one security profile at a time",
    );
  if (projects.size > 1)
    throw new ApiError(
      400,
      "SecurityGroupRulesNotSingleProject",
      "Multiple project_ids in bulk security group rule create not allowed",
    );
  const [projectId] = projects;
  if (projectId === undefined) return [];
  await checkQuota(tx, ctx.config, projectId, "security_group_rule", inputs.length);
  const checked: RuleCreate[] = [];
  for (const input of inputs) {
    const values = checkRuleValues(input);
    // Remotes and the group must be visible to the rule's project (an admin sees them all).
    const forProject = asProject(caller, input.project_id);
    if (values.remote_group_id !== null) await securityGroup(tx, forProject, values.remote_group_id);
    if (values.remote_address_group_id !== null)
      await addressGroupFor(tx, forProject, values.remote_address_group_id);
    const group = await securityGroup(tx, forProject, input.security_group_id);
    allow(
      caller,
      "create_security_group_rule",
      ruleTarget({ project_id: input.project_id }, group.project_id),
    );
    checked.push({ ...input, ...values });
  }
  const [groupId] = groupIds;
  await checkDuplicates(tx, groupId!, checked);
  const now = timestamp(ctx.now());
  const rows = checked.map(
    (input): SecurityGroupRuleRow => ({
      id: randomUUID(),
      security_group_id: input.security_group_id,
      project_id: input.project_id,
      direction: input.direction,
      ethertype: input.ethertype,
      protocol: input.protocol,
      port_range_min: input.port_range_min,
      port_range_max: input.port_range_max,
      remote_ip_prefix: input.remote_ip_prefix,
      remote_group_id: input.remote_group_id,
      remote_address_group_id: input.remote_address_group_id,
      description: input.description,
      revision_number: 1,
      created_at: now,
      updated_at: now,
    }),
  );
  for (const row of rows) await insertRule(tx, row);
  await reviseGroup(tx, ctx, groupId!);
  await emitGroupChanged(tx, groupId!, rows);
  return rows;
}

async function checkDuplicates(tx: WriteTx, groupId: string, rules: readonly RuleCreate[]): Promise<void> {
  const keys = new Set<string>();
  for (const rule of rules) {
    const key = ruleKey(rule, rule.security_group_id);
    if (keys.has(key))
      throw conflict("DuplicateSecurityGroupRuleInPost", "Duplicate Security Group Rule in POST.");
    keys.add(key);
  }
  for (const existing of await rulesOf(tx, groupId)) {
    if (keys.has(ruleKey(existing, existing.security_group_id)))
      throw conflict(
        "SecurityGroupRuleExists",
        `Security group rule already exists. Rule id is ${existing.id}.`,
      );
  }
}

export async function deleteRule(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  id: string,
): Promise<void> {
  const rule = await securityGroupRule(tx, caller, id);
  const group = await tx.get<{ project_id: string }>("SELECT project_id FROM security_groups WHERE id = ?", [
    rule.security_group_id,
  ]);
  allowOn(
    caller,
    "delete_security_group_rule",
    "get_security_group_rule",
    ruleTarget(rule, group?.project_id ?? rule.project_id),
    () => ruleNotFound(id),
  );
  await tx.run("DELETE FROM security_group_rules WHERE id = ?", [id]);
  await reviseGroup(tx, ctx, rule.security_group_id);
  await emitGroupChanged(tx, rule.security_group_id);
}
