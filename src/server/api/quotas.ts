/**
 * /v2.0/quotas as Neutron's quotasv2 and quota-details serve them: a project reads its own limits, an
 * admin any project's and changes them; DELETE returns a project to the defaults.
 */
import { ApiError, forbidden } from "../api-errors.ts";
import type { Router } from "../http/router.ts";
import type { Caller, ServiceContext } from "../services/context.ts";
import { allow } from "../services/ownership.ts";
import {
  limitsOf,
  projectsWithLimits,
  QUOTA_RESOURCES,
  resetLimits,
  setLimits,
  usageOf,
} from "../services/quotas.ts";
import { parseQuotaUpdate } from "./sg-bodies.ts";

const mayRead = (caller: Caller, projectId: string) => allow(caller, "get_quota", { project_id: projectId });

export function quotaRoutes(router: Router, ctx: ServiceContext): void {
  const q = ctx.store.query;
  router.add({
    method: "GET",
    pattern: "/v2.0/quotas",
    access: "api",
    handler: async (req) => {
      if (!req.caller.admin) throw forbidden("get_quota");
      const quotas = [];
      for (const projectId of await projectsWithLimits(q))
        quotas.push({
          ...(await limitsOf(q, ctx.config, projectId)),
          project_id: projectId,
          tenant_id: projectId,
        });
      return { status: 200, body: { quotas } };
    },
  });
  router.add({
    method: "POST",
    pattern: "/v2.0/quotas",
    access: "api",
    handler: async () => {
      throw new ApiError(501, "HTTPNotImplemented", "POST requests are not supported on this resource.");
    },
  });
  router.add({
    method: "GET",
    pattern: "/v2.0/quotas/project",
    access: "api",
    handler: async (req) => ({ status: 200, body: { project: { project_id: req.caller.projectId } } }),
  });
  router.add({
    method: "GET",
    pattern: "/v2.0/quotas/:project_id/default",
    access: "api",
    handler: async (req) => {
      mayRead(req.caller, req.params.project_id!);
      return { status: 200, body: { quota: { ...ctx.config.quotaDefaults } } };
    },
  });
  router.add({
    method: "GET",
    pattern: "/v2.0/quotas/:project_id/details",
    access: "api",
    handler: async (req) => {
      const projectId = req.params.project_id!;
      mayRead(req.caller, projectId);
      const limits = await limitsOf(q, ctx.config, projectId);
      const quota: Record<string, { limit: number; used: number; reserved: number }> = {};
      for (const resource of QUOTA_RESOURCES)
        quota[resource] = {
          limit: limits[resource],
          used: await usageOf(q, projectId, resource),
          reserved: 0,
        };
      return { status: 200, body: { quota } };
    },
  });
  router.add({
    method: "GET",
    pattern: "/v2.0/quotas/:project_id",
    access: "api",
    handler: async (req) => {
      mayRead(req.caller, req.params.project_id!);
      return { status: 200, body: { quota: await limitsOf(q, ctx.config, req.params.project_id!) } };
    },
  });
  router.add({
    method: "PUT",
    pattern: "/v2.0/quotas/:project_id",
    access: "api",
    handler: async (req) => {
      allow(req.caller, "update_quota", { project_id: req.params.project_id });
      const { limits, force } = parseQuotaUpdate(await req.body(), req.caller);
      const projectId = req.params.project_id!;
      await ctx.store.write((tx) => setLimits(tx, projectId, limits, force));
      return { status: 200, body: { quota: await limitsOf(q, ctx.config, projectId) } };
    },
  });
  router.add({
    method: "DELETE",
    pattern: "/v2.0/quotas/:project_id",
    access: "api",
    handler: async (req) => {
      allow(req.caller, "delete_quota", { project_id: req.params.project_id });
      await ctx.store.write((tx) => resetLimits(tx, req.params.project_id!));
      return { status: 204 };
    },
  });
}
