/**
 * Routers (Neutron's router, ext-gw-mode and extraroute): a project's object whose interfaces are ports
 * on its subnets (device_owner network:router_interface) and whose gateway is a port on an external
 * network (network:router_gateway, no project: a project may not delete it). The gateway and interfaces
 * are in router-gateways.ts and router-interfaces.ts.
 */
import { randomUUID } from "node:crypto";
import { ApiError, conflict } from "../api-errors.ts";
import type { IpAllocationRow, PortRow, RouterRow, SubnetRow } from "../rows.ts";
import { timestamp } from "../rows.ts";
import type { Caller, Queryable, ServiceContext, WriteTx } from "./context.ts";
import { FLOATING_IP_OWNER, ROUTER_GATEWAY, ROUTER_INTERFACE } from "./device-owners.ts";
import { allow, allowAttributes, allowOn, sees } from "./ownership.ts";
import { checkQuota } from "./quotas.ts";
import { clearGateway, type GatewayRequest, setGateway } from "./router-gateways.ts";
import { type Route, setRoutes } from "./router-routes.ts";
import { dropTags } from "./tags.ts";

export const routerNotFound = (id: string) =>
  new ApiError(404, "RouterNotFound", `Router ${id} could not be found`);

export interface RouterCreate {
  readonly name: string;
  readonly description: string;
  readonly projectId: string;
  readonly adminStateUp: boolean;
  readonly gateway: GatewayRequest | null;
}

export interface RouterUpdate {
  readonly name?: string;
  readonly description?: string;
  readonly adminStateUp?: boolean;
  readonly gateway?: GatewayRequest | null;
  readonly routes?: readonly Route[];
}

export const routerTarget = (r: Pick<RouterRow, "project_id">) => ({ project_id: r.project_id });

export function routerVisible(caller: Caller, router: RouterRow): boolean {
  return sees(caller, "get_router", routerTarget(router));
}

/** A router visible to the caller, or RouterNotFound. */
export async function routerFor(q: Queryable, caller: Caller, id: string): Promise<RouterRow> {
  const row = await q.get<RouterRow>("SELECT * FROM routers WHERE id = ?", [id]);
  if (row === undefined || !routerVisible(caller, row)) throw routerNotFound(id);
  return row;
}

/** A router visible to the caller that it may `action` (RouterNotFound, or 403). */
export async function routerForAction(
  q: Queryable,
  caller: Caller,
  id: string,
  action: string,
): Promise<RouterRow> {
  const router = await routerFor(q, caller, id);
  allowOn(caller, action, "get_router", routerTarget(router), () => routerNotFound(id));
  return router;
}

/** The router's interface ports. */
export function interfacePortsOf(q: Queryable, routerId: string): Promise<PortRow[]> {
  return q.all<PortRow>(
    "SELECT * FROM ports WHERE device_id = ? AND device_owner = ? ORDER BY created_at, id",
    [routerId, ROUTER_INTERFACE],
  );
}

/** The subnets the router's interfaces are on, with the router's address on each. */
export async function connectedSubnets(
  q: Queryable,
  routerId: string,
): Promise<{ subnet: SubnetRow; allocation: IpAllocationRow }[]> {
  const rows = await q.all<SubnetRow & { alloc_port_id: string; alloc_ip: string }>(
    `SELECT s.*, a.port_id AS alloc_port_id, a.ip_address AS alloc_ip FROM ip_allocations a
       JOIN ports p ON p.id = a.port_id JOIN subnets s ON s.id = a.subnet_id
      WHERE p.device_id = ? AND p.device_owner = ? ORDER BY s.created_at, s.id`,
    [routerId, ROUTER_INTERFACE],
  );
  return rows.map(({ alloc_port_id, alloc_ip, ...subnet }) => ({
    subnet: subnet as SubnetRow,
    allocation: {
      port_id: alloc_port_id,
      subnet_id: subnet.id,
      network_id: subnet.network_id,
      ip_address: alloc_ip,
    },
  }));
}

/** The attributes a body sets that have rules of their own (create_router:external_gateway_info:…). */
function givenAttributes(gateway: GatewayRequest | null | undefined): string[] {
  if (gateway === undefined || gateway === null) return gateway === null ? ["external_gateway_info"] : [];
  return [
    "external_gateway_info",
    "external_gateway_info:network_id",
    ...(gateway.enableSnat === undefined ? [] : ["external_gateway_info:enable_snat"]),
    ...(gateway.fixedIps === undefined ? [] : ["external_gateway_info:external_fixed_ips"]),
  ];
}

export async function createRouter(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  input: RouterCreate,
): Promise<RouterRow> {
  const target = routerTarget({ project_id: input.projectId });
  allow(caller, "create_router", target);
  allowAttributes(caller, "create_router", givenAttributes(input.gateway), target);
  await checkQuota(tx, ctx.config, input.projectId, "router", 1);
  const now = timestamp(ctx.now());
  let row: RouterRow = {
    id: randomUUID(),
    name: input.name,
    description: input.description,
    project_id: input.projectId,
    admin_state_up: input.adminStateUp ? 1 : 0,
    status: "ACTIVE",
    gw_port_id: null,
    enable_snat: 1,
    revision_number: 1,
    created_at: now,
    updated_at: now,
  };
  await tx.run(
    `INSERT INTO routers (id, name, description, project_id, admin_state_up, status, gw_port_id, enable_snat,
      revision_number, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      row.id,
      row.name,
      row.description,
      row.project_id,
      row.admin_state_up,
      row.status,
      row.gw_port_id,
      row.enable_snat,
      row.revision_number,
      now,
      now,
    ],
  );
  if (input.gateway !== null) {
    row = await setGateway(tx, ctx, caller, row, input.gateway);
    await writeRouter(tx, row);
  }
  return row;
}

export async function updateRouter(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  id: string,
  input: RouterUpdate,
): Promise<RouterRow> {
  const current = await routerForAction(tx, caller, id, "update_router");
  allowAttributes(caller, "update_router", givenAttributes(input.gateway), routerTarget(current));
  let next: RouterRow = {
    ...current,
    name: input.name ?? current.name,
    description: input.description ?? current.description,
    admin_state_up: input.adminStateUp === undefined ? current.admin_state_up : input.adminStateUp ? 1 : 0,
    revision_number: current.revision_number + 1,
    updated_at: timestamp(ctx.now()),
  };
  if (input.gateway === null) next = await clearGateway(tx, caller, next);
  else if (input.gateway !== undefined) next = await setGateway(tx, ctx, caller, next, input.gateway);
  if (input.routes !== undefined) {
    const connected = await connectedSubnets(tx, id);
    await setRoutes(
      tx,
      id,
      input.routes,
      connected.map((c) => c.subnet),
      new Set(connected.map((c) => c.allocation.ip_address)),
    );
  }
  await writeRouter(tx, next);
  return next;
}

export async function deleteRouter(tx: WriteTx, caller: Caller, id: string): Promise<void> {
  const current = await routerForAction(tx, caller, id, "delete_router");
  if ((await interfacePortsOf(tx, id)).length > 0)
    throw conflict("RouterInUse", `Router ${id} still has ports`);
  await clearGateway(tx, caller, current);
  await tx.run("DELETE FROM router_routes WHERE router_id = ?", [id]);
  await tx.run("DELETE FROM routers WHERE id = ?", [id]);
  await dropTags(tx, "routers", id);
}

export async function writeRouter(tx: WriteTx, r: RouterRow): Promise<void> {
  await tx.run(
    `UPDATE routers SET name = ?, description = ?, admin_state_up = ?, status = ?, gw_port_id = ?, enable_snat = ?,
      revision_number = ?, updated_at = ? WHERE id = ?`,
    [
      r.name,
      r.description,
      r.admin_state_up,
      r.status,
      r.gw_port_id,
      r.enable_snat,
      r.revision_number,
      r.updated_at,
      r.id,
    ],
  );
}

/**
 * The port API may not delete a port a router or floating IP holds (Neutron's
 * prevent_l3_port_deletion): 409 ServicePortInUse. The server removes them itself, with their owner.
 */
export async function refuseServicePortDelete(q: Queryable, portId: string): Promise<void> {
  const port = await q.get<PortRow>("SELECT * FROM ports WHERE id = ?", [portId]);
  if (port === undefined) return;
  const owner =
    port.device_owner === ROUTER_INTERFACE || port.device_owner === ROUTER_GATEWAY
      ? await q.get("SELECT id FROM routers WHERE id = ?", [port.device_id])
      : port.device_owner === FLOATING_IP_OWNER
        ? await q.get("SELECT id FROM floatingips WHERE id = ?", [port.device_id])
        : undefined;
  if (owner !== undefined)
    throw conflict(
      "ServicePortInUse",
      `Port ${portId} cannot be deleted directly via the port API: has device owner ${port.device_owner}.`,
    );
}
