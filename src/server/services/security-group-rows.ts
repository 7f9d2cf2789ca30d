/** Reads and writes of security-group rules shared by groups, rules and templates. */
import { type SecurityGroupRuleRow, timestamp } from "../rows.ts";
import type { Queryable, ServiceContext, WriteTx } from "./context.ts";
import { revise } from "./revisions.ts";

export function rulesOf(q: Queryable, groupId: string): Promise<SecurityGroupRuleRow[]> {
  return q.all<SecurityGroupRuleRow>(
    "SELECT * FROM security_group_rules WHERE security_group_id = ? ORDER BY created_at, id",
    [groupId],
  );
}

/** Rules grouped by group, for lists. */
export async function rulesByGroup(q: Queryable): Promise<Map<string, SecurityGroupRuleRow[]>> {
  const byGroup = new Map<string, SecurityGroupRuleRow[]>();
  for (const row of await q.all<SecurityGroupRuleRow>(
    "SELECT * FROM security_group_rules ORDER BY created_at, id",
  )) {
    const list = byGroup.get(row.security_group_id);
    if (list) list.push(row);
    else byGroup.set(row.security_group_id, [row]);
  }
  return byGroup;
}

/** A rule change revises its group (Neutron's revises_on_change). */
export async function reviseGroup(tx: WriteTx, ctx: ServiceContext, id: string): Promise<void> {
  await revise(tx, "security_groups", id, timestamp(ctx.now()));
}

export async function insertRule(tx: WriteTx, r: SecurityGroupRuleRow): Promise<void> {
  await tx.run(
    `INSERT INTO security_group_rules (id, security_group_id, project_id, direction, ethertype, protocol,
      port_range_min, port_range_max, remote_ip_prefix, remote_group_id, remote_address_group_id, description,
      revision_number, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      r.id,
      r.security_group_id,
      r.project_id,
      r.direction,
      r.ethertype,
      r.protocol,
      r.port_range_min,
      r.port_range_max,
      r.remote_ip_prefix,
      r.remote_group_id,
      r.remote_address_group_id,
      r.description,
      r.revision_number,
      r.created_at,
      r.updated_at,
    ],
  );
}
