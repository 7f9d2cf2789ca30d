/**
 * Security groups (Neutron's SecurityGroupDbMixin): each project's `default` group, created lazily the
 * first time the project lists groups or rules or creates a port; a new group's rules come from the
 * templates; the default group cannot be renamed, nor deleted but by an admin; a group in use by a port
 * cannot be deleted or change its statefulness.
 */
import { randomUUID } from "node:crypto";
import { ApiError, conflict } from "../api-errors.ts";
import { callerOf } from "../auth/authenticator.ts";
import { type SecurityGroupRow, type SecurityGroupRuleRow, timestamp } from "../rows.ts";
import type { Caller, Queryable, ServiceContext, WriteTx } from "./context.ts";
import { rulesFromTemplates } from "./default-sg-rules.ts";
import { allow, allowOn, sees } from "./ownership.ts";
import { checkQuota } from "./quotas.ts";
import { dropRbacOf } from "./rbac.ts";
import { emitGroupChanged, emitGroupDeleted } from "./security-group-agents.ts";
import { insertRule, rulesOf } from "./security-group-rows.ts";
import { dropTags } from "./tags.ts";
import { ownedTarget } from "./targets.ts";

export const DEFAULT_SG_NAME = "default";
const DEFAULT_SG_DESCRIPTION = "Default security group";

export const securityGroupNotFound = (id: string) =>
  new ApiError(404, "SecurityGroupNotFound", `Security group ${id} does not exist`);

export interface SecurityGroupCreate {
  readonly name: string;
  readonly description: string;
  readonly projectId: string;
  readonly stateful: boolean;
}

export type SecurityGroupUpdate = Partial<Pick<SecurityGroupCreate, "name" | "description" | "stateful">>;

/** Whether the caller may see the group (get_security_group: admins every group, others their project's). */
export function securityGroupVisible(caller: Caller, group: SecurityGroupRow): boolean {
  return sees(caller, "get_security_group", ownedTarget(caller, "security_group", group));
}

/** A group the caller may see, or SecurityGroupNotFound (also when it exists but is not theirs). */
export async function securityGroup(q: Queryable, caller: Caller, id: string): Promise<SecurityGroupRow> {
  const row = await q.get<SecurityGroupRow>("SELECT * FROM security_groups WHERE id = ?", [id]);
  if (row === undefined || !securityGroupVisible(caller, row)) throw securityGroupNotFound(id);
  return row;
}

/** A group the project owns, as a rule's remote or a port's group must be (visible to that project). */
export async function groupOfProject(q: Queryable, id: string, projectId: string): Promise<SecurityGroupRow> {
  return securityGroup(q, callerOf(projectId, ["member", "reader"], undefined, false), id);
}

export async function defaultGroupId(q: Queryable, projectId: string): Promise<string | undefined> {
  const row = await q.get<{ security_group_id: string }>(
    "SELECT security_group_id FROM default_security_groups WHERE project_id = ?",
    [projectId],
  );
  return row?.security_group_id;
}

/**
 * The project's default group, created if it has none — but never for another project by a non-admin
 * (Neutron bug 1987410): then undefined.
 */
export async function ensureDefaultGroup(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  projectId: string,
): Promise<string | undefined> {
  if (projectId !== caller.projectId && !caller.admin) return undefined;
  const existing = await defaultGroupId(tx, projectId);
  if (existing !== undefined) return existing;
  const group = await insertGroup(
    tx,
    ctx,
    {
      name: DEFAULT_SG_NAME,
      description: DEFAULT_SG_DESCRIPTION,
      projectId,
      stateful: true,
    },
    true,
  );
  return group.id;
}

export async function createGroup(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  input: SecurityGroupCreate,
): Promise<{ group: SecurityGroupRow; rules: SecurityGroupRuleRow[] }> {
  allow(caller, "create_security_group", { project_id: input.projectId });
  await ensureDefaultGroup(tx, ctx, caller, input.projectId);
  await checkQuota(tx, ctx.config, input.projectId, "security_group", 1);
  const group = await insertGroup(tx, ctx, input, false);
  return { group, rules: await rulesOf(tx, group.id) };
}

/** Inserts a group with the rules its templates give it (the rule quota counts them first). */
async function insertGroup(
  tx: WriteTx,
  ctx: ServiceContext,
  input: SecurityGroupCreate,
  isDefault: boolean,
): Promise<SecurityGroupRow> {
  const now = timestamp(ctx.now());
  const row: SecurityGroupRow = {
    id: randomUUID(),
    name: input.name,
    description: input.description,
    project_id: input.projectId,
    stateful: input.stateful ? 1 : 0,
    revision_number: 1,
    created_at: now,
    updated_at: now,
  };
  const rules = await rulesFromTemplates(tx, row, isDefault, now);
  await checkQuota(tx, ctx.config, input.projectId, "security_group_rule", rules.length);
  await tx.run(
    `INSERT INTO security_groups (id, name, description, project_id, stateful, revision_number, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [row.id, row.name, row.description, row.project_id, row.stateful, row.revision_number, now, now],
  );
  if (isDefault)
    await tx.run("INSERT INTO default_security_groups (project_id, security_group_id) VALUES (?, ?)", [
      row.project_id,
      row.id,
    ]);
  for (const rule of rules) await insertRule(tx, rule);
  return row;
}

export async function updateGroup(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  id: string,
  input: SecurityGroupUpdate,
): Promise<SecurityGroupRow> {
  const current = await securityGroup(tx, caller, id);
  allowOn(
    caller,
    "update_security_group",
    "get_security_group",
    ownedTarget(caller, "security_group", current),
    () => securityGroupNotFound(id),
  );
  const stateful = input.stateful === undefined ? current.stateful : input.stateful ? 1 : 0;
  if (stateful !== current.stateful && (await portUsingGroup(tx, id)) !== undefined) throw groupInUse(id);
  if (current.name === DEFAULT_SG_NAME && input.name !== undefined)
    throw conflict("SecurityGroupCannotUpdateDefault", "Updating default security group not allowed.");
  const next: SecurityGroupRow = {
    ...current,
    name: input.name ?? current.name,
    description: input.description ?? current.description,
    stateful,
    revision_number: current.revision_number + 1,
    updated_at: timestamp(ctx.now()),
  };
  await writeGroup(tx, next);
  // No port is in it (refused above), but the agents' view of it changed.
  if (stateful !== current.stateful) await emitGroupChanged(tx, id);
  return next;
}

/** Its rules go with it, and so do other groups' rules that name it as their remote (Neutron's cascade). */
export async function deleteGroup(tx: WriteTx, caller: Caller, id: string): Promise<void> {
  if ((await portUsingGroup(tx, id)) !== undefined) {
    // Neutron checks the bindings before it even looks the group up.
    await securityGroup(tx, caller, id);
    throw groupInUse(id);
  }
  const current = await securityGroup(tx, caller, id);
  allowOn(
    caller,
    "delete_security_group",
    "get_security_group",
    ownedTarget(caller, "security_group", current),
    () => securityGroupNotFound(id),
  );
  if (current.name === DEFAULT_SG_NAME && !caller.admin)
    throw conflict(
      "SecurityGroupCannotRemoveDefault",
      "Insufficient rights for removing default security group.",
    );
  const dependents = (
    await tx.all<{ id: string }>(
      "SELECT DISTINCT security_group_id AS id FROM security_group_rules WHERE remote_group_id = ? AND security_group_id <> ?",
      [id, id],
    )
  ).map((r) => r.id);
  await tx.run("DELETE FROM security_group_rules WHERE security_group_id = ? OR remote_group_id = ?", [
    id,
    id,
  ]);
  await tx.run("DELETE FROM default_security_groups WHERE security_group_id = ?", [id]);
  await tx.run("DELETE FROM security_groups WHERE id = ?", [id]);
  await dropRbacOf(tx, "security_group", id);
  await dropTags(tx, "security-groups", id);
  await emitGroupDeleted(tx, id, dependents.sort());
}

export const groupInUse = (id: string) => conflict("SecurityGroupInUse", `Security Group ${id} in use.`);

async function portUsingGroup(q: Queryable, id: string): Promise<string | undefined> {
  const row = await q.get<{ port_id: string }>(
    "SELECT port_id FROM port_security_groups WHERE security_group_id = ? LIMIT 1",
    [id],
  );
  return row?.port_id;
}

async function writeGroup(tx: WriteTx, g: SecurityGroupRow): Promise<void> {
  await tx.run(
    "UPDATE security_groups SET name = ?, description = ?, stateful = ?, revision_number = ?, updated_at = ? WHERE id = ?",
    [g.name, g.description, g.stateful, g.revision_number, g.updated_at, g.id],
  );
}
