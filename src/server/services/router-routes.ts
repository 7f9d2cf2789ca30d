/**
 * A router's extra routes (Neutron's extraroute): replaced whole by an update, each next hop an address
 * on one of the router's connected subnets and not the router's own, at most [DEFAULT] max_routes.
 */
import { ApiError } from "../api-errors.ts";
import { contains, parseIp, subnetCidr } from "../ipam.ts";
import type { RouterRouteRow, SubnetRow } from "../rows.ts";
import type { Queryable, WriteTx } from "./context.ts";

export interface Route {
  readonly destination: string;
  readonly nexthop: string;
}

/** Neutron's default [DEFAULT] max_routes. */
export const MAX_ROUTES = 30;

const invalidRoutes = (routes: readonly Route[], why: string) =>
  new ApiError(400, "InvalidRoutes", `Invalid format for routes: ${pyRoutes(routes)}, ${why}.`);

const pyRoutes = (routes: readonly Route[]) =>
  `[${routes.map((r) => `{'destination': '${r.destination}', 'nexthop': '${r.nexthop}'}`).join(", ")}]`;

export async function routesOf(q: Queryable, routerId: string): Promise<Route[]> {
  return (
    await q.all<RouterRouteRow>(
      "SELECT * FROM router_routes WHERE router_id = ? ORDER BY destination, nexthop",
      [routerId],
    )
  ).map((r) => ({ destination: r.destination, nexthop: r.nexthop }));
}

export async function routesByRouter(q: Queryable): Promise<Map<string, Route[]>> {
  const map = new Map<string, Route[]>();
  for (const r of await q.all<RouterRouteRow>("SELECT * FROM router_routes ORDER BY destination, nexthop")) {
    const list = map.get(r.router_id) ?? [];
    list.push({ destination: r.destination, nexthop: r.nexthop });
    map.set(r.router_id, list);
  }
  return map;
}

/**
 * Checks and stores the routes. `connected` are the subnets of the router's interfaces, `own` the
 * router's addresses on them.
 */
export async function setRoutes(
  tx: WriteTx,
  routerId: string,
  routes: readonly Route[],
  connected: readonly SubnetRow[],
  own: ReadonlySet<string>,
): Promise<void> {
  if (routes.length > MAX_ROUTES)
    throw new ApiError(
      400,
      "RoutesExhausted",
      `Unable to complete operation for ${routerId}. The number of routes exceeds the maximum ${MAX_ROUTES}.`,
    );
  for (const route of routes) {
    const hop = parseIp(route.nexthop)!;
    if (!connected.some((s) => s.ip_version === hop.version && contains(subnetCidr(s), hop.value)))
      throw invalidRoutes(routes, "the nexthop is not connected with router");
    if (own.has(route.nexthop)) throw invalidRoutes(routes, "the nexthop is used by router");
  }
  await tx.run("DELETE FROM router_routes WHERE router_id = ?", [routerId]);
  for (const route of routes)
    await tx.run("INSERT INTO router_routes (router_id, destination, nexthop) VALUES (?, ?, ?)", [
      routerId,
      route.destination,
      route.nexthop,
    ]);
}

/** 409 when a route's next hop is on the subnet an interface removal would disconnect. */
export async function checkRoutesNotVia(q: Queryable, routerId: string, subnet: SubnetRow): Promise<void> {
  for (const route of await routesOf(q, routerId)) {
    const hop = parseIp(route.nexthop);
    if (hop !== undefined && hop.version === subnet.ip_version && contains(subnetCidr(subnet), hop.value))
      throw new ApiError(
        409,
        "RouterInterfaceInUseByRoute",
        `Router interface for subnet ${subnet.id} on router ${routerId} cannot be deleted, as it is required by one or more routes.`,
      );
  }
}
