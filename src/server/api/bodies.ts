/**
 * Request bodies of the Networking API v2.0, validated with zod. Unknown attributes are refused, as
 * Neutron does ("Unrecognized attribute(s) 'x'"); read-only ones (id, status, …) too.
 */
import { z } from "zod";
import { ApiError } from "../api-errors.ts";
import {
  DB_INTEGER_MAX_VALUE,
  type Direction,
  VALID_DIRECTIONS,
  VALID_DSCP_MARKS,
} from "../services/qos-rule-types.ts";
import {
  type AttributeMap,
  type BodyCaller,
  bulkItem,
  listOf,
  nameString,
  parseResource,
  pyStr,
  range,
  string,
  toBoolean,
  toInt,
  values,
} from "./attributes.ts";

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
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * neutron-lib's IPV6_MODES, checked by type:values (with Neutron's message); null, which Neutron's
 * clients never send for "none", is taken as none.
 */
const ipv6Mode = z
  .enum(["slaac", "dhcpv6-stateful", "dhcpv6-stateless"], {
    error: (issue) => `${pyStr(issue.input)} is not in valid_values`,
  })
  .nullable()
  .optional();
/** Neutron's type:uuid_or_none: null detaches. */
const uuidOrNone = z.custom<string | null>(
  (v) => v === null || (typeof v === "string" && uuidPattern.test(v)),
  { error: (issue) => `'${pyStr(issue.input)}' is not a valid UUID` },
);

/** Neutron's uuid_list after convert_none_to_empty_list, with its messages. */
const uuidList = z.preprocess(
  (v) => (v === null ? [] : v),
  z.custom<string[]>().superRefine((v, ctx) => {
    const reason = uuidListReason(v);
    if (reason !== undefined) ctx.addIssue({ code: "custom", message: reason });
  }),
);

const uuidListReason = listOf((item) =>
  typeof item === "string" && uuidPattern.test(item) ? undefined : `'${pyStr(item)}' is not a valid UUID`,
);

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
    "router:external": z.boolean().optional(),
    availability_zone_hints: z.array(z.string()).optional(),
    qos_policy_id: uuidOrNone.optional(),
    tags,
  })
  .strict();

export const NetworkUpdateBody = NetworkCreateBody.omit({ tenant_id: true, project_id: true });

export const SubnetCreateBody = z
  .object({
    network_id: z.string(),
    cidr: z.string().optional(),
    prefixlen: int.optional(),
    subnetpool_id: uuidOrNone.optional(),
    use_default_subnetpool: z.boolean().optional(),
    // Neutron's convert_to_int (its InvalidInput for what int() refuses), then type:values [4, 6].
    ip_version: z
      .preprocess(
        toInt,
        z.union([z.literal(4), z.literal(6)], {
          error: (issue) => `${pyStr(issue.input)} is not in valid_values`,
        }),
      )
      .optional(),
    name: name.optional(),
    description: description.optional(),
    tenant_id: project.optional(),
    project_id: project.optional(),
    gateway_ip: z.string().nullable().optional(),
    allocation_pools: z.array(pool).optional(),
    enable_dhcp: z.boolean().optional(),
    dns_nameservers: z.array(z.string()).optional(),
    host_routes: z.array(z.object({ destination: z.string(), nexthop: z.string() }).strict()).optional(),
    ipv6_ra_mode: ipv6Mode,
    ipv6_address_mode: ipv6Mode,
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
})
  .extend({ ipv6_ra_mode: z.unknown().optional(), ipv6_address_mode: z.unknown().optional() })
  .strict();

/** What a subnet update may not change (Neutron's allow_put False), refused after unknown attributes. */
export const SUBNET_READ_ONLY = ["ipv6_ra_mode", "ipv6_address_mode"] as const;

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
    security_groups: uuidList.optional(),
    "binding:host_id": z.string().max(255).optional(),
    "binding:vnic_type": z.string().optional(),
    "binding:profile": z.record(z.string(), z.unknown()).optional(),
    qos_policy_id: uuidOrNone.optional(),
    /** Validated as Neutron does, with its messages, by api/extra-dhcp-opts.ts. */
    extra_dhcp_opts: z.unknown().optional(),
    tags,
  })
  .strict();

export const PortUpdateBody = PortCreateBody.omit({ network_id: true, tenant_id: true, project_id: true });

export const AgentUpdateBody = z
  .object({ admin_state_up: z.boolean().optional(), description: description.optional() })
  .strict();

// QoS bodies follow Neutron's attribute maps exactly (neutron-lib api/definitions/qos.py, qos_default.py,
// qos_bw_limit_direction.py, the standard attributes), so every error is Neutron's.

const readOnly = { post: false, put: false } as const;

const policyAttributes: AttributeMap = {
  id: readOnly,
  name: { post: true, put: true, default: "", validate: nameString(255) },
  shared: { post: true, put: true, default: false, convert: toBoolean },
  tenant_id: { post: true, put: false, validate: string(255) },
  rules: readOnly,
  is_default: { post: true, put: true, default: false, convert: toBoolean },
  description: { post: true, put: true, default: "", validate: string(255) },
  tags: readOnly,
  revision_number: readOnly,
  created_at: readOnly,
  updated_at: readOnly,
  project_id: { post: true, put: false, validate: string(255) },
};

const rate = { post: true, put: true, convert: toInt, validate: range(0, DB_INTEGER_MAX_VALUE) } as const;

const bandwidthLimitRuleAttributes: AttributeMap = {
  id: readOnly,
  max_kbps: rate,
  max_burst_kbps: { ...rate, default: 0 },
  direction: { post: true, put: true, default: "egress", validate: values(VALID_DIRECTIONS) },
};

const dscpMarkingRuleAttributes: AttributeMap = {
  id: readOnly,
  dscp_mark: { post: true, put: true, convert: toInt, validate: values(VALID_DSCP_MARKS) },
};

export interface QosPolicyBody {
  readonly name?: string;
  readonly description?: string;
  readonly shared?: boolean;
  readonly is_default?: boolean;
  readonly project_id?: string;
}

export interface BandwidthLimitRuleBody {
  readonly max_kbps?: number;
  readonly max_burst_kbps?: number;
  readonly direction?: Direction;
}

export interface DscpMarkingRuleBody {
  readonly dscp_mark?: number;
}

type Operation = "create" | "update";

/** A create has every attribute (defaults filled); an update only those given. */
export const parseQosPolicy = (body: unknown, operation: Operation, caller: BodyCaller): QosPolicyBody =>
  parseResource(body, ["policy", "policies"], policyAttributes, operation, caller);

export const parseBandwidthLimitRule = (
  body: unknown,
  operation: Operation,
  caller: BodyCaller,
): BandwidthLimitRuleBody =>
  parseResource(
    body,
    ["bandwidth_limit_rule", "bandwidth_limit_rules"],
    bandwidthLimitRuleAttributes,
    operation,
    caller,
  );

export const parseDscpMarkingRule = (
  body: unknown,
  operation: Operation,
  caller: BodyCaller,
): DscpMarkingRuleBody =>
  parseResource(
    body,
    ["dscp_marking_rule", "dscp_marking_rules"],
    dscpMarkingRuleAttributes,
    operation,
    caller,
  );

/**
 * A create body, single (`{"network": {...}}`) or bulk (`{"networks": [{...}, ...]}`): every item
 * parsed before anything is written, so a bulk create is all or nothing.
 */
export function parseCreateBodies<T>(
  body: unknown,
  resource: string,
  collection: string,
  schema: z.ZodType<T>,
): { readonly bulk: boolean; readonly items: readonly T[] } {
  const list =
    typeof body === "object" && body !== null ? (body as Record<string, unknown>)[collection] : undefined;
  if (list === undefined) return { bulk: false, items: [parseBody(body, resource, schema)] };
  if (!Array.isArray(list) || list.length === 0)
    throw new ApiError(400, "HTTPBadRequest", `Resources required: expected {"${collection}": [{...}, ...]}`);
  return {
    bulk: true,
    items: list.map((item) => parseBody({ [resource]: bulkItem(item, resource) }, resource, schema)),
  };
}

/**
 * Parses `{"<resource>": {...}}`, with Neutron's messages for what is wrong: unknown attributes, then
 * `readOnly` ones given (an update's), then the first invalid value.
 */
export function parseBody<T>(
  body: unknown,
  resource: string,
  schema: z.ZodType<T>,
  readOnly: readonly string[] = [],
): T {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError(400, "HTTPBadRequest", "Body contains invalid data");
  }
  const inner = (body as Record<string, unknown>)[resource];
  if (typeof inner !== "object" || inner === null || Array.isArray(inner)) {
    throw new ApiError(400, "HTTPBadRequest", `Resource body required: expected {"${resource}": {...}}`);
  }
  const result = schema.safeParse(inner);
  if (result.success) {
    refuseReadOnly(inner, readOnly);
    return result.data;
  }
  const unrecognized = result.error.issues
    .filter((i) => i.code === "unrecognized_keys")
    .flatMap((i) => ("keys" in i ? i.keys : []));
  if (unrecognized.length > 0) {
    throw new ApiError(400, "HTTPBadRequest", `Unrecognized attribute(s) '${unrecognized.join(", ")}'`);
  }
  refuseReadOnly(inner, readOnly);
  const issue = result.error.issues[0]!;
  const path = issue.path.join(".");
  throw new ApiError(
    400,
    "HTTPBadRequest",
    `Invalid input for ${path || resource}. Reason: ${issue.message}.`,
  );
}

function refuseReadOnly(inner: object, readOnly: readonly string[]): void {
  const given = readOnly.find((name) => name in inner);
  if (given !== undefined)
    throw new ApiError(400, "HTTPBadRequest", `Cannot update read-only attribute ${given}`);
}
