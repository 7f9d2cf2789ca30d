/** /v2.0/address-scopes (Neutron's address-scope extension; sharing by rbac-address-scope). */
import type { Router } from "../http/router.ts";
import type { AddressScopeRow } from "../rows.ts";
import {
  addressScopeFor,
  addressScopeVisible,
  createAddressScope,
  deleteAddressScope,
  updateAddressScope,
} from "../services/address-scopes.ts";
import type { Caller, ServiceContext } from "../services/context.ts";
import { sharedWith } from "../services/targets.ts";
import { type AttributeMap, parseResource, string, toBoolean, toInt, values } from "./attributes.ts";
import { listBody, pickFields } from "./query.ts";

const readOnly = { post: false, put: false } as const;

// neutron-lib's address_scope RESOURCE_ATTRIBUTE_MAP, in its order.
const scopeAttributes: AttributeMap = {
  id: readOnly,
  name: { post: true, put: true, default: "", validate: string(255) },
  tenant_id: { post: true, put: false, validate: string(255) },
  project_id: { post: true, put: false, validate: string(255) },
  shared: { post: true, put: true, default: false, convert: toBoolean },
  ip_version: { post: true, put: false, convert: toInt, validate: values([4, 6]) },
};

export function addressScopeView(a: AddressScopeRow, caller: Caller): Record<string, unknown> {
  return {
    id: a.id,
    name: a.name,
    tenant_id: a.project_id,
    project_id: a.project_id,
    shared: sharedWith(caller, "address_scope", a),
    ip_version: a.ip_version,
  };
}

export function addressScopeRoutes(router: Router, ctx: ServiceContext): void {
  const q = ctx.store.query;
  const base = "/v2.0/address-scopes";
  router.add({
    method: "GET",
    pattern: base,
    access: "api",
    handler: async (req) => {
      const rows = (await q.all<AddressScopeRow>("SELECT * FROM address_scopes")).filter((a) =>
        addressScopeVisible(req.caller, a),
      );
      const items = rows.map((a) => addressScopeView(a, req.caller));
      return {
        status: 200,
        body: listBody("address_scopes", items, req.query, req.baseUrl, "address-scopes"),
      };
    },
  });
  router.add({
    method: "POST",
    pattern: base,
    access: "api",
    handler: async (req) => {
      const b = parseResource(
        await req.body(),
        ["address_scope", "address_scopes"],
        scopeAttributes,
        "create",
        req.caller,
      );
      const row = await ctx.store.write((tx) =>
        createAddressScope(tx, req.caller, {
          name: b.name as string,
          projectId: b.project_id as string,
          shared: b.shared as boolean,
          ipVersion: b.ip_version as 4 | 6,
        }),
      );
      return { status: 201, body: { address_scope: addressScopeView(row, req.caller) } };
    },
  });
  router.add({
    method: "GET",
    pattern: `${base}/:id`,
    access: "api",
    handler: async (req) => ({
      status: 200,
      body: {
        address_scope: pickFields(
          addressScopeView(await addressScopeFor(q, req.caller, req.params.id!), req.caller),
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
      const b = parseResource(
        await req.body(),
        ["address_scope", "address_scopes"],
        scopeAttributes,
        "update",
        req.caller,
      );
      const row = await ctx.store.write((tx) =>
        updateAddressScope(tx, req.caller, req.params.id!, {
          name: b.name as string | undefined,
          shared: b.shared as boolean | undefined,
        }),
      );
      return { status: 200, body: { address_scope: addressScopeView(row, req.caller) } };
    },
  });
  router.add({
    method: "DELETE",
    pattern: `${base}/:id`,
    access: "api",
    handler: async (req) => {
      await ctx.store.write((tx) => deleteAddressScope(tx, req.caller, req.params.id!));
      return { status: 204 };
    },
  });
}
