/**
 * The QoS extension's resources (Neutron's API prefix /qos): policies, their bandwidth-limit and DSCP
 * rules as sub-resources, and the rule types the backend supports.
 */
import { ApiError } from "../api-errors.ts";
import type { ApiRequest, Router } from "../http/router.ts";
import type { QosPolicyRow, QosRuleRow } from "../rows.ts";
import type { ServiceContext } from "../services/context.ts";
import { qosPolicy, qosPolicyVisible, qosRulesByPolicy } from "../services/lookups.ts";
import {
  createPolicy,
  createRule,
  deletePolicy,
  deleteRule,
  findRule,
  type QosRuleCreate,
  type QosRuleUpdate,
  rulesOf,
  updatePolicy,
  updateRule,
} from "../services/qos.ts";
import { ALL_RULE_TYPES, RULE_TYPES, type RuleType, ruleTypeDrivers } from "../services/qos-rule-types.ts";
import { tagsByObject, tagsOf } from "../services/tags.ts";
import { sharedWith } from "../services/targets.ts";
import { qosPolicyView, qosRuleView } from "../views.ts";
import { booleanFrom, invalidInput } from "./attributes.ts";
import { parseBandwidthLimitRule, parseDscpMarkingRule, parseQosPolicy } from "./bodies.ts";
import { ifMatch } from "./if-match.ts";
import { listBody, pickFields } from "./query.ts";

export function qosRoutes(router: Router, ctx: ServiceContext): void {
  policyRoutes(router, ctx);
  for (const type of RULE_TYPES) ruleRoutes(router, ctx, type);
  ruleTypeRoutes(router);
}

function policyRoutes(router: Router, ctx: ServiceContext): void {
  const q = ctx.store.query;
  const view = async (req: ApiRequest, row: QosPolicyRow) => ({
    ...qosPolicyView(row, await rulesOf(q, row.id), sharedWith(req.caller, "qos_policy", row)),
    tags: await tagsOf(q, "qos/policies", row.id),
  });
  router.add({
    method: "GET",
    pattern: "/v2.0/qos/policies",
    access: "api",
    handler: async (req) => {
      const rows = (await q.all<QosPolicyRow>("SELECT * FROM qos_policies")).filter((r) =>
        qosPolicyVisible(req.caller, r),
      );
      const rules = await qosRulesByPolicy(
        q,
        rows.map((r) => r.id),
      );
      const tags = await tagsByObject(q, "qos/policies");
      const items = rows.map((r) => ({
        ...qosPolicyView(r, rules.get(r.id) ?? [], sharedWith(req.caller, "qos_policy", r)),
        tags: tags.get(r.id) ?? [],
      }));
      return { status: 200, body: listBody("policies", items, req.query, req.baseUrl, "qos/policies") };
    },
  });
  router.add({
    method: "POST",
    pattern: "/v2.0/qos/policies",
    access: "api",
    handler: async (req) => {
      const b = parseQosPolicy(await req.body(), "create", req.caller);
      const row = await ctx.store.write((tx) =>
        createPolicy(tx, ctx, req.caller, {
          name: b.name!,
          description: b.description!,
          shared: b.shared!,
          isDefault: b.is_default!,
          projectId: b.project_id!,
        }),
      );
      return {
        status: 201,
        body: { policy: { ...qosPolicyView(row, [], sharedWith(req.caller, "qos_policy", row)), tags: [] } },
      };
    },
  });
  router.add({
    method: "GET",
    pattern: "/v2.0/qos/policies/:id",
    access: "api",
    handler: async (req) => ({
      status: 200,
      body: {
        policy: pickFields(await view(req, await qosPolicy(q, req.caller, req.params.id!)), req.query),
      },
    }),
  });
  router.add({
    method: "PUT",
    pattern: "/v2.0/qos/policies/:id",
    access: "api",
    handler: async (req) => {
      const b = parseQosPolicy(await req.body(), "update", req.caller);
      const row = await ctx.store.write((tx) =>
        ifMatch(req, tx, "qos_policies", req.params.id!, () =>
          updatePolicy(tx, ctx, req.caller, req.params.id!, {
            name: b.name,
            description: b.description,
            shared: b.shared,
            isDefault: b.is_default,
          }),
        ),
      );
      return { status: 200, body: { policy: await view(req, row) } };
    },
  });
  router.add({
    method: "DELETE",
    pattern: "/v2.0/qos/policies/:id",
    access: "api",
    handler: async (req) => {
      await ctx.store.write((tx) =>
        ifMatch(req, tx, "qos_policies", req.params.id!, () => deletePolicy(tx, req.caller, req.params.id!)),
      );
      return { status: 204 };
    },
  });
}

/** The body of a rule create or update, as the service takes it. */
function ruleInput(req: ApiRequest, type: RuleType, body: unknown, operation: "create"): QosRuleCreate;
function ruleInput(req: ApiRequest, type: RuleType, body: unknown, operation: "update"): QosRuleUpdate;
function ruleInput(req: ApiRequest, type: RuleType, body: unknown, operation: "create" | "update") {
  if (type === "bandwidth_limit") {
    const b = parseBandwidthLimitRule(body, operation, req.caller);
    return { type, maxKbps: b.max_kbps, maxBurstKbps: b.max_burst_kbps, direction: b.direction };
  }
  return { type, dscpMark: parseDscpMarkingRule(body, operation, req.caller).dscp_mark };
}

function ruleRoutes(router: Router, ctx: ServiceContext, type: RuleType): void {
  const q = ctx.store.query;
  const collection = `${type}_rules`;
  const resource = `${type}_rule`;
  const base = `/v2.0/qos/policies/:policy_id/${collection}`;
  router.add({
    method: "GET",
    pattern: base,
    access: "api",
    handler: async (req) => {
      const policy = await qosPolicy(q, req.caller, req.params.policy_id!);
      const rules = (await rulesOf(q, policy.id)).filter((r) => r.type === type);
      const path = `qos/policies/${policy.id}/${collection}`;
      return {
        status: 200,
        body: listBody(collection, rules.map(qosRuleView), req.query, req.baseUrl, path),
      };
    },
  });
  router.add({
    method: "POST",
    pattern: base,
    access: "api",
    handler: async (req) => {
      const input = ruleInput(req, type, await req.body(), "create");
      const row = await ctx.store.write((tx) =>
        createRule(tx, ctx, req.caller, req.params.policy_id!, input),
      );
      return { status: 201, body: { [resource]: qosRuleView(row) } };
    },
  });
  router.add({
    method: "GET",
    pattern: `${base}/:rule_id`,
    access: "api",
    handler: async (req) => {
      const policy = await qosPolicy(q, req.caller, req.params.policy_id!);
      const row: QosRuleRow = await findRule(q, policy.id, type, req.params.rule_id!);
      return { status: 200, body: { [resource]: pickFields(qosRuleView(row), req.query) } };
    },
  });
  router.add({
    method: "PUT",
    pattern: `${base}/:rule_id`,
    access: "api",
    handler: async (req) => {
      const input = ruleInput(req, type, await req.body(), "update");
      const row = await ctx.store.write((tx) =>
        updateRule(tx, ctx, req.caller, req.params.policy_id!, req.params.rule_id!, input),
      );
      return { status: 200, body: { [resource]: qosRuleView(row) } };
    },
  });
  router.add({
    method: "DELETE",
    pattern: `${base}/:rule_id`,
    access: "api",
    handler: async (req) => {
      await ctx.store.write((tx) =>
        deleteRule(tx, ctx, req.caller, req.params.policy_id!, type, req.params.rule_id!),
      );
      return { status: 204 };
    },
  });
}

/** Neutron's convert_to_boolean_if_not_none on the qos-rule-type-filter flags. */
function flag(query: URLSearchParams, name: string): boolean {
  const text = query.get(name);
  if (text === null) return false;
  const value = booleanFrom(text);
  if (value === undefined) throw invalidInput(`'${text}' cannot be converted to boolean`);
  return value;
}

function ruleTypeRoutes(router: Router): void {
  router.add({
    method: "GET",
    pattern: "/v2.0/qos/rule-types",
    access: "api",
    handler: async (req) => {
      // all_supported: the union over drivers, which with one driver is the default list.
      flag(req.query, "all_supported");
      const types = flag(req.query, "all_rules") ? ALL_RULE_TYPES : RULE_TYPES;
      return { status: 200, body: { rule_types: types.map((type) => pickFields({ type }, req.query)) } };
    },
  });
  router.add({
    method: "GET",
    pattern: "/v2.0/qos/rule-types/:type",
    access: "api",
    handler: async (req) => {
      // Neutron's QoSPlugin.get_rule_type refuses non-admins whatever the policy file says.
      if (!req.caller.admin) throw new ApiError(403, "NotAuthorized", "Not authorized.");
      const type = req.params.type!;
      if (!(ALL_RULE_TYPES as readonly string[]).includes(type))
        throw new ApiError(404, "HTTPNotFound", "The resource could not be found.");
      return {
        status: 200,
        body: { rule_type: pickFields({ type, drivers: ruleTypeDrivers(type) }, req.query) },
      };
    },
  });
}
