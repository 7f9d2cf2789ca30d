/** /v2.0/floatingips (Neutron's router extension). */
import type { Router } from "../http/router.ts";
import type { FloatingIpRow } from "../rows.ts";
import type { ServiceContext } from "../services/context.ts";
import {
  createFloatingIp,
  deleteFloatingIp,
  floatingIpFor,
  floatingIpVisible,
  updateFloatingIp,
} from "../services/floating-ips.ts";
import { tagsByObject, tagsOf } from "../services/tags.ts";
import { floatingIpView } from "../views.ts";
import { ifMatch } from "./if-match.ts";
import { parseFloatingIp } from "./l3-bodies.ts";
import { ignoringUnknownFilters, listBody, pickFields } from "./query.ts";

export function floatingIpRoutes(router: Router, ctx: ServiceContext): void {
  const q = ctx.store.query;
  const view = async (f: FloatingIpRow) => ({
    ...floatingIpView(f),
    tags: await tagsOf(q, "floatingips", f.id),
  });
  const base = "/v2.0/floatingips";
  router.add({
    method: "GET",
    pattern: base,
    access: "api",
    handler: async (req) => {
      const tags = await tagsByObject(q, "floatingips");
      const items = (await q.all<FloatingIpRow>("SELECT * FROM floatingips ORDER BY created_at, id"))
        .filter((f) => floatingIpVisible(req.caller, f))
        .map((f) => ({ ...floatingIpView(f), tags: tags.get(f.id) ?? [] }));
      const query = ignoringUnknownFilters(req.query, items);
      return { status: 200, body: listBody("floatingips", items, query, req.baseUrl) };
    },
  });
  router.add({
    method: "POST",
    pattern: base,
    access: "api",
    handler: async (req) => {
      const b = parseFloatingIp(await req.body(), "create", req.caller);
      const row = await ctx.store.write((tx) =>
        createFloatingIp(tx, ctx, req.caller, {
          floatingNetworkId: b.floatingNetworkId!,
          projectId: b.projectId ?? req.caller.projectId,
          description: b.description ?? "",
          floatingIpAddress: b.floatingIpAddress ?? null,
          subnetId: b.subnetId ?? null,
          portId: b.portId ?? null,
          fixedIpAddress: b.fixedIpAddress ?? null,
        }),
      );
      return { status: 201, body: { floatingip: await view(row) } };
    },
  });
  router.add({
    method: "GET",
    pattern: `${base}/:id`,
    access: "api",
    handler: async (req) => ({
      status: 200,
      body: {
        floatingip: pickFields(await view(await floatingIpFor(q, req.caller, req.params.id!)), req.query),
      },
    }),
  });
  router.add({
    method: "PUT",
    pattern: `${base}/:id`,
    access: "api",
    handler: async (req) => {
      const b = parseFloatingIp(await req.body(), "update", req.caller);
      // An empty update clears the association: once, it was all a floating IP had (Neutron keeps that).
      const blank = Object.keys(b).length === 0;
      const row = await ctx.store.write((tx) =>
        ifMatch(req, tx, "floatingips", req.params.id!, () =>
          updateFloatingIp(tx, ctx, req.caller, req.params.id!, {
            ...(b.description === undefined ? {} : { description: b.description }),
            ...(b.portId === undefined ? (blank ? { portId: null } : {}) : { portId: b.portId }),
            ...(b.fixedIpAddress === undefined ? {} : { fixedIpAddress: b.fixedIpAddress }),
          }),
        ),
      );
      return { status: 200, body: { floatingip: await view(row) } };
    },
  });
  router.add({
    method: "DELETE",
    pattern: `${base}/:id`,
    access: "api",
    handler: async (req) => {
      await ctx.store.write((tx) =>
        ifMatch(req, tx, "floatingips", req.params.id!, () =>
          deleteFloatingIp(tx, req.caller, req.params.id!),
        ),
      );
      return { status: 204 };
    },
  });
}
