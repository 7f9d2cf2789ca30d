/**
 * Per-project quotas as Neutron's DbQuotaNoLockDriver keeps them: a limit per resource, the configured
 * default unless a project has its own, -1 for unlimited; a create that would go beyond the limit is 409
 * OverQuota, checked in the same transaction as the insert. Only resources whose creation is counted here
 * are listed: a limit that nothing enforced would be a lie.
 */
import { ApiError, conflict } from "../api-errors.ts";
import type { ServerConfig } from "../config.ts";
import type { Queryable, WriteTx } from "./context.ts";

export const QUOTA_RESOURCES = [
  "network",
  "subnet",
  "port",
  "security_group",
  "security_group_rule",
  "rbac_policy",
  "router",
  "floatingip",
] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];
export const UNLIMITED = -1;

/** How a resource's usage is counted: its rows owned by the project. */
const USAGE: Record<QuotaResource, string> = {
  network: "SELECT COUNT(*) AS n FROM networks WHERE project_id = ?",
  subnet: "SELECT COUNT(*) AS n FROM subnets WHERE project_id = ?",
  port: "SELECT COUNT(*) AS n FROM ports WHERE project_id = ?",
  security_group: "SELECT COUNT(*) AS n FROM security_groups WHERE project_id = ?",
  security_group_rule: "SELECT COUNT(*) AS n FROM security_group_rules WHERE project_id = ?",
  rbac_policy: "SELECT COUNT(*) AS n FROM rbac_policies WHERE project_id = ?",
  router: "SELECT COUNT(*) AS n FROM routers WHERE project_id = ?",
  floatingip: "SELECT COUNT(*) AS n FROM floatingips WHERE project_id = ?",
};

export type Limits = Record<QuotaResource, number>;

export async function limitsOf(q: Queryable, config: ServerConfig, projectId: string): Promise<Limits> {
  const limits: Limits = { ...config.quotaDefaults };
  for (const row of await q.all<{ resource: string; hard_limit: number }>(
    "SELECT resource, hard_limit FROM quotas WHERE project_id = ?",
    [projectId],
  )) {
    if ((QUOTA_RESOURCES as readonly string[]).includes(row.resource))
      limits[row.resource as QuotaResource] = Number(row.hard_limit);
  }
  return limits;
}

export async function usageOf(q: Queryable, projectId: string, resource: QuotaResource): Promise<number> {
  return Number((await q.get<{ n: number }>(USAGE[resource], [projectId]))!.n);
}

/** Refuses `count` more of `resource` for the project when that goes beyond its limit. */
export async function checkQuota(
  tx: WriteTx,
  config: ServerConfig,
  projectId: string,
  resource: QuotaResource,
  count: number,
): Promise<void> {
  if (count <= 0) return;
  const limit = (await limitsOf(tx, config, projectId))[resource];
  if (limit === UNLIMITED) return;
  if ((await usageOf(tx, projectId, resource)) + count > limit)
    throw conflict("OverQuota", `Quota exceeded for resources: ['${resource}'].`);
}

/**
 * Sets limits; without `force`, a limit below what the project already uses is refused (Neutron's
 * quotasv2 update since 2025.1), before anything is written.
 */
export async function setLimits(
  tx: WriteTx,
  projectId: string,
  limits: Partial<Limits>,
  force: boolean,
): Promise<void> {
  const entries = Object.entries(limits) as [QuotaResource, number][];
  if (!force) {
    for (const [resource, limit] of entries) {
      if (limit === UNLIMITED) continue;
      const used = await usageOf(tx, projectId, resource);
      if (used > limit)
        throw new ApiError(
          400,
          "HTTPBadRequest",
          `Quota limit ${limit} for ${resource} must be greater than or equal to already used ${used}`,
        );
    }
  }
  for (const [resource, limit] of entries) {
    await tx.run("DELETE FROM quotas WHERE project_id = ? AND resource = ?", [projectId, resource]);
    await tx.run("INSERT INTO quotas (project_id, resource, hard_limit) VALUES (?, ?, ?)", [
      projectId,
      resource,
      limit,
    ]);
  }
}

/** Back to the defaults. */
export async function resetLimits(tx: WriteTx, projectId: string): Promise<void> {
  await tx.run("DELETE FROM quotas WHERE project_id = ?", [projectId]);
}

/** Projects with limits of their own. */
export async function projectsWithLimits(q: Queryable): Promise<string[]> {
  return (
    await q.all<{ project_id: string }>("SELECT DISTINCT project_id FROM quotas ORDER BY project_id")
  ).map((r) => r.project_id);
}
