/**
 * /v2.0/security-groups, /v2.0/security-group-rules and /v2.0/default-security-group-rules as Neutron
 * serves them: bulk creates in one transaction, the caller's default group created by a list, rules never
 * updated.
 */
import type { ApiRequest, Router } from "../http/router.ts";
import type { SecurityGroupRow, SecurityGroupRuleRow } from "../rows.ts";
import type { Queryable, ServiceContext } from "../services/context.ts";
import { createTemplate, deleteTemplate, template, templates } from "../services/default-sg-rules.ts";
import { rulesByGroup, rulesOf } from "../services/security-group-rows.ts";
import { createRules, deleteRule, ruleVisible, securityGroupRule } from "../services/security-group-rules.ts";
import {
  createGroup,
  defaultGroupId,
  deleteGroup,
  ensureDefaultGroup,
  securityGroup,
  securityGroupVisible,
  updateGroup,
} from "../services/security-groups.ts";
import { tagsByObject, tagsOf } from "../services/tags.ts";
import { sharedWith } from "../services/targets.ts";
import { defaultSecurityGroupRuleView, securityGroupRuleView, securityGroupView } from "../views.ts";
import { ifMatch } from "./if-match.ts";
import { listBody, pickFields } from "./query.ts";
import {
  parseSecurityGroupRules,
  parseSecurityGroups,
  parseSecurityGroupUpdate,
  parseTemplate,
} from "./sg-bodies.ts";

export function securityGroupRoutes(router: Router, ctx: ServiceContext): void {
  groupRoutes(router, ctx);
  ruleRoutes(router, ctx);
  templateRoutes(router, ctx);
}

async function defaultGroupIds(q: Queryable): Promise<Set<string>> {
  return new Set(
    (await q.all<{ security_group_id: string }>("SELECT security_group_id FROM default_security_groups")).map(
      (r) => r.security_group_id,
    ),
  );
}

/** A list makes sure the project asked about (the caller's unless filtered) has its default group. */
async function ensureListedDefault(ctx: ServiceContext, req: ApiRequest): Promise<void> {
  const projectId = req.query.get("project_id") ?? req.query.get("tenant_id") ?? req.caller.projectId;
  // A read first: a list takes the write lock only the one time the group is missing.
  if ((await defaultGroupId(ctx.store.query, projectId)) !== undefined) return;
  await ctx.store.write((tx) => ensureDefaultGroup(tx, ctx, req.caller, projectId));
}

function groupRoutes(router: Router, ctx: ServiceContext): void {
  const q = ctx.store.query;
  const view = async (req: ApiRequest, row: SecurityGroupRow) => ({
    ...securityGroupView(
      row,
      await rulesOf(q, row.id),
      (await defaultGroupIds(q)).has(row.id),
      sharedWith(req.caller, "security_group", row),
    ),
    tags: await tagsOf(q, "security-groups", row.id),
  });
  router.add({
    method: "GET",
    pattern: "/v2.0/security-groups",
    access: "api",
    handler: async (req) => {
      await ensureListedDefault(ctx, req);
      const rows = (await q.all<SecurityGroupRow>("SELECT * FROM security_groups")).filter((g) =>
        securityGroupVisible(req.caller, g),
      );
      const rules = await rulesByGroup(q);
      const defaults = await defaultGroupIds(q);
      const tags = await tagsByObject(q, "security-groups");
      const items = rows.map((g) => ({
        ...securityGroupView(
          g,
          rules.get(g.id) ?? [],
          defaults.has(g.id),
          sharedWith(req.caller, "security_group", g),
        ),
        tags: tags.get(g.id) ?? [],
      }));
      return {
        status: 200,
        body: listBody("security_groups", items, req.query, req.baseUrl, "security-groups"),
      };
    },
  });
  router.add({
    method: "POST",
    pattern: "/v2.0/security-groups",
    access: "api",
    handler: async (req) => {
      const { items, bulk } = parseSecurityGroups(await req.body(), req.caller);
      const created = await ctx.store.write(async (tx) => {
        const out = [];
        for (const b of items)
          out.push(
            await createGroup(tx, ctx, req.caller, {
              name: b.name!,
              description: b.description!,
              stateful: b.stateful!,
              projectId: b.project_id!,
            }),
          );
        return out;
      });
      const views = created.map(({ group, rules }) => ({
        ...securityGroupView(group, rules, false, false),
        tags: [],
      }));
      return { status: 201, body: bulk ? { security_groups: views } : { security_group: views[0] } };
    },
  });
  router.add({
    method: "GET",
    pattern: "/v2.0/security-groups/:id",
    access: "api",
    handler: async (req) => ({
      status: 200,
      body: {
        security_group: pickFields(
          await view(req, await securityGroup(q, req.caller, req.params.id!)),
          req.query,
        ),
      },
    }),
  });
  router.add({
    method: "PUT",
    pattern: "/v2.0/security-groups/:id",
    access: "api",
    handler: async (req) => {
      const b = parseSecurityGroupUpdate(await req.body(), req.caller);
      const row = await ctx.store.write((tx) =>
        ifMatch(req, tx, "security_groups", req.params.id!, () =>
          updateGroup(tx, ctx, req.caller, req.params.id!, {
            name: b.name,
            description: b.description,
            stateful: b.stateful,
          }),
        ),
      );
      return { status: 200, body: { security_group: await view(req, row) } };
    },
  });
  router.add({
    method: "DELETE",
    pattern: "/v2.0/security-groups/:id",
    access: "api",
    handler: async (req) => {
      await ctx.store.write((tx) =>
        ifMatch(req, tx, "security_groups", req.params.id!, () =>
          deleteGroup(tx, req.caller, req.params.id!),
        ),
      );
      return { status: 204 };
    },
  });
}

function ruleRoutes(router: Router, ctx: ServiceContext): void {
  const q = ctx.store.query;
  const ruleView = async (r: SecurityGroupRuleRow) =>
    securityGroupRuleView(r, (await defaultGroupIds(q)).has(r.security_group_id));
  router.add({
    method: "GET",
    pattern: "/v2.0/security-group-rules",
    access: "api",
    handler: async (req) => {
      await ensureListedDefault(ctx, req);
      const rows = await q.all<SecurityGroupRuleRow & { group_project_id: string }>(
        `SELECT r.*, g.project_id AS group_project_id FROM security_group_rules r
           JOIN security_groups g ON g.id = r.security_group_id`,
      );
      const defaults = await defaultGroupIds(q);
      const items = rows
        .filter((r) => ruleVisible(req.caller, r, r.group_project_id))
        .map(({ group_project_id: _, ...r }) => securityGroupRuleView(r, defaults.has(r.security_group_id)));
      return {
        status: 200,
        body: listBody("security_group_rules", items, req.query, req.baseUrl, "security-group-rules"),
      };
    },
  });
  router.add({
    method: "POST",
    pattern: "/v2.0/security-group-rules",
    access: "api",
    handler: async (req) => {
      const { items, bulk } = parseSecurityGroupRules(await req.body(), req.caller);
      const rows = await ctx.store.write((tx) => createRules(tx, ctx, req.caller, items));
      const defaults = await defaultGroupIds(q);
      const views = rows.map((r) => securityGroupRuleView(r, defaults.has(r.security_group_id)));
      return {
        status: 201,
        body: bulk ? { security_group_rules: views } : { security_group_rule: views[0] },
      };
    },
  });
  router.add({
    method: "GET",
    pattern: "/v2.0/security-group-rules/:id",
    access: "api",
    handler: async (req) => ({
      status: 200,
      body: {
        security_group_rule: pickFields(
          await ruleView(await securityGroupRule(q, req.caller, req.params.id!)),
          req.query,
        ),
      },
    }),
  });
  router.add({
    method: "DELETE",
    pattern: "/v2.0/security-group-rules/:id",
    access: "api",
    handler: async (req) => {
      await ctx.store.write((tx) => deleteRule(tx, ctx, req.caller, req.params.id!));
      return { status: 204 };
    },
  });
}

function templateRoutes(router: Router, ctx: ServiceContext): void {
  const q = ctx.store.query;
  const path = "default-security-group-rules";
  router.add({
    method: "GET",
    pattern: `/v2.0/${path}`,
    access: "api",
    handler: async (req) => ({
      status: 200,
      body: listBody(
        "default_security_group_rules",
        (await templates(q)).map(defaultSecurityGroupRuleView),
        req.query,
        req.baseUrl,
        path,
      ),
    }),
  });
  router.add({
    method: "POST",
    pattern: `/v2.0/${path}`,
    access: "api",
    handler: async (req) => {
      const input = parseTemplate(await req.body(), req.caller);
      const row = await ctx.store.write((tx) => createTemplate(tx, req.caller, input));
      return { status: 201, body: { default_security_group_rule: defaultSecurityGroupRuleView(row) } };
    },
  });
  router.add({
    method: "GET",
    pattern: `/v2.0/${path}/:id`,
    access: "api",
    handler: async (req) => ({
      status: 200,
      body: {
        default_security_group_rule: pickFields(
          defaultSecurityGroupRuleView(await template(q, req.params.id!)),
          req.query,
        ),
      },
    }),
  });
  router.add({
    method: "DELETE",
    pattern: `/v2.0/${path}/:id`,
    access: "api",
    handler: async (req) => {
      await ctx.store.write((tx) => deleteTemplate(tx, req.caller, req.params.id!));
      return { status: 204 };
    },
  });
}
