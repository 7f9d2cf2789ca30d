import type { ApiRequest, Router } from "../http/router.ts";
import type { PortRow } from "../rows.ts";
import type { ServiceContext } from "../services/context.ts";
import {
  allocationsByPort,
  allocationsOf,
  network as findNetwork,
  port as findPort,
  networkPolicies,
} from "../services/lookups.ts";
import { groupsByPort, groupsOfPort } from "../services/port-security.ts";
import { createPort, deletePort, type PortUpdate, updatePort } from "../services/ports.ts";
import { portView } from "../views.ts";
import { PortCreateBody, PortUpdateBody, parseBody } from "./bodies.ts";
import { listBody, pickFields } from "./query.ts";

type PortBody = ReturnType<typeof PortUpdateBody.parse>;

function portInput(b: PortBody): PortUpdate {
  return {
    name: b.name,
    description: b.description,
    macAddress: b.mac_address,
    fixedIps: b.fixed_ips?.map((f) => ({ subnetId: f.subnet_id, ipAddress: f.ip_address })),
    adminStateUp: b.admin_state_up,
    deviceId: b.device_id,
    deviceOwner: b.device_owner,
    portSecurityEnabled: b.port_security_enabled,
    allowedAddressPairs: b.allowed_address_pairs,
    securityGroups: b.security_groups,
    hostId: b["binding:host_id"],
    vnicType: b["binding:vnic_type"],
    profile: b["binding:profile"],
    qosPolicyId: b.qos_policy_id,
  };
}

export function portRoutes(router: Router, ctx: ServiceContext): void {
  const view = async (row: PortRow) =>
    portView(
      row,
      await allocationsOf(ctx.store.query, row.id),
      (await findNetwork(ctx.store.query, row.network_id)).qos_policy_id,
      await groupsOfPort(ctx.store.query, row.id),
    );

  router.add({
    method: "GET",
    pattern: "/v2.0/ports",
    access: "api",
    handler: async (req) => {
      const rows = (await narrowed(req, ctx)).filter(
        (r) => req.caller.admin || r.project_id === req.caller.projectId,
      );
      const allocations = await allocationsByPort(
        ctx.store.query,
        rows.length > 2000 ? "all" : rows.map((r) => r.id),
      );
      const policies = await networkPolicies(ctx.store.query);
      const groups = await groupsByPort(ctx.store.query);
      const items = rows.map((r) =>
        portView(r, allocations.get(r.id) ?? [], policies.get(r.network_id) ?? null, groups.get(r.id) ?? []),
      );
      return { status: 200, body: listBody("ports", items, req.query, req.baseUrl) };
    },
  });
  router.add({
    method: "POST",
    pattern: "/v2.0/ports",
    access: "api",
    handler: async (req) => {
      const b = parseBody(await req.body(), "port", PortCreateBody);
      const row = await ctx.store.write((tx) =>
        createPort(tx, ctx, req.caller, {
          ...portInput(b),
          networkId: b.network_id,
          projectId: b.project_id ?? b.tenant_id,
        }),
      );
      return { status: 201, body: { port: await view(row) } };
    },
  });
  router.add({
    method: "GET",
    pattern: "/v2.0/ports/:id",
    access: "api",
    handler: async (req) => ({
      status: 200,
      body: { port: pickFields(await view(await findPort(ctx.store.query, req.params.id!)), req.query) },
    }),
  });
  router.add({
    method: "PUT",
    pattern: "/v2.0/ports/:id",
    access: "api",
    handler: async (req) => {
      const b = parseBody(await req.body(), "port", PortUpdateBody);
      const row = await ctx.store.write((tx) =>
        updatePort(tx, ctx, req.caller, req.params.id!, portInput(b)),
      );
      return { status: 200, body: { port: await view(row) } };
    },
  });
  router.add({
    method: "DELETE",
    pattern: "/v2.0/ports/:id",
    access: "api",
    handler: async (req) => {
      await ctx.store.write((tx) => deletePort(tx, req.caller, req.params.id!));
      return { status: 204 };
    },
  });
}

/** The indexed filters clients use most go to SQL; the rest are applied to the views. */
function narrowed(req: ApiRequest, ctx: ServiceContext): Promise<PortRow[]> {
  const q = ctx.store.query;
  for (const [param, column] of [
    ["id", "id"],
    ["device_id", "device_id"],
    ["binding:host_id", "binding_host_id"],
    ["network_id", "network_id"],
    ["mac_address", "mac_address"],
  ] as const) {
    const values = req.query.getAll(param);
    if (values.length > 0) {
      return q.all<PortRow>(
        `SELECT * FROM ports WHERE ${column} IN (${values.map(() => "?").join(",")})`,
        values,
      );
    }
  }
  return q.all<PortRow>("SELECT * FROM ports");
}
