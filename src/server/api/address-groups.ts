/** /v2.0/address-groups with its add_addresses and remove_addresses actions (Neutron's address-group). */
import type { Router } from "../http/router.ts";
import type { AddressGroupRow } from "../rows.ts";
import {
  addressesByGroup,
  addressesOf,
  addressGroupFor,
  addressGroupVisible,
  changeAddresses,
  createAddressGroup,
  deleteAddressGroup,
  updateAddressGroup,
} from "../services/address-groups.ts";
import type { ServiceContext } from "../services/context.ts";
import { tagsByObject, tagsOf } from "../services/tags.ts";
import { addressGroupView } from "../views.ts";
import { ifMatch } from "./if-match.ts";
import { listBody, pickFields } from "./query.ts";
import { parseAddresses, parseAddressGroup } from "./sg-bodies.ts";

export function addressGroupRoutes(router: Router, ctx: ServiceContext): void {
  const q = ctx.store.query;
  const view = async (row: AddressGroupRow) => ({
    ...addressGroupView(row, await addressesOf(q, row.id)),
    tags: await tagsOf(q, "address-groups", row.id),
  });
  const base = "/v2.0/address-groups";
  router.add({
    method: "GET",
    pattern: base,
    access: "api",
    handler: async (req) => {
      const rows = (await q.all<AddressGroupRow>("SELECT * FROM address_groups")).filter((g) =>
        addressGroupVisible(req.caller, g),
      );
      const addresses = await addressesByGroup(q);
      const tags = await tagsByObject(q, "address-groups");
      const items = rows.map((g) => ({
        ...addressGroupView(g, addresses.get(g.id) ?? []),
        tags: tags.get(g.id) ?? [],
      }));
      return {
        status: 200,
        body: listBody("address_groups", items, req.query, req.baseUrl, "address-groups"),
      };
    },
  });
  router.add({
    method: "POST",
    pattern: base,
    access: "api",
    handler: async (req) => {
      const b = parseAddressGroup(await req.body(), "create", req.caller);
      const row = await ctx.store.write((tx) =>
        createAddressGroup(tx, ctx, req.caller, {
          name: b.name!,
          description: b.description!,
          projectId: b.project_id!,
          addresses: b.addresses ?? [],
        }),
      );
      return { status: 201, body: { address_group: await view(row) } };
    },
  });
  router.add({
    method: "GET",
    pattern: `${base}/:id`,
    access: "api",
    handler: async (req) => ({
      status: 200,
      body: {
        address_group: pickFields(
          await view(await addressGroupFor(q, req.caller, req.params.id!)),
          req.query,
        ),
      },
    }),
  });
  router.add({
    method: "PUT",
    pattern: `${base}/:id`,
    access: "api",
    handler: async (req) => {
      const b = parseAddressGroup(await req.body(), "update", req.caller);
      const row = await ctx.store.write((tx) =>
        ifMatch(req, tx, "address_groups", req.params.id!, () =>
          updateAddressGroup(tx, ctx, req.caller, req.params.id!, {
            name: b.name,
            description: b.description,
          }),
        ),
      );
      return { status: 200, body: { address_group: await view(row) } };
    },
  });
  for (const action of ["add", "remove"] as const) {
    router.add({
      method: "PUT",
      pattern: `${base}/:id/${action}_addresses`,
      access: "api",
      handler: async (req) => {
        const addresses = parseAddresses(await req.body());
        const row = await ctx.store.write((tx) =>
          changeAddresses(tx, ctx, req.caller, req.params.id!, action, addresses),
        );
        return { status: 200, body: { address_group: await view(row) } };
      },
    });
  }
  router.add({
    method: "DELETE",
    pattern: `${base}/:id`,
    access: "api",
    handler: async (req) => {
      await ctx.store.write((tx) =>
        ifMatch(req, tx, "address_groups", req.params.id!, () =>
          deleteAddressGroup(tx, req.caller, req.params.id!),
        ),
      );
      return { status: 204 };
    },
  });
}
