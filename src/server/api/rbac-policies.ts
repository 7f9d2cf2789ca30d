/** /v2.0/rbac-policies (Neutron's rbac-policies, rbac-security-groups, rbac-address-group; QoS's rbac). */
import { ApiError } from "../api-errors.ts";
import type { Router } from "../http/router.ts";
import type { ServiceContext } from "../services/context.ts";
import { RBAC_ACTIONS, type RbacAction, type RbacObjectType } from "../services/grants.ts";
import { createRbac, deleteRbac, findRbac, type RbacRow, rbacVisible, updateRbac } from "../services/rbac.ts";
import { type AttributeMap, invalidInput, parseResource, pyStr, string, values } from "./attributes.ts";
import { listBody, pickFields } from "./query.ts";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const readOnly = { post: false, put: false } as const;
const ALL_ACTIONS = ["access_as_external", "access_as_shared"] as const;

/** Neutron's convert_valid_object_type: trimmed, lower case, one of the types this server shares. */
function objectType(value: unknown): RbacObjectType {
  const normalized = typeof value === "string" ? value.trim().toLowerCase() : "";
  if (normalized in RBAC_ACTIONS) return normalized as RbacObjectType;
  throw invalidInput(`'${pyStr(value)}' is not a valid RBAC object type`);
}

// Neutron's RESOURCE_ATTRIBUTE_MAP for rbac_policies, in its order.
const rbacAttributes: AttributeMap = {
  id: readOnly,
  object_type: { post: true, put: false, default: null, convert: objectType },
  object_id: {
    post: true,
    put: false,
    default: null,
    validate: (v) =>
      typeof v === "string" && uuidPattern.test(v) ? undefined : `'${pyStr(v)}' is not a valid UUID`,
  },
  target_tenant: { post: true, put: true, validate: string(255) },
  tenant_id: { post: true, put: false, validate: string(255) },
  project_id: { post: true, put: false, validate: string(255) },
  action: { post: true, put: false, validate: values(ALL_ACTIONS) },
};

export function rbacView(r: RbacRow): Record<string, unknown> {
  return {
    id: r.id,
    project_id: r.project_id,
    tenant_id: r.project_id,
    object_type: r.object_type,
    object_id: r.object_id,
    action: r.action,
    target_tenant: r.target_project,
  };
}

export function rbacRoutes(router: Router, ctx: ServiceContext): void {
  const q = ctx.store.query;
  const base = "/v2.0/rbac-policies";
  router.add({
    method: "GET",
    pattern: base,
    access: "api",
    handler: async (req) => {
      const rows = (await q.all<RbacRow>("SELECT * FROM rbac_policies ORDER BY id")).filter((r) =>
        rbacVisible(req.caller, r),
      );
      return {
        status: 200,
        body: listBody("rbac_policies", rows.map(rbacView), req.query, req.baseUrl, "rbac-policies"),
      };
    },
  });
  router.add({
    method: "POST",
    pattern: base,
    access: "api",
    handler: async (req) => {
      const b = parseResource(
        await req.body(),
        ["rbac_policy", "rbac_policies"],
        rbacAttributes,
        "create",
        req.caller,
      );
      const type = b.object_type as RbacObjectType;
      const action = b.action as RbacAction;
      const valid: readonly string[] = RBAC_ACTIONS[type];
      if (!valid.includes(action))
        throw new ApiError(
          400,
          "InvalidActionForType",
          `Invalid action '${action}' for object type '${type}'. Valid actions: [${valid.map((a) => `'${a}'`).join(", ")}]`,
        );
      const row = await ctx.store.write((tx) =>
        createRbac(tx, ctx, req.caller, {
          projectId: b.project_id as string,
          objectType: type,
          objectId: b.object_id as string,
          action,
          target: b.target_tenant as string,
        }),
      );
      return { status: 201, body: { rbac_policy: rbacView(row) } };
    },
  });
  router.add({
    method: "GET",
    pattern: `${base}/:id`,
    access: "api",
    handler: async (req) => ({
      status: 200,
      body: { rbac_policy: pickFields(rbacView(await findRbac(q, req.caller, req.params.id!)), req.query) },
    }),
  });
  router.add({
    method: "PUT",
    pattern: `${base}/:id`,
    access: "api",
    handler: async (req) => {
      const b = parseResource(
        await req.body(),
        ["rbac_policy", "rbac_policies"],
        rbacAttributes,
        "update",
        req.caller,
      );
      const id = req.params.id!;
      const row = await ctx.store.write(async (tx) =>
        b.target_tenant === undefined
          ? findRbac(tx, req.caller, id)
          : updateRbac(tx, ctx, req.caller, id, b.target_tenant as string),
      );
      return { status: 200, body: { rbac_policy: rbacView(row) } };
    },
  });
  router.add({
    method: "DELETE",
    pattern: `${base}/:id`,
    access: "api",
    handler: async (req) => {
      await ctx.store.write((tx) => deleteRbac(tx, ctx, req.caller, req.params.id!));
      return { status: 204 };
    },
  });
}
