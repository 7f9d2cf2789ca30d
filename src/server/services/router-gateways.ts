/**
 * A router's external gateway: a port on a router:external network (device_owner network:router_gateway,
 * device_id the router, no project) and whether the router SNATs through it (ext-gw-mode, on unless
 * turned off). Moving the gateway to another network, or removing it, is refused while floating IPs
 * are reached through it.
 */
import { ApiError, conflict, notFound } from "../api-errors.ts";
import type { RouterRow } from "../rows.ts";
import type { Caller, ServiceContext, WriteTx } from "./context.ts";
import { ROUTER_GATEWAY } from "./device-owners.ts";
import { allocationsOf, network as findNetwork, port as findPort } from "./lookups.ts";
import { elevated, sees } from "./ownership.ts";
import { createPort, deletePort, type FixedIpRequest, updatePort } from "./ports.ts";
import { isExternal } from "./rbac.ts";
import { checkNoOverlap } from "./router-interfaces.ts";
import { networkTarget } from "./targets.ts";

export interface GatewayRequest {
  readonly networkId: string;
  readonly enableSnat?: boolean;
  readonly fixedIps?: readonly FixedIpRequest[];
}

const badRouter = (msg: string) => new ApiError(400, "BadRequest", `Bad router request: ${msg}.`);

/** Sets or changes the gateway; returns the router row to write (the caller writes it). */
export async function setGateway(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  router: RouterRow,
  request: GatewayRequest,
): Promise<RouterRow> {
  const network = await findNetwork(tx, request.networkId);
  if (!sees(caller, "get_network", networkTarget(caller, network))) throw notFound("Network", network.id);
  if (!(await isExternal(tx, network.id)))
    throw badRouter(`Network ${network.id} is not an external network`);
  const enableSnat = request.enableSnat === undefined ? 1 : request.enableSnat ? 1 : 0;
  const system = elevated(caller);
  const current = router.gw_port_id === null ? undefined : await findPort(tx, router.gw_port_id);
  if (current !== undefined && current.network_id === network.id) {
    if (request.fixedIps !== undefined) {
      await updatePort(tx, ctx, system, current.id, { fixedIps: request.fixedIps });
      await checkNoOverlap(tx, router.id, await subnetIdsOf(tx, current.id), current.id);
    }
    return { ...router, enable_snat: enableSnat };
  }
  const cleared = await clearGateway(tx, caller, router);
  const port = await createPort(tx, ctx, system, {
    networkId: network.id,
    projectId: "",
    name: "",
    deviceId: router.id,
    deviceOwner: ROUTER_GATEWAY,
    adminStateUp: true,
    ...(request.fixedIps === undefined ? {} : { fixedIps: request.fixedIps }),
  });
  // A gateway on an external network without subnets is allowed (Neutron's too): it has no address.
  await checkNoOverlap(tx, router.id, await subnetIdsOf(tx, port.id), port.id);
  return { ...cleared, gw_port_id: port.id, enable_snat: enableSnat };
}

/** Removes the gateway port (refused while floating IPs go through it); returns the router row to write. */
export async function clearGateway(tx: WriteTx, caller: Caller, router: RouterRow): Promise<RouterRow> {
  if (router.gw_port_id === null) return router;
  const port = await findPort(tx, router.gw_port_id);
  const inUse = await tx.get("SELECT id FROM floatingips WHERE router_id = ? LIMIT 1", [router.id]);
  if (inUse !== undefined)
    throw conflict(
      "RouterExternalGatewayInUseByFloatingIp",
      `Gateway cannot be updated for router ${router.id}, since a gateway to external network ${port.network_id} is required by one or more floating IPs.`,
    );
  await tx.run("UPDATE routers SET gw_port_id = NULL WHERE id = ?", [router.id]);
  await deletePort(tx, elevated(caller), port.id);
  return { ...router, gw_port_id: null, enable_snat: 1 };
}

async function subnetIdsOf(tx: WriteTx, portId: string): Promise<string[]> {
  return (await allocationsOf(tx, portId)).map((a) => a.subnet_id);
}
