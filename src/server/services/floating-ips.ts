/**
 * Floating IPs (Neutron's router extension): an address of a router:external network, held by a port of
 * its own there (device_owner network:floatingip, device_id the floating IP, no project), forwarded to
 * one IPv4 address of a project's port. The router that does it is the one with a gateway on the
 * external network and an interface on the fixed address's subnet; without one the association is
 * refused, as Neutron refuses it.
 */
import { randomUUID } from "node:crypto";
import { ApiError, conflict, notFound } from "../api-errors.ts";
import { canonicalIp } from "../ipam.ts";
import { type FloatingIpRow, type PortRow, type RouterRow, timestamp } from "../rows.ts";
import type { Caller, Queryable, ServiceContext, WriteTx } from "./context.ts";
import { FLOATING_IP_OWNER, ROUTER_GATEWAY, ROUTER_INTERFACE } from "./device-owners.ts";
import { allocationsOf, network as findNetwork, subnetsOf, visibleOnNetwork } from "./lookups.ts";
import { allow, allowAttributes, allowOn, elevated, sees } from "./ownership.ts";
import { createPort, deletePort } from "./ports.ts";
import { checkQuota } from "./quotas.ts";
import { isExternal } from "./rbac.ts";
import { dropTags } from "./tags.ts";
import { networkTarget } from "./targets.ts";

export const floatingIpNotFound = (id: string) =>
  new ApiError(404, "FloatingIPNotFound", `Floating IP ${id} could not be found`);

const badFip = (msg: string) => new ApiError(400, "BadRequest", `Bad floatingip request: ${msg}.`);

export interface FloatingIpCreate {
  readonly floatingNetworkId: string;
  readonly projectId: string;
  readonly description: string;
  readonly floatingIpAddress: string | null;
  readonly subnetId: string | null;
  readonly portId: string | null;
  readonly fixedIpAddress: string | null;
}

export interface FloatingIpUpdate {
  readonly description?: string;
  /** null disassociates; undefined keeps the port (a new fixed_ip_address alone moves to it). */
  readonly portId?: string | null;
  readonly fixedIpAddress?: string | null;
}

const fipTarget = (f: Pick<FloatingIpRow, "project_id">) => ({ project_id: f.project_id });

export function floatingIpVisible(caller: Caller, f: FloatingIpRow): boolean {
  return sees(caller, "get_floatingip", fipTarget(f));
}

export async function floatingIpFor(q: Queryable, caller: Caller, id: string): Promise<FloatingIpRow> {
  const row = await q.get<FloatingIpRow>("SELECT * FROM floatingips WHERE id = ?", [id]);
  if (row === undefined || !floatingIpVisible(caller, row)) throw floatingIpNotFound(id);
  return row;
}

export async function createFloatingIp(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  input: FloatingIpCreate,
): Promise<FloatingIpRow> {
  const target = fipTarget({ project_id: input.projectId });
  allow(caller, "create_floatingip", target);
  allowAttributes(
    caller,
    "create_floatingip",
    input.floatingIpAddress === null ? [] : ["floating_ip_address"],
    target,
  );
  const network = await findNetwork(tx, input.floatingNetworkId);
  if (!sees(caller, "get_network", networkTarget(caller, network))) throw notFound("Network", network.id);
  if (!(await isExternal(tx, network.id)))
    throw badFip(`Network ${network.id} is not a valid external network`);
  await checkQuota(tx, ctx.config, input.projectId, "floatingip", 1);
  const v4 = (await subnetsOf(tx, network.id)).filter((s) => s.ip_version === 4);
  if (input.subnetId !== null && !v4.some((s) => s.id === input.subnetId))
    throw badFip(`Subnet ${input.subnetId} is not an IPv4 subnet of network ${network.id}`);
  if (v4.length === 0) throw badFip(`Network ${network.id} does not contain any IPv4 subnet`);
  const id = randomUUID();
  const fixed =
    input.floatingIpAddress !== null
      ? [
          {
            ipAddress: input.floatingIpAddress,
            ...(input.subnetId === null ? {} : { subnetId: input.subnetId }),
          },
        ]
      : [{ subnetId: input.subnetId ?? v4[0]!.id }];
  const port = await createPort(tx, ctx, elevated(caller), {
    networkId: network.id,
    projectId: "",
    name: "",
    deviceId: id,
    deviceOwner: FLOATING_IP_OWNER,
    adminStateUp: true,
    fixedIps: fixed,
  });
  // Neutron shows a floating IP's own port as N/A: no agent wires it.
  await tx.run("UPDATE ports SET status = 'N/A' WHERE id = ?", [port.id]);
  const address = (await allocationsOf(tx, port.id)).find((a) => !a.ip_address.includes(":"));
  if (address === undefined) throw badFip(`Network ${network.id} does not contain any IPv4 subnet`);
  const now = timestamp(ctx.now());
  const row: FloatingIpRow = {
    id,
    description: input.description,
    project_id: input.projectId,
    floating_network_id: network.id,
    floating_ip_address: address.ip_address,
    floating_port_id: port.id,
    port_id: null,
    fixed_ip_address: null,
    router_id: null,
    status: "DOWN",
    revision_number: 1,
    created_at: now,
    updated_at: now,
  };
  const associated =
    input.portId === null
      ? row
      : { ...row, ...(await association(tx, caller, row, input.portId, input.fixedIpAddress)) };
  if (input.portId === null && input.fixedIpAddress !== null)
    throw badFip("fixed_ip_address cannot be specified without a port_id");
  await tx.run(
    `INSERT INTO floatingips (id, description, project_id, floating_network_id, floating_ip_address, floating_port_id,
      port_id, fixed_ip_address, router_id, status, revision_number, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      associated.id,
      associated.description,
      associated.project_id,
      associated.floating_network_id,
      associated.floating_ip_address,
      associated.floating_port_id,
      associated.port_id,
      associated.fixed_ip_address,
      associated.router_id,
      associated.status,
      associated.revision_number,
      now,
      now,
    ],
  );
  return associated;
}

export async function updateFloatingIp(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  id: string,
  input: FloatingIpUpdate,
): Promise<FloatingIpRow> {
  const current = await floatingIpFor(tx, caller, id);
  allowOn(caller, "update_floatingip", "get_floatingip", fipTarget(current), () => floatingIpNotFound(id));
  let next: FloatingIpRow = {
    ...current,
    description: input.description ?? current.description,
    revision_number: current.revision_number + 1,
    updated_at: timestamp(ctx.now()),
  };
  const portId = input.portId === undefined ? current.port_id : input.portId;
  if (input.portId !== undefined || input.fixedIpAddress !== undefined) {
    if (portId === null) {
      if (input.fixedIpAddress !== undefined && input.fixedIpAddress !== null)
        throw badFip("fixed_ip_address cannot be specified without a port_id");
      next = { ...next, port_id: null, fixed_ip_address: null, router_id: null };
    } else {
      // The floating IP's own current association does not count against itself.
      await tx.run("UPDATE floatingips SET port_id = NULL, fixed_ip_address = NULL WHERE id = ?", [id]);
      next = { ...next, ...(await association(tx, caller, next, portId, input.fixedIpAddress ?? null)) };
    }
  }
  await writeFloatingIp(tx, next);
  return next;
}

export async function deleteFloatingIp(tx: WriteTx, caller: Caller, id: string): Promise<void> {
  const current = await floatingIpFor(tx, caller, id);
  allowOn(caller, "delete_floatingip", "get_floatingip", fipTarget(current), () => floatingIpNotFound(id));
  await removeFloatingIp(tx, caller, current);
}

/** The floating IP, its own port and its tags. */
async function removeFloatingIp(tx: WriteTx, caller: Caller, f: FloatingIpRow): Promise<void> {
  await tx.run("DELETE FROM floatingips WHERE id = ?", [f.id]);
  await deletePort(tx, elevated(caller), f.floating_port_id);
  await dropTags(tx, "floatingips", f.id);
}

/** The port, fixed address and router of an association, checked as Neutron checks them. */
async function association(
  tx: WriteTx,
  caller: Caller,
  fip: FloatingIpRow,
  portId: string,
  requestedFixed: string | null,
): Promise<Pick<FloatingIpRow, "port_id" | "fixed_ip_address" | "router_id">> {
  const port = await visibleOnNetwork<PortRow>(tx, caller, "Port", portId);
  if (!caller.admin && port.project_id !== fip.project_id)
    throw badFip(
      `Cannot create floating IP and bind it to Port ${portId}, since that port is owned by a different tenant`,
    );
  const v4 = (await allocationsOf(tx, portId)).filter((a) => !a.ip_address.includes(":"));
  if (v4.length === 0)
    throw badFip(`Cannot add floating IP to port ${portId} that has no fixed IPv4 addresses`);
  let chosen = v4[0]!;
  if (requestedFixed !== null) {
    const canonical = canonicalIp(requestedFixed);
    const found = v4.find((a) => a.ip_address === canonical);
    if (found === undefined) throw badFip(`Port ${portId} does not have fixed ip ${requestedFixed}`);
    chosen = found;
  } else if (v4.length > 1)
    throw badFip(
      `Port ${portId} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP`,
    );
  const taken = await tx.get<FloatingIpRow>(
    "SELECT * FROM floatingips WHERE port_id = ? AND fixed_ip_address = ? AND id <> ?",
    [portId, chosen.ip_address, fip.id],
  );
  if (taken !== undefined)
    throw conflict(
      "FloatingIPPortAlreadyAssociated",
      `Cannot associate floating IP ${fip.floating_ip_address} (${fip.id}) with port ${portId} using fixed IP ${chosen.ip_address}, as that fixed IP already has a floating IP on external network ${taken.floating_network_id}.`,
    );
  const router = await routerBetween(tx, fip.floating_network_id, chosen.subnet_id);
  if (router === undefined)
    throw new ApiError(
      404,
      "ExternalGatewayForFloatingIPNotFound",
      `External network ${fip.floating_network_id} is not reachable from subnet ${chosen.subnet_id}.  Therefore, cannot associate Port ${portId} with a Floating IP.`,
    );
  return { port_id: portId, fixed_ip_address: chosen.ip_address, router_id: router.id };
}

/**
 * The router with a gateway on the external network and an interface on the subnet; of several, the one
 * at the subnet's gateway IP (Neutron's choice).
 */
function routerBetween(
  q: Queryable,
  externalNetworkId: string,
  subnetId: string,
): Promise<RouterRow | undefined> {
  return q.get<RouterRow>(
    `SELECT r.* FROM routers r JOIN ports g ON g.id = r.gw_port_id AND g.device_owner = ?
       JOIN ports i ON i.device_id = r.id AND i.device_owner = ?
       JOIN ip_allocations a ON a.port_id = i.id JOIN subnets s ON s.id = a.subnet_id
      WHERE g.network_id = ? AND a.subnet_id = ?
      ORDER BY CASE WHEN a.ip_address = s.gateway_ip THEN 0 ELSE 1 END, r.created_at, r.id LIMIT 1`,
    [ROUTER_GATEWAY, ROUTER_INTERFACE, externalNetworkId, subnetId],
  );
}

async function writeFloatingIp(tx: WriteTx, f: FloatingIpRow): Promise<void> {
  await tx.run(
    `UPDATE floatingips SET description = ?, port_id = ?, fixed_ip_address = ?, router_id = ?, status = ?,
      revision_number = ?, updated_at = ? WHERE id = ?`,
    [
      f.description,
      f.port_id,
      f.fixed_ip_address,
      f.router_id,
      f.status,
      f.revision_number,
      f.updated_at,
      f.id,
    ],
  );
}

/** The network is being deleted: its floating IPs go with it, and their ports (Neutron does the same). */
export async function dropFloatingIpsOn(tx: WriteTx, caller: Caller, networkId: string): Promise<void> {
  for (const f of await tx.all<FloatingIpRow>("SELECT * FROM floatingips WHERE floating_network_id = ?", [
    networkId,
  ]))
    await removeFloatingIp(tx, caller, f);
}
