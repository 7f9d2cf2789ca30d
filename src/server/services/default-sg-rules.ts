/**
 * The templates new groups take their rules from (Neutron's security-groups-default-rules, 2023.2): each
 * is used in projects' default groups, in other groups, or both; "PARENT" as the remote group stands for
 * the new group. Duplicates are refused within each of the two template sets. Admin-only to change.
 */
import { randomUUID } from "node:crypto";
import { ApiError, conflict } from "../api-errors.ts";
import type { DefaultSecurityGroupRuleRow, SecurityGroupRow, SecurityGroupRuleRow } from "../rows.ts";
import type { Caller, Queryable, WriteTx } from "./context.ts";
import { allow } from "./ownership.ts";
import { checkRuleValues, type RuleValues, ruleKey } from "./sg-rule-values.ts";

export const PARENT = "PARENT";

export interface TemplateCreate extends RuleValues {
  readonly description: string;
  readonly used_in_default_sg: boolean;
  readonly used_in_non_default_sg: boolean;
}

export const templateNotFound = (id: string) =>
  new ApiError(404, "DefaultSecurityGroupRuleNotFound", `Default Security Group rule ${id} does not exist`);

export function templates(q: Queryable): Promise<DefaultSecurityGroupRuleRow[]> {
  return q.all<DefaultSecurityGroupRuleRow>("SELECT * FROM default_security_group_rules ORDER BY id");
}

export async function template(q: Queryable, id: string): Promise<DefaultSecurityGroupRuleRow> {
  const row = await q.get<DefaultSecurityGroupRuleRow>(
    "SELECT * FROM default_security_group_rules WHERE id = ?",
    [id],
  );
  if (row === undefined) throw templateNotFound(id);
  return row;
}

/** The rules a new group gets: the templates for its kind, PARENT replaced by the group itself. */
export async function rulesFromTemplates(
  q: Queryable,
  group: SecurityGroupRow,
  isDefault: boolean,
  now: string,
): Promise<SecurityGroupRuleRow[]> {
  const column = isDefault ? "used_in_default_sg" : "used_in_non_default_sg";
  const rows = await q.all<DefaultSecurityGroupRuleRow>(
    `SELECT * FROM default_security_group_rules WHERE ${column} = 1 ORDER BY id`,
  );
  return rows.map((t) => ({
    id: randomUUID(),
    security_group_id: group.id,
    project_id: group.project_id,
    direction: t.direction,
    ethertype: t.ethertype,
    protocol: t.protocol,
    port_range_min: t.port_range_min,
    port_range_max: t.port_range_max,
    remote_ip_prefix: t.remote_ip_prefix,
    remote_group_id: t.remote_group_id === PARENT ? group.id : t.remote_group_id,
    remote_address_group_id: t.remote_address_group_id,
    description: "",
    revision_number: 1,
    created_at: now,
    updated_at: now,
  }));
}

export async function createTemplate(
  tx: WriteTx,
  caller: Caller,
  input: TemplateCreate,
): Promise<DefaultSecurityGroupRuleRow> {
  allow(caller, "create_default_security_group_rule", {});
  const values = checkRuleValues(input);
  const key = ruleKey(values, null);
  for (const existing of await templates(tx)) {
    const sameSet =
      (input.used_in_default_sg && existing.used_in_default_sg === 1) ||
      (input.used_in_non_default_sg && existing.used_in_non_default_sg === 1);
    if (sameSet && ruleKey(existing, null) === key)
      throw conflict(
        "DefaultSecurityGroupRuleExists",
        `Default Security group rule already exists. Rule id is ${existing.id}.`,
      );
  }
  const row: DefaultSecurityGroupRuleRow = {
    id: randomUUID(),
    ...values,
    description: input.description,
    used_in_default_sg: input.used_in_default_sg ? 1 : 0,
    used_in_non_default_sg: input.used_in_non_default_sg ? 1 : 0,
  };
  await tx.run(
    `INSERT INTO default_security_group_rules (id, direction, ethertype, protocol, port_range_min, port_range_max,
      remote_ip_prefix, remote_group_id, remote_address_group_id, description, used_in_default_sg,
      used_in_non_default_sg) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      row.id,
      row.direction,
      row.ethertype,
      row.protocol,
      row.port_range_min,
      row.port_range_max,
      row.remote_ip_prefix,
      row.remote_group_id,
      row.remote_address_group_id,
      row.description,
      row.used_in_default_sg,
      row.used_in_non_default_sg,
    ],
  );
  return row;
}

export async function deleteTemplate(tx: WriteTx, caller: Caller, id: string): Promise<void> {
  allow(caller, "delete_default_security_group_rule", {});
  await template(tx, id);
  await tx.run("DELETE FROM default_security_group_rules WHERE id = ?", [id]);
}
