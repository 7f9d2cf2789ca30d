import type { Router } from "../http/router.ts";
import type { SubnetRow } from "../rows.ts";
import type { ServiceContext } from "../services/context.ts";
import { subnet as findSubnet } from "../services/lookups.ts";
import { createSubnet, deleteSubnet, updateSubnet } from "../services/subnets.ts";
import { subnetView } from "../views.ts";
import { parseBody, SubnetCreateBody, SubnetUpdateBody } from "./bodies.ts";
import { listBody, pickFields } from "./query.ts";

export function subnetRoutes(router: Router, ctx: ServiceContext): void {
  router.add({
    method: "GET",
    pattern: "/v2.0/subnets",
    access: "api",
    handler: async (req) => {
      const networkIds = req.query.getAll("network_id");
      const rows =
        networkIds.length > 0
          ? await ctx.store.query.all<SubnetRow>(
              `SELECT * FROM subnets WHERE network_id IN (${networkIds.map(() => "?").join(",")})`,
              networkIds,
            )
          : await ctx.store.query.all<SubnetRow>("SELECT * FROM subnets");
      const items = rows
        .filter((r) => req.caller.admin || r.project_id === req.caller.projectId)
        .map(subnetView);
      return { status: 200, body: listBody("subnets", items, req.query, req.baseUrl) };
    },
  });
  router.add({
    method: "POST",
    pattern: "/v2.0/subnets",
    access: "api",
    handler: async (req) => {
      const b = parseBody(await req.body(), "subnet", SubnetCreateBody);
      const row = await ctx.store.write((tx) =>
        createSubnet(tx, ctx, req.caller, {
          networkId: b.network_id,
          cidr: b.cidr,
          ipVersion: b.ip_version,
          name: b.name,
          description: b.description,
          projectId: b.project_id ?? b.tenant_id,
          gatewayIp: b.gateway_ip,
          allocationPools: b.allocation_pools,
          enableDhcp: b.enable_dhcp,
          dnsNameservers: b.dns_nameservers,
          hostRoutes: b.host_routes,
        }),
      );
      return { status: 201, body: { subnet: subnetView(row) } };
    },
  });
  router.add({
    method: "GET",
    pattern: "/v2.0/subnets/:id",
    access: "api",
    handler: async (req) => ({
      status: 200,
      body: { subnet: pickFields(subnetView(await findSubnet(ctx.store.query, req.params.id!)), req.query) },
    }),
  });
  router.add({
    method: "PUT",
    pattern: "/v2.0/subnets/:id",
    access: "api",
    handler: async (req) => {
      const b = parseBody(await req.body(), "subnet", SubnetUpdateBody);
      const row = await ctx.store.write((tx) =>
        updateSubnet(tx, ctx, req.caller, req.params.id!, {
          name: b.name,
          description: b.description,
          gatewayIp: b.gateway_ip,
          allocationPools: b.allocation_pools,
          enableDhcp: b.enable_dhcp,
          dnsNameservers: b.dns_nameservers,
          hostRoutes: b.host_routes,
        }),
      );
      return { status: 200, body: { subnet: subnetView(row) } };
    },
  });
  router.add({
    method: "DELETE",
    pattern: "/v2.0/subnets/:id",
    access: "api",
    handler: async (req) => {
      await ctx.store.write((tx) => deleteSubnet(tx, req.caller, req.params.id!));
      return { status: 204 };
    },
  });
}
