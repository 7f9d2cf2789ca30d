/**
 * add_router_interface and remove_router_interface, by subnet or by port, with Neutron's rules: by
 * subnet the router takes the subnet's gateway IP on a new port (an IPv6 subnet joins the router's
 * IPv6-only port on that network); by port the port must be free and addressed; no two of a router's
 * subnets may overlap; an interface that floating IPs or extra routes need cannot be removed.
 */
import { ApiError, conflict } from "../api-errors.ts";
import { contains, overlaps, parseIp, subnetCidr } from "../ipam.ts";
import type { PortRow, RouterRow, SubnetRow } from "../rows.ts";
import { timestamp } from "../rows.ts";
import type { Caller, Queryable, ServiceContext, WriteTx } from "./context.ts";
import { ROUTER_GATEWAY, ROUTER_INTERFACE } from "./device-owners.ts";
import { allocationsOf, subnet as findSubnet, visibleOnNetwork } from "./lookups.ts";
import { elevated } from "./ownership.ts";
import { createPort, deletePort, updatePort } from "./ports.ts";
import { checkRoutesNotVia } from "./router-routes.ts";
import { routerForAction, writeRouter } from "./routers.ts";

export interface InterfaceRequest {
  readonly subnetId?: string;
  readonly portId?: string;
}

/** What Neutron answers an interface action with. */
export interface InterfaceInfo {
  readonly id: string;
  readonly subnet_id: string;
  readonly subnet_ids: string[];
  readonly port_id: string;
  readonly network_id: string;
  readonly tenant_id: string;
  readonly project_id: string;
  readonly tags: string[];
}

const badRouter = (msg: string) => new ApiError(400, "BadRequest", `Bad router request: ${msg}.`);

/**
 * Refuses `subnetIds` when one is already on the router or overlaps one of its subnets (its interfaces'
 * and its gateway's), leaving out the port `except` (the one being given them).
 */
export async function checkNoOverlap(
  q: Queryable,
  routerId: string,
  subnetIds: readonly string[],
  except?: string,
): Promise<void> {
  const existing = await q.all<SubnetRow & { alloc_port: string }>(
    `SELECT s.*, a.port_id AS alloc_port FROM ip_allocations a JOIN ports p ON p.id = a.port_id
       JOIN subnets s ON s.id = a.subnet_id
      WHERE p.device_id = ? AND p.device_owner IN (?, ?)`,
    [routerId, ROUTER_INTERFACE, ROUTER_GATEWAY],
  );
  for (const id of subnetIds) {
    const subnet = await findSubnet(q, id);
    for (const other of existing) {
      if (other.alloc_port === except) continue;
      if (other.id === id) throw badRouter(`Router already has a port on subnet ${id}`);
      if (overlaps(subnetCidr(subnet), subnetCidr(other)))
        throw badRouter(
          `Cidr ${subnet.cidr} of subnet ${subnet.id} overlaps with cidr ${other.cidr} of subnet ${other.id}`,
        );
    }
  }
}

export async function addInterface(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  routerId: string,
  request: InterfaceRequest,
): Promise<InterfaceInfo> {
  const router = await routerForAction(tx, caller, routerId, "add_router_interface");
  const port =
    request.portId !== undefined
      ? await attachPort(tx, ctx, caller, router, request.portId)
      : await attachSubnet(tx, ctx, caller, router, request.subnetId!);
  await touch(tx, ctx, router);
  return infoOf(tx, router, port, request.subnetId);
}

async function attachPort(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  router: RouterRow,
  portId: string,
): Promise<PortRow> {
  const port = await visibleOnNetwork<PortRow>(tx, caller, "Port", portId);
  if (port.device_id !== "")
    throw conflict(
      "PortInUse",
      `Unable to complete operation on port ${port.id} for network ${port.network_id}. Port already has an attached device ${port.device_id}.`,
    );
  const allocations = await allocationsOf(tx, port.id);
  if (allocations.length === 0) throw badRouter("Router port must have at least one fixed IP");
  const v4 = new Set<string>();
  for (const a of allocations) if (!a.ip_address.includes(":")) v4.add(a.subnet_id);
  if (v4.size > 1) throw badRouter("Cannot have multiple IPv4 subnets on router port");
  await checkNoOverlap(tx, router.id, [...new Set(allocations.map((a) => a.subnet_id))]);
  return updatePort(tx, ctx, elevated(caller), port.id, {
    deviceId: router.id,
    deviceOwner: ROUTER_INTERFACE,
  });
}

async function attachSubnet(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  router: RouterRow,
  subnetId: string,
): Promise<PortRow> {
  const subnet = await visibleOnNetwork<SubnetRow>(tx, caller, "Subnet", subnetId);
  if (subnet.gateway_ip === null) throw badRouter("Subnet for router interface must have a gateway IP");
  await checkNoOverlap(tx, router.id, [subnet.id]);
  const fixed = { subnetId: subnet.id, ipAddress: subnet.gateway_ip };
  const system = elevated(caller);
  if (subnet.ip_version === 6) {
    // As Neutron does: one router port per network carries all its IPv6 subnets.
    for (const port of await interfacePortsOn(tx, router.id, subnet.network_id)) {
      const allocations = await allocationsOf(tx, port.id);
      if (allocations.every((a) => a.ip_address.includes(":"))) {
        const kept = allocations.map((a) => ({ subnetId: a.subnet_id, ipAddress: a.ip_address }));
        return updatePort(tx, ctx, system, port.id, { fixedIps: [...kept, fixed] });
      }
    }
  }
  return createPort(tx, ctx, system, {
    networkId: subnet.network_id,
    projectId: subnet.project_id,
    name: "",
    deviceId: router.id,
    deviceOwner: ROUTER_INTERFACE,
    adminStateUp: true,
    fixedIps: [fixed],
  });
}

export async function removeInterface(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  routerId: string,
  request: InterfaceRequest,
): Promise<InterfaceInfo> {
  const router = await routerForAction(tx, caller, routerId, "remove_router_interface");
  let port: PortRow;
  let subnetIds: string[];
  if (request.portId !== undefined) {
    const found = await tx.get<PortRow>(
      "SELECT * FROM ports WHERE id = ? AND device_id = ? AND device_owner = ?",
      [request.portId, router.id, ROUTER_INTERFACE],
    );
    if (found === undefined)
      throw new ApiError(
        404,
        "RouterInterfaceNotFound",
        `Router ${router.id} does not have an interface with id ${request.portId}`,
      );
    port = found;
    const all = (await allocationsOf(tx, port.id)).map((a) => a.subnet_id);
    if (request.subnetId !== undefined && !all.includes(request.subnetId))
      throw conflict(
        "SubnetMismatchForPort",
        `Subnet on port ${port.id} does not match the requested subnet ${request.subnetId}.`,
      );
    subnetIds = [...new Set(all)];
  } else {
    const subnet = await visibleOnNetwork<SubnetRow>(tx, caller, "Subnet", request.subnetId!);
    const found = await tx.get<PortRow>(
      `SELECT p.* FROM ports p JOIN ip_allocations a ON a.port_id = p.id
        WHERE p.device_id = ? AND p.device_owner = ? AND a.subnet_id = ? LIMIT 1`,
      [router.id, ROUTER_INTERFACE, subnet.id],
    );
    if (found === undefined)
      throw new ApiError(
        404,
        "RouterInterfaceNotFoundForSubnet",
        `Router ${router.id} has no interface on subnet ${subnet.id}`,
      );
    port = found;
    subnetIds = [subnet.id];
  }
  for (const id of subnetIds) {
    const subnet = await findSubnet(tx, id);
    await checkNoFloatingIpsVia(tx, router.id, subnet);
    await checkRoutesNotVia(tx, router.id, subnet);
  }
  const info = await infoOf(tx, router, port, request.subnetId ?? subnetIds[0]);
  const left = (await allocationsOf(tx, port.id)).filter((a) => !subnetIds.includes(a.subnet_id));
  const system = elevated(caller);
  if (left.length === 0) await deletePort(tx, system, port.id);
  else
    await updatePort(tx, ctx, system, port.id, {
      fixedIps: left.map((a) => ({ subnetId: a.subnet_id, ipAddress: a.ip_address })),
    });
  await touch(tx, ctx, router);
  return { ...info, subnet_ids: subnetIds };
}

/** 409 while a floating IP of the router forwards to an address on the subnet. */
async function checkNoFloatingIpsVia(q: Queryable, routerId: string, subnet: SubnetRow): Promise<void> {
  const cidr = subnetCidr(subnet);
  for (const f of await q.all<{ fixed_ip_address: string }>(
    "SELECT fixed_ip_address FROM floatingips WHERE router_id = ? AND fixed_ip_address IS NOT NULL",
    [routerId],
  )) {
    const ip = parseIp(f.fixed_ip_address);
    if (ip !== undefined && ip.version === cidr.version && contains(cidr, ip.value))
      throw conflict(
        "RouterInterfaceInUseByFloatingIP",
        `Router interface for subnet ${subnet.id} on router ${routerId} cannot be deleted, as it is required by one or more floating IPs.`,
      );
  }
}

function interfacePortsOn(q: Queryable, routerId: string, networkId: string): Promise<PortRow[]> {
  return q.all<PortRow>(
    "SELECT * FROM ports WHERE device_id = ? AND device_owner = ? AND network_id = ? ORDER BY created_at, id",
    [routerId, ROUTER_INTERFACE, networkId],
  );
}

async function infoOf(
  q: Queryable,
  router: RouterRow,
  port: PortRow,
  subnetId: string | undefined,
): Promise<InterfaceInfo> {
  const subnets = [...new Set((await allocationsOf(q, port.id)).map((a) => a.subnet_id))];
  return {
    id: router.id,
    subnet_id: subnetId ?? subnets[0]!,
    subnet_ids: subnets,
    port_id: port.id,
    network_id: port.network_id,
    tenant_id: port.project_id,
    project_id: port.project_id,
    tags: [],
  };
}

async function touch(tx: WriteTx, ctx: ServiceContext, router: RouterRow): Promise<void> {
  await writeRouter(tx, {
    ...router,
    revision_number: router.revision_number + 1,
    updated_at: timestamp(ctx.now()),
  });
}
