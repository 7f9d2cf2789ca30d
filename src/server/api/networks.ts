import { notFound } from "../api-errors.ts";
import type { ApiRequest, Router } from "../http/router.ts";
import type { NetworkRow } from "../rows.ts";
import type { ServiceContext } from "../services/context.ts";
import { externalNetworkIds } from "../services/grants.ts";
import { network as findNetwork, subnetIdsByNetwork, subnetsOf } from "../services/lookups.ts";
import { createNetwork, deleteNetwork, type NetworkCreate, updateNetwork } from "../services/networks.ts";
import { isExternal } from "../services/rbac.ts";
import { addressScopesByNetwork } from "../services/subnet-pools.ts";
import { tagsByObject, tagsOf } from "../services/tags.ts";
import { networkTarget, sharedWith } from "../services/targets.ts";
import { networkView } from "../views.ts";
import { requestedProject } from "./attributes.ts";
import { NetworkCreateBody, NetworkUpdateBody, parseBody } from "./bodies.ts";
import { createOneOrMany } from "./bulk.ts";
import { ifMatch } from "./if-match.ts";
import { listBody, pickFields } from "./query.ts";
import { visibleList, visibleOne } from "./visibility.ts";

export function networkRoutes(router: Router, ctx: ServiceContext): void {
  // `shared` is whether the network is shared with the caller's project; `router:external` whether any
  // project may use it as external (Neutron shows both so).
  const view = async (req: ApiRequest, row: NetworkRow) => ({
    ...networkView(
      row,
      (await subnetsOf(ctx.store.query, row.id)).map((s) => s.id),
    ),
    shared: sharedWith(req.caller, "network", row),
    "router:external": await isExternal(ctx.store.query, row.id),
    ...(await addressScopesByNetwork(ctx.store.query, row.id)).get(row.id),
    tags: await tagsOf(ctx.store.query, "networks", row.id),
  });
  const shown = async (req: ApiRequest, row: NetworkRow) =>
    visibleOne(req, "network", { view: await view(req, row), target: networkTarget(req.caller, row) }, () =>
      notFound("Network", row.id),
    );

  router.add({
    method: "GET",
    pattern: "/v2.0/networks",
    access: "api",
    handler: async (req) => {
      const q = ctx.store.query;
      const rows = await narrowed(req, q.all.bind(q));
      const subnets = await subnetIdsByNetwork(q);
      const tags = await tagsByObject(q, "networks");
      const external = await externalNetworkIds(q);
      const scopes = await addressScopesByNetwork(q);
      const items = visibleList(
        req,
        "network",
        rows.map((r) => ({
          view: {
            ...networkView(r, subnets.get(r.id) ?? []),
            shared: sharedWith(req.caller, "network", r),
            "router:external": external.has(r.id),
            ...scopes.get(r.id),
            tags: tags.get(r.id) ?? [],
          },
          target: networkTarget(req.caller, r),
        })),
      );
      return { status: 200, body: listBody("networks", items, req.query, req.baseUrl) };
    },
  });
  router.add({
    method: "POST",
    pattern: "/v2.0/networks",
    access: "api",
    handler: (req) =>
      createOneOrMany(req, ctx, {
        resource: "network",
        collection: "networks",
        schema: NetworkCreateBody,
        input: (b) => networkInput(b, req.caller),
        create: (tx, input) => createNetwork(tx, ctx, req.caller, input),
        show: (row) => shown(req, row),
      }),
  });
  router.add({
    method: "GET",
    pattern: "/v2.0/networks/:id",
    access: "api",
    handler: async (req) => ({
      status: 200,
      body: {
        network: pickFields(await shown(req, await findNetwork(ctx.store.query, req.params.id!)), req.query),
      },
    }),
  });
  router.add({
    method: "PUT",
    pattern: "/v2.0/networks/:id",
    access: "api",
    handler: async (req) => {
      const b = parseBody(await req.body(), "network", NetworkUpdateBody);
      const providerGiven =
        b["provider:network_type"] !== undefined ||
        b["provider:physical_network"] !== undefined ||
        b["provider:segmentation_id"] !== undefined;
      const row = await ctx.store.write((tx) =>
        ifMatch(req, tx, "networks", req.params.id!, () =>
          updateNetwork(tx, ctx, req.caller, req.params.id!, {
            name: b.name,
            description: b.description,
            adminStateUp: b.admin_state_up,
            shared: b.shared,
            external: b["router:external"],
            mtu: b.mtu,
            portSecurityEnabled: b.port_security_enabled,
            qosPolicyId: b.qos_policy_id,
            providerGiven,
          }),
        ),
      );
      return { status: 200, body: { network: await shown(req, row) } };
    },
  });
  router.add({
    method: "DELETE",
    pattern: "/v2.0/networks/:id",
    access: "api",
    handler: async (req) => {
      await ctx.store.write((tx) =>
        ifMatch(req, tx, "networks", req.params.id!, () => deleteNetwork(tx, req.caller, req.params.id!)),
      );
      return { status: 204 };
    },
  });
}

/** Pushes an id or name filter into SQL; everything else is filtered on the views. */
function narrowed(
  req: ApiRequest,
  all: <T extends object>(sql: string, params?: readonly (string | number | null)[]) => Promise<T[]>,
) {
  const ids = req.query.getAll("id");
  if (ids.length > 0)
    return all<NetworkRow>(`SELECT * FROM networks WHERE id IN (${ids.map(() => "?").join(",")})`, ids);
  const names = req.query.getAll("name");
  if (names.length > 0)
    return all<NetworkRow>(`SELECT * FROM networks WHERE name IN (${names.map(() => "?").join(",")})`, names);
  return all<NetworkRow>("SELECT * FROM networks");
}

function networkInput(
  b: ReturnType<typeof NetworkCreateBody.parse>,
  caller: ApiRequest["caller"],
): NetworkCreate {
  const hasProvider =
    b["provider:network_type"] !== undefined ||
    b["provider:physical_network"] !== undefined ||
    b["provider:segmentation_id"] !== undefined;
  return {
    name: b.name,
    description: b.description,
    projectId: requestedProject(b, caller),
    adminStateUp: b.admin_state_up,
    shared: b.shared,
    external: b["router:external"],
    mtu: b.mtu,
    portSecurityEnabled: b.port_security_enabled,
    qosPolicyId: b.qos_policy_id,
    provider: hasProvider
      ? {
          networkType: b["provider:network_type"],
          physicalNetwork: b["provider:physical_network"],
          segmentationId: b["provider:segmentation_id"],
        }
      : undefined,
  };
}
