/**
 * `/v2.0/{resource}/{id}/tags[/{tag}]` (Neutron's standard-attr-tag) for every taggable resource: read
 * by whoever may see the object, changed by whoever may update it (404 for an object the caller may not
 * see, 403 for one it may see but not change).
 */

import { ApiError, notFound } from "../api-errors.ts";
import type { Target } from "../auth/policy.ts";
import type { ApiRequest, ApiResponse, Router } from "../http/router.ts";
import type {
  AddressGroupRow,
  FloatingIpRow,
  QosPolicyRow,
  RouterRow,
  SecurityGroupRow,
  SubnetPoolRow,
} from "../rows.ts";
import { timestamp } from "../rows.ts";
import { addressGroupNotFound } from "../services/address-groups.ts";
import type { Caller, Queryable, ServiceContext, WriteTx } from "../services/context.ts";
import { floatingIpNotFound } from "../services/floating-ips.ts";
import {
  network as findNetwork,
  port as findPort,
  subnet as findSubnet,
  qosPolicyNotFound,
} from "../services/lookups.ts";
import { allowOn } from "../services/ownership.ts";
import { routerNotFound, routerTarget } from "../services/routers.ts";
import { securityGroupNotFound } from "../services/security-groups.ts";
import { subnetPoolNotFound } from "../services/subnet-pools.ts";
import {
  addTag,
  checkTag,
  removeTag,
  setTags,
  TAGGABLE,
  type Taggable,
  tagNotFound,
  tagsOf,
} from "../services/tags.ts";
import { networkTarget, onNetworkTarget, ownedTarget } from "../services/targets.ts";

interface Found {
  readonly target: Target;
  readonly hidden: () => ApiError;
}

async function find(q: Queryable, caller: Caller, resource: Taggable, id: string): Promise<Found> {
  const row = async <T extends object>(table: string, missing: () => ApiError) => {
    const found = await q.get<T>(`SELECT * FROM ${table} WHERE id = ?`, [id]);
    if (found === undefined) throw missing();
    return found;
  };
  switch (resource) {
    case "networks": {
      const n = await findNetwork(q, id);
      return { target: networkTarget(caller, n), hidden: () => notFound("Network", id) };
    }
    case "subnets": {
      const s = await findSubnet(q, id);
      return {
        target: onNetworkTarget(caller, s, await findNetwork(q, s.network_id)),
        hidden: () => notFound("Subnet", id),
      };
    }
    case "ports": {
      const p = await findPort(q, id);
      return {
        target: onNetworkTarget(caller, p, await findNetwork(q, p.network_id)),
        hidden: () => notFound("Port", id),
      };
    }
    case "security-groups": {
      const g = await row<SecurityGroupRow>("security_groups", () => securityGroupNotFound(id));
      return { target: ownedTarget(caller, "security_group", g), hidden: () => securityGroupNotFound(id) };
    }
    case "qos/policies": {
      const p = await row<QosPolicyRow>("qos_policies", () => qosPolicyNotFound(id));
      return { target: ownedTarget(caller, "qos_policy", p), hidden: () => qosPolicyNotFound(id) };
    }
    case "subnetpools": {
      const sp = await row<SubnetPoolRow>("subnetpools", () => subnetPoolNotFound(id));
      return { target: ownedTarget(caller, "subnetpool", sp), hidden: () => subnetPoolNotFound(id) };
    }
    case "address-groups": {
      const g = await row<AddressGroupRow>("address_groups", () => addressGroupNotFound(id));
      return { target: ownedTarget(caller, "address_group", g), hidden: () => addressGroupNotFound(id) };
    }
    case "routers": {
      const r = await row<RouterRow>("routers", () => routerNotFound(id));
      return { target: routerTarget(r), hidden: () => routerNotFound(id) };
    }
    case "floatingips": {
      const f = await row<FloatingIpRow>("floatingips", () => floatingIpNotFound(id));
      return { target: { project_id: f.project_id }, hidden: () => floatingIpNotFound(id) };
    }
  }
}

function tagsBody(body: unknown): string[] {
  const tags = typeof body === "object" && body !== null ? (body as { tags?: unknown }).tags : undefined;
  if (!Array.isArray(tags))
    throw new ApiError(400, "HTTPBadRequest", 'Invalid input for tags: expected {"tags": ["...", ...]}');
  return tags.map(checkTag);
}

export function tagRoutes(router: Router, ctx: ServiceContext): void {
  for (const resource of Object.keys(TAGGABLE) as Taggable[]) {
    const { policy } = TAGGABLE[resource];
    // Neutron's tag controller serves QoS policies at /v2.0/policies/{id}/tags (its collection name);
    // /v2.0/qos/policies/{id}/tags, where the policy itself lives, is served too.
    const bases = [
      `/v2.0/${resource}/:id/tags`,
      ...(resource === "qos/policies" ? ["/v2.0/policies/:id/tags"] : []),
    ];
    /** The object, once the caller may read it (get_) or change it (update_). */
    const reach = async (req: ApiRequest, q: Queryable, action: "get" | "update") => {
      const found = await find(q, req.caller, resource, req.params.id!);
      allowOn(req.caller, `${action}_${policy}`, `get_${policy}`, found.target, found.hidden);
    };
    /** A change of the object's tags, in one transaction with the check that the caller may make it. */
    const change = <T>(req: ApiRequest, write: (tx: WriteTx, id: string, now: string) => Promise<T>) =>
      ctx.store.write(async (tx) => {
        await reach(req, tx, "update");
        return write(tx, req.params.id!, timestamp(ctx.now()));
      });
    const route = (method: string, suffix: string, handler: (req: ApiRequest) => Promise<ApiResponse>) => {
      for (const base of bases) router.add({ method, pattern: `${base}${suffix}`, access: "api", handler });
    };

    route("GET", "", async (req) => {
      await reach(req, ctx.store.query, "get");
      return { status: 200, body: { tags: await tagsOf(ctx.store.query, resource, req.params.id!) } };
    });
    route("GET", "/:tag", async (req) => {
      await reach(req, ctx.store.query, "get");
      const tag = req.params.tag!;
      if (!(await tagsOf(ctx.store.query, resource, req.params.id!)).includes(tag)) throw tagNotFound(tag);
      return { status: 204 };
    });
    route("PUT", "", async (req) => {
      const tags = tagsBody(await req.body());
      const stored = await change(req, async (tx, id, now) => {
        await setTags(tx, resource, id, tags, now);
        return tagsOf(tx, resource, id);
      });
      return { status: 200, body: { tags: stored } };
    });
    route("PUT", "/:tag", async (req) => {
      const tag = checkTag(req.params.tag);
      await change(req, (tx, id, now) => addTag(tx, resource, id, tag, now));
      return { status: 201 };
    });
    route("DELETE", "", async (req) => {
      await change(req, (tx, id, now) => setTags(tx, resource, id, [], now));
      return { status: 204 };
    });
    route("DELETE", "/:tag", async (req) => {
      await change(req, (tx, id, now) => removeTag(tx, resource, id, req.params.tag!, now));
      return { status: 204 };
    });
  }
}
