import { notFound } from "../api-errors.ts";
import type { ApiRequest, Router } from "../http/router.ts";
import type { NetworkRow, PortRow } from "../rows.ts";
import type { ServiceContext } from "../services/context.ts";
import { extraDhcpOptsByPort, extraDhcpOptsOf } from "../services/extra-dhcp-opts.ts";
import {
  allocationsByPort,
  allocationsOf,
  network as findNetwork,
  port as findPort,
  networkPolicies,
} from "../services/lookups.ts";
import { sees } from "../services/ownership.ts";
import { groupsByPort, groupsOfPort } from "../services/port-security.ts";
import { createPort, deletePort, type PortUpdate, updatePort } from "../services/ports.ts";
import { refuseServicePortDelete } from "../services/routers.ts";
import { tagsByObject, tagsOf } from "../services/tags.ts";
import { onNetworkTarget } from "../services/targets.ts";
import { portView } from "../views.ts";
import { requestedProject } from "./attributes.ts";
import { PortCreateBody, PortUpdateBody, parseBody } from "./bodies.ts";
import { createOneOrMany } from "./bulk.ts";
import { parseExtraDhcpOpts } from "./extra-dhcp-opts.ts";
import { ifMatch } from "./if-match.ts";
import { listBody, pickFields } from "./query.ts";
import { readable, visibleOne, withoutHidden } from "./visibility.ts";

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
    extraDhcpOpts: parseExtraDhcpOpts(b.extra_dhcp_opts),
  };
}

export function portRoutes(router: Router, ctx: ServiceContext): void {
  const shown = async (req: ApiRequest, row: PortRow) => {
    const network = await findNetwork(ctx.store.query, row.network_id);
    const view = {
      ...portView(row, {
        allocations: await allocationsOf(ctx.store.query, row.id),
        networkPolicyId: network.qos_policy_id,
        securityGroups: await groupsOfPort(ctx.store.query, row.id),
        extraDhcpOpts: await extraDhcpOptsOf(ctx.store.query, row.id),
      }),
      tags: await tagsOf(ctx.store.query, "ports", row.id),
    };
    return visibleOne(req, "port", { view, target: onNetworkTarget(req.caller, row, network) }, () =>
      notFound("Port", row.id),
    );
  };

  router.add({
    method: "GET",
    pattern: "/v2.0/ports",
    access: "api",
    handler: async (req) => {
      const networks = new Map(
        (await ctx.store.query.all<NetworkRow>("SELECT * FROM networks")).map((n) => [n.id, n]),
      );
      // Only the ports the caller may see get views built (their addresses, groups and tags read).
      const rows = readable(
        req,
        "port",
        (await narrowed(req, ctx)).flatMap((row) => {
          const network = networks.get(row.network_id);
          return network === undefined ? [] : [{ row, target: onNetworkTarget(req.caller, row, network) }];
        }),
      );
      const ids = rows.length > 2000 ? "all" : rows.map((r) => r.row.id);
      const allocations = await allocationsByPort(ctx.store.query, ids);
      const opts = await extraDhcpOptsByPort(ctx.store.query, ids);
      const policies = await networkPolicies(ctx.store.query);
      const groups = await groupsByPort(ctx.store.query);
      const tags = await tagsByObject(ctx.store.query, "ports");
      const items = rows.map(({ row, target }) =>
        withoutHidden(req, "port", {
          view: {
            ...portView(row, {
              allocations: allocations.get(row.id) ?? [],
              networkPolicyId: policies.get(row.network_id) ?? null,
              securityGroups: groups.get(row.id) ?? [],
              extraDhcpOpts: opts.get(row.id) ?? [],
            }),
            tags: tags.get(row.id) ?? [],
          },
          target,
        }),
      );
      return { status: 200, body: listBody("ports", items, req.query, req.baseUrl) };
    },
  });
  router.add({
    method: "POST",
    pattern: "/v2.0/ports",
    access: "api",
    handler: (req) =>
      createOneOrMany(req, ctx, {
        resource: "port",
        collection: "ports",
        schema: PortCreateBody,
        input: (b) => ({
          ...portInput(b),
          networkId: b.network_id,
          projectId: requestedProject(b, req.caller),
        }),
        create: (tx, input) => createPort(tx, ctx, req.caller, input),
        show: (row) => shown(req, row),
      }),
  });
  router.add({
    method: "GET",
    pattern: "/v2.0/ports/:id",
    access: "api",
    handler: async (req) => ({
      status: 200,
      body: {
        port: pickFields(await shown(req, await findPort(ctx.store.query, req.params.id!)), req.query),
      },
    }),
  });
  router.add({
    method: "PUT",
    pattern: "/v2.0/ports/:id",
    access: "api",
    handler: async (req) => {
      const b = parseBody(await req.body(), "port", PortUpdateBody);
      const row = await ctx.store.write((tx) =>
        ifMatch(req, tx, "ports", req.params.id!, () =>
          updatePort(tx, ctx, req.caller, req.params.id!, portInput(b)),
        ),
      );
      return { status: 200, body: { port: await shown(req, row) } };
    },
  });
  router.add({
    method: "DELETE",
    pattern: "/v2.0/ports/:id",
    access: "api",
    handler: async (req) => {
      await ctx.store.write((tx) =>
        ifMatch(req, tx, "ports", req.params.id!, async () => {
          // Who may not see the port is told it does not exist, before anything about its owner.
          const row = await findPort(tx, req.params.id!);
          const network = await findNetwork(tx, row.network_id);
          if (!sees(req.caller, "get_port", onNetworkTarget(req.caller, row, network)))
            throw notFound("Port", row.id);
          await refuseServicePortDelete(tx, row.id);
          await deletePort(tx, req.caller, req.params.id!);
        }),
      );
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
    // A filter on an attribute the caller may not read is applied to its views (which lack it): no
    // port matches, and the filter reveals nothing.
    if (param === "binding:host_id" && !req.caller.admin && !req.caller.service) continue;
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
