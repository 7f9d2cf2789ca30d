/** /v2.0/subnetpools (Neutron's subnet_allocation, default-subnetpools, address-scope, rbac-subnetpool). */
import { ApiError } from "../api-errors.ts";
import type { ApiRequest, Router } from "../http/router.ts";
import { formatCidr } from "../ipam.ts";
import type { SubnetPoolRow } from "../rows.ts";
import type { ServiceContext } from "../services/context.ts";
import {
  changePrefixes,
  createSubnetPool,
  deleteSubnetPool,
  prefixesByPool,
  prefixesOf,
  subnetPoolFor,
  subnetPoolVisible,
  updateSubnetPool,
} from "../services/subnet-pools.ts";
import { tagsByObject, tagsOf } from "../services/tags.ts";
import { sharedWith } from "../services/targets.ts";
import {
  type AttributeMap,
  listOf,
  nameString,
  parseResource,
  pyStr,
  range,
  string,
  toBoolean,
  toInt,
} from "./attributes.ts";
import { ifMatch } from "./if-match.ts";
import { listBody, pickFields } from "./query.ts";

const readOnly = { post: false, put: false } as const;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Optional: null (absent) is worked out from the prefixes' IP version by the service.
const prefixLength = {
  post: true,
  put: true,
  default: null,
  convert: (v: unknown) => (v === null ? null : toInt(v)),
  validate: (v: unknown) => (v === null ? undefined : range(0, 128)(v)),
} as const;
const notEmpty = (v: unknown) =>
  nameString(255)(v) ??
  ((v as string).trim() === "" ? `'${pyStr(v)}' Blank strings are not permitted` : undefined);

// neutron-lib's subnetpool RESOURCE_ATTRIBUTE_MAP with the address-scope, default-subnetpools and
// standard attributes, in their order. Absent lengths are worked out from the prefixes' version.
const poolAttributes: AttributeMap = {
  id: readOnly,
  name: { post: true, put: true, validate: notEmpty },
  tenant_id: { post: true, put: false, validate: string(255) },
  project_id: { post: true, put: false, validate: string(255) },
  prefixes: {
    post: true,
    put: true,
    validate: listOf((v) => (typeof v === "string" ? undefined : `'${pyStr(v)}' is not a valid IP subnet`)),
  },
  default_quota: {
    post: true,
    put: true,
    default: null,
    convert: (v) => (v === null ? null : toInt(v)),
    validate: (v) => (v === null ? undefined : range(0, 2 ** 31 - 1)(v)),
  },
  ip_version: readOnly,
  default_prefixlen: prefixLength,
  min_prefixlen: prefixLength,
  max_prefixlen: prefixLength,
  is_default: { post: true, put: true, default: false, convert: toBoolean },
  shared: { post: true, put: false, default: false, convert: toBoolean },
  address_scope_id: {
    post: true,
    put: true,
    default: null,
    validate: (v) =>
      v === null || (typeof v === "string" && uuidPattern.test(v))
        ? undefined
        : `'${pyStr(v)}' is not a valid UUID`,
  },
  description: { post: true, put: true, default: "", validate: string(255) },
  tags: readOnly,
  revision_number: readOnly,
  created_at: readOnly,
  updated_at: readOnly,
};

export function subnetPoolView(
  p: SubnetPoolRow,
  prefixes: readonly string[],
  shared: boolean,
): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    tenant_id: p.project_id,
    project_id: p.project_id,
    prefixes: [...prefixes],
    default_quota: p.default_quota,
    ip_version: p.ip_version,
    // Strings, as Neutron shows them (its _make_subnetpool_dict; tempest compares them so).
    default_prefixlen: String(p.default_prefixlen),
    min_prefixlen: String(p.min_prefixlen),
    max_prefixlen: String(p.max_prefixlen),
    is_default: p.is_default !== 0,
    shared,
    address_scope_id: p.address_scope_id,
    description: p.description,
    tags: [],
    revision_number: p.revision_number,
    created_at: p.created_at,
    updated_at: p.updated_at,
  };
}

/** An attribute the body gave (null counts as not given). */
const given = <T>(b: Record<string, unknown>, key: string) => (b[key] ?? undefined) as T | undefined;
/** An attribute the body gave, null included (null clears it: no scope, no quota). */
const givenOrNull = <T>(b: Record<string, unknown>, key: string) =>
  (key in b ? b[key] : undefined) as T | null | undefined;

export function subnetPoolRoutes(router: Router, ctx: ServiceContext): void {
  const q = ctx.store.query;
  const base = "/v2.0/subnetpools";
  const view = async (req: ApiRequest, row: SubnetPoolRow) => ({
    ...subnetPoolView(
      row,
      (await prefixesOf(q, row.id)).map(formatCidr),
      sharedWith(req.caller, "subnetpool", row),
    ),
    tags: await tagsOf(q, "subnetpools", row.id),
  });
  router.add({
    method: "GET",
    pattern: base,
    access: "api",
    handler: async (req) => {
      const rows = (await q.all<SubnetPoolRow>("SELECT * FROM subnetpools")).filter((p) =>
        subnetPoolVisible(req.caller, p),
      );
      const prefixes = await prefixesByPool(q);
      const tags = await tagsByObject(q, "subnetpools");
      const items = rows.map((p) => ({
        ...subnetPoolView(p, prefixes.get(p.id) ?? [], sharedWith(req.caller, "subnetpool", p)),
        tags: tags.get(p.id) ?? [],
      }));
      return { status: 200, body: listBody("subnetpools", items, req.query, req.baseUrl) };
    },
  });
  router.add({
    method: "POST",
    pattern: base,
    access: "api",
    handler: async (req) => {
      const b = parseResource(
        await req.body(),
        ["subnetpool", "subnetpools"],
        poolAttributes,
        "create",
        req.caller,
      );
      const row = await ctx.store.write((tx) =>
        createSubnetPool(tx, ctx, req.caller, {
          name: b.name as string,
          description: b.description as string,
          projectId: b.project_id as string,
          prefixes: b.prefixes as string[],
          defaultPrefixlen: given(b, "default_prefixlen"),
          minPrefixlen: given(b, "min_prefixlen"),
          maxPrefixlen: given(b, "max_prefixlen"),
          defaultQuota: b.default_quota as number | null,
          shared: b.shared as boolean,
          isDefault: b.is_default as boolean,
          addressScopeId: b.address_scope_id as string | null,
        }),
      );
      return { status: 201, body: { subnetpool: await view(req, row) } };
    },
  });
  router.add({
    method: "GET",
    pattern: `${base}/:id`,
    access: "api",
    handler: async (req) => ({
      status: 200,
      body: {
        subnetpool: pickFields(
          await view(req, await subnetPoolFor(q, req.caller, req.params.id!)),
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
        ["subnetpool", "subnetpools"],
        poolAttributes,
        "update",
        req.caller,
      );
      const id = req.params.id!;
      const row = await ctx.store.write((tx) =>
        ifMatch(req, tx, "subnetpools", id, () =>
          updateSubnetPool(tx, ctx, req.caller, id, {
            name: given(b, "name"),
            description: given(b, "description"),
            prefixes: given(b, "prefixes"),
            defaultPrefixlen: given(b, "default_prefixlen"),
            minPrefixlen: given(b, "min_prefixlen"),
            maxPrefixlen: given(b, "max_prefixlen"),
            defaultQuota: givenOrNull(b, "default_quota"),
            isDefault: given(b, "is_default"),
            addressScopeId: givenOrNull(b, "address_scope_id"),
          }),
        ),
      );
      return { status: 200, body: { subnetpool: await view(req, row) } };
    },
  });
  for (const op of ["add_prefixes", "remove_prefixes"] as const)
    router.add({
      method: "PUT",
      pattern: `${base}/:id/${op}`,
      access: "api",
      handler: async (req) => {
        const body = (await req.body()) as { prefixes?: unknown } | null;
        const given = body?.prefixes;
        if (
          typeof body !== "object" ||
          body === null ||
          !Array.isArray(given) ||
          given.some((p) => typeof p !== "string")
        )
          throw new ApiError(
            400,
            "HTTPBadRequest",
            `Invalid input for operation: a body {"prefixes": [CIDR, …]} is required.`,
          );
        const prefixes = await ctx.store.write((tx) =>
          changePrefixes(tx, ctx, req.caller, req.params.id!, op, given),
        );
        return { status: 200, body: { prefixes } };
      },
    });
  router.add({
    method: "DELETE",
    pattern: `${base}/:id`,
    access: "api",
    handler: async (req) => {
      await ctx.store.write((tx) => deleteSubnetPool(tx, req.caller, req.params.id!));
      return { status: 204 };
    },
  });
}
