/**
 * Request bodies of the Networking API v2.0, validated with zod. Unknown attributes are refused, as
 * Neutron does ("Unrecognized attribute(s) 'x'"); read-only ones (id, status, …) too.
 */
import { z } from "zod";
import { ApiError } from "../api-errors.ts";

const name = z.string().max(255);
const description = z.string().max(255);
const project = z.string().max(255);
const pool = z.object({ start: z.string(), end: z.string() }).strict();
const addressPair = z.object({ ip_address: z.string(), mac_address: z.string().optional() }).strict();
const fixedIp = z.object({ subnet_id: z.string().optional(), ip_address: z.string().optional() }).strict();
/** openstackclient sends some integers as strings ("150"); Neutron converts them, so do we. */
const int = z.preprocess((v) => (typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v), z.number().int());
const nullableInt = int.nullable();
const tags = z.array(z.string()).optional();

export const NetworkCreateBody = z
  .object({
    name: name.optional(),
    description: description.optional(),
    tenant_id: project.optional(),
    project_id: project.optional(),
    admin_state_up: z.boolean().optional(),
    shared: z.boolean().optional(),
    mtu: int.optional(),
    port_security_enabled: z.boolean().optional(),
    "provider:network_type": z.string().optional(),
    "provider:physical_network": z.string().nullable().optional(),
    "provider:segmentation_id": nullableInt.optional(),
    "router:external": z.literal(false).optional(),
    availability_zone_hints: z.array(z.string()).optional(),
    tags,
  })
  .strict();

export const NetworkUpdateBody = NetworkCreateBody.omit({ tenant_id: true, project_id: true });

export const SubnetCreateBody = z
  .object({
    network_id: z.string(),
    cidr: z.string(),
    ip_version: z.union([z.literal(4), z.literal(6)]).optional(),
    name: name.optional(),
    description: description.optional(),
    tenant_id: project.optional(),
    project_id: project.optional(),
    gateway_ip: z.string().nullable().optional(),
    allocation_pools: z.array(pool).optional(),
    enable_dhcp: z.boolean().optional(),
    dns_nameservers: z.array(z.string()).optional(),
    host_routes: z.array(z.object({ destination: z.string(), nexthop: z.string() }).strict()).optional(),
    ipv6_ra_mode: z.null().optional(),
    ipv6_address_mode: z.null().optional(),
    tags,
  })
  .strict();

export const SubnetUpdateBody = SubnetCreateBody.pick({
  name: true,
  description: true,
  gateway_ip: true,
  allocation_pools: true,
  enable_dhcp: true,
  dns_nameservers: true,
  host_routes: true,
}).strict();

export const PortCreateBody = z
  .object({
    network_id: z.string(),
    name: name.optional(),
    description: description.optional(),
    tenant_id: project.optional(),
    project_id: project.optional(),
    mac_address: z.string().optional(),
    fixed_ips: z.array(fixedIp).optional(),
    admin_state_up: z.boolean().optional(),
    device_id: z.string().max(255).optional(),
    device_owner: z.string().max(255).optional(),
    port_security_enabled: z.boolean().optional(),
    allowed_address_pairs: z.array(addressPair).optional(),
    security_groups: z.array(z.string()).max(0, "security groups are not supported yet").optional(),
    "binding:host_id": z.string().max(255).optional(),
    "binding:vnic_type": z.string().optional(),
    "binding:profile": z.record(z.string(), z.unknown()).optional(),
    tags,
  })
  .strict();

export const PortUpdateBody = PortCreateBody.omit({ network_id: true, tenant_id: true, project_id: true });

export const AgentUpdateBody = z
  .object({ admin_state_up: z.boolean().optional(), description: description.optional() })
  .strict();

/** Parses `{"<resource>": {...}}`, with Neutron's messages for what is wrong. */
export function parseBody<T>(body: unknown, resource: string, schema: z.ZodType<T>): T {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError(400, "HTTPBadRequest", "Body contains invalid data");
  }
  const inner = (body as Record<string, unknown>)[resource];
  if (typeof inner !== "object" || inner === null || Array.isArray(inner)) {
    throw new ApiError(400, "HTTPBadRequest", `Resource body required: expected {"${resource}": {...}}`);
  }
  const result = schema.safeParse(inner);
  if (result.success) return result.data;
  const unrecognized = result.error.issues
    .filter((i) => i.code === "unrecognized_keys")
    .flatMap((i) => ("keys" in i ? i.keys : []));
  if (unrecognized.length > 0) {
    throw new ApiError(400, "HTTPBadRequest", `Unrecognized attribute(s) '${unrecognized.join(", ")}'`);
  }
  const issue = result.error.issues[0]!;
  const path = issue.path.join(".");
  throw new ApiError(
    400,
    "HTTPBadRequest",
    `Invalid input for ${path || resource}. Reason: ${issue.message}.`,
  );
}
