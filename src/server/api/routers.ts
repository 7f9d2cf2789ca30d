/** /v2.0/routers with add_router_interface and remove_router_interface (Neutron's router extension). */
import type { Router } from "../http/router.ts";
import type { RouterRow } from "../rows.ts";
import type { ServiceContext } from "../services/context.ts";
import { ROUTER_GATEWAY } from "../services/device-owners.ts";
import { allocationsByPort, allocationsOf } from "../services/lookups.ts";
import { addInterface, removeInterface } from "../services/router-interfaces.ts";
import { routesByRouter, routesOf } from "../services/router-routes.ts";
import { createRouter, deleteRouter, routerFor, routerVisible, updateRouter } from "../services/routers.ts";
import { tagsByObject, tagsOf } from "../services/tags.ts";
import { routerView } from "../views.ts";
import { ifMatch } from "./if-match.ts";
import { parseInterface, parseRouter } from "./l3-bodies.ts";
import { ignoringUnknownFilters, listBody, pickFields } from "./query.ts";

export function routerRoutes(router: Router, ctx: ServiceContext): void {
  const q = ctx.store.query;
  const gatewayOf = async (r: RouterRow) => {
    if (r.gw_port_id === null) return undefined;
    const port = await q.get<{ network_id: string }>("SELECT network_id FROM ports WHERE id = ?", [
      r.gw_port_id,
    ]);
    return port && { networkId: port.network_id, allocations: await allocationsOf(q, r.gw_port_id) };
  };
  const view = async (r: RouterRow) => ({
    ...routerView(r, await gatewayOf(r), await routesOf(q, r.id)),
    tags: await tagsOf(q, "routers", r.id),
  });
  const base = "/v2.0/routers";
  router.add({
    method: "GET",
    pattern: base,
    access: "api",
    handler: async (req) => {
      const rows = (await q.all<RouterRow>("SELECT * FROM routers ORDER BY created_at, id")).filter((r) =>
        routerVisible(req.caller, r),
      );
      // Every gateway's network and addresses in two queries, not two per router.
      const gateways = rows.flatMap((r) => (r.gw_port_id === null ? [] : [r.gw_port_id]));
      const allocations = await allocationsByPort(q, gateways);
      const networks = new Map(
        (
          await q.all<{ id: string; network_id: string }>(
            "SELECT id, network_id FROM ports WHERE device_owner = ?",
            [ROUTER_GATEWAY],
          )
        ).map((p) => [p.id, p.network_id]),
      );
      const gatewayIn = (r: RouterRow) => {
        const networkId = r.gw_port_id === null ? undefined : networks.get(r.gw_port_id);
        return networkId === undefined
          ? undefined
          : { networkId, allocations: allocations.get(r.gw_port_id!) ?? [] };
      };
      const routes = await routesByRouter(q);
      const tags = await tagsByObject(q, "routers");
      const items = rows.map((r) => ({
        ...routerView(r, gatewayIn(r), routes.get(r.id) ?? []),
        tags: tags.get(r.id) ?? [],
      }));
      const query = ignoringUnknownFilters(req.query, items);
      return { status: 200, body: listBody("routers", items, query, req.baseUrl) };
    },
  });
  router.add({
    method: "POST",
    pattern: base,
    access: "api",
    handler: async (req) => {
      const b = parseRouter(await req.body(), "create", req.caller);
      const row = await ctx.store.write((tx) =>
        createRouter(tx, ctx, req.caller, {
          name: b.name ?? "",
          description: b.description ?? "",
          projectId: b.projectId ?? req.caller.projectId,
          adminStateUp: b.adminStateUp ?? true,
          gateway: b.gateway ?? null,
        }),
      );
      return { status: 201, body: { router: await view(row) } };
    },
  });
  router.add({
    method: "GET",
    pattern: `${base}/:id`,
    access: "api",
    handler: async (req) => ({
      status: 200,
      body: { router: pickFields(await view(await routerFor(q, req.caller, req.params.id!)), req.query) },
    }),
  });
  router.add({
    method: "PUT",
    pattern: `${base}/:id`,
    access: "api",
    handler: async (req) => {
      const b = parseRouter(await req.body(), "update", req.caller);
      const row = await ctx.store.write((tx) =>
        ifMatch(req, tx, "routers", req.params.id!, () =>
          updateRouter(tx, ctx, req.caller, req.params.id!, b),
        ),
      );
      return { status: 200, body: { router: await view(row) } };
    },
  });
  router.add({
    method: "DELETE",
    pattern: `${base}/:id`,
    access: "api",
    handler: async (req) => {
      await ctx.store.write((tx) =>
        ifMatch(req, tx, "routers", req.params.id!, () => deleteRouter(tx, req.caller, req.params.id!)),
      );
      return { status: 204 };
    },
  });
  for (const action of ["add", "remove"] as const) {
    router.add({
      method: "PUT",
      pattern: `${base}/:id/${action}_router_interface`,
      access: "api",
      handler: async (req) => {
        const request = parseInterface(await req.body(), action);
        const info = await ctx.store.write((tx) =>
          (action === "add" ? addInterface : removeInterface)(tx, ctx, req.caller, req.params.id!, request),
        );
        return { status: 200, body: info };
      },
    });
  }
}
