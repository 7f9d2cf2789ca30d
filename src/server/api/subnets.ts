import { notFound } from "../api-errors.ts";
import type { ApiRequest, Router } from "../http/router.ts";
import type { NetworkRow, SubnetRow } from "../rows.ts";
import type { ServiceContext } from "../services/context.ts";
import { network as findNetwork, subnet as findSubnet } from "../services/lookups.ts";
import { createSubnet, deleteSubnet, updateSubnet } from "../services/subnets.ts";
import { tagsByObject, tagsOf } from "../services/tags.ts";
import { onNetworkTarget, sharedWith } from "../services/targets.ts";
import { subnetView } from "../views.ts";
import { requestedProject } from "./attributes.ts";
import { parseBody, SUBNET_READ_ONLY, SubnetCreateBody, SubnetUpdateBody } from "./bodies.ts";
import { createOneOrMany } from "./bulk.ts";
import { ifMatch } from "./if-match.ts";
import { listBody, pickFields } from "./query.ts";
import { visibleList, visibleOne } from "./visibility.ts";

export function subnetRoutes(router: Router, ctx: ServiceContext): void {
  // A subnet's `shared` is its network's, for the caller (Neutron's _make_subnet_dict).
  const shown = async (req: ApiRequest, row: SubnetRow) => {
    const network = await findNetwork(ctx.store.query, row.network_id);
    return visibleOne(
      req,
      "subnet",
      {
        view: {
          ...subnetView(row, sharedWith(req.caller, "network", network)),
          tags: await tagsOf(ctx.store.query, "subnets", row.id),
        },
        target: onNetworkTarget(req.caller, row, network),
      },
      () => notFound("Subnet", row.id),
    );
  };
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
      const networks = new Map(
        (await ctx.store.query.all<NetworkRow>("SELECT * FROM networks")).map((n) => [n.id, n]),
      );
      const tags = await tagsByObject(ctx.store.query, "subnets");
      const items = visibleList(
        req,
        "subnet",
        rows.flatMap((r) => {
          const network = networks.get(r.network_id);
          return network === undefined
            ? []
            : [
                {
                  view: {
                    ...subnetView(r, sharedWith(req.caller, "network", network)),
                    tags: tags.get(r.id) ?? [],
                  },
                  target: onNetworkTarget(req.caller, r, network),
                },
              ];
        }),
      );
      return { status: 200, body: listBody("subnets", items, req.query, req.baseUrl) };
    },
  });
  router.add({
    method: "POST",
    pattern: "/v2.0/subnets",
    access: "api",
    handler: (req) =>
      createOneOrMany(req, ctx, {
        resource: "subnet",
        collection: "subnets",
        schema: SubnetCreateBody,
        input: (b) => ({
          networkId: b.network_id,
          cidr: b.cidr,
          prefixlen: b.prefixlen,
          subnetpoolId: b.subnetpool_id,
          useDefaultSubnetpool: b.use_default_subnetpool,
          ipVersion: b.ip_version,
          name: b.name,
          description: b.description,
          projectId: requestedProject(b, req.caller),
          gatewayIp: b.gateway_ip,
          allocationPools: b.allocation_pools,
          enableDhcp: b.enable_dhcp,
          dnsNameservers: b.dns_nameservers,
          hostRoutes: b.host_routes,
          ipv6Modes: { addressMode: b.ipv6_address_mode ?? null, raMode: b.ipv6_ra_mode ?? null },
        }),
        create: (tx, input) => createSubnet(tx, ctx, req.caller, input),
        show: (row) => shown(req, row),
      }),
  });
  router.add({
    method: "GET",
    pattern: "/v2.0/subnets/:id",
    access: "api",
    handler: async (req) => ({
      status: 200,
      body: {
        subnet: pickFields(await shown(req, await findSubnet(ctx.store.query, req.params.id!)), req.query),
      },
    }),
  });
  router.add({
    method: "PUT",
    pattern: "/v2.0/subnets/:id",
    access: "api",
    handler: async (req) => {
      const b = parseBody(await req.body(), "subnet", SubnetUpdateBody, SUBNET_READ_ONLY);
      const row = await ctx.store.write((tx) =>
        ifMatch(req, tx, "subnets", req.params.id!, () =>
          updateSubnet(tx, ctx, req.caller, req.params.id!, {
            name: b.name,
            description: b.description,
            gatewayIp: b.gateway_ip,
            allocationPools: b.allocation_pools,
            enableDhcp: b.enable_dhcp,
            dnsNameservers: b.dns_nameservers,
            hostRoutes: b.host_routes,
          }),
        ),
      );
      return { status: 200, body: { subnet: await shown(req, row) } };
    },
  });
  router.add({
    method: "DELETE",
    pattern: "/v2.0/subnets/:id",
    access: "api",
    handler: async (req) => {
      await ctx.store.write((tx) =>
        ifMatch(req, tx, "subnets", req.params.id!, () => deleteSubnet(tx, ctx, req.caller, req.params.id!)),
      );
      return { status: 204 };
    },
  });
}
