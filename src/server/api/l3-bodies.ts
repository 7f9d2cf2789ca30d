/**
 * Request bodies of routers, their interface actions and floating IPs, checked against Neutron's
 * attribute maps (neutron-lib api/definitions l3.py, l3_ext_gw_mode.py, extraroute.py and the
 * standard-attr-description and project-id additions) so that every error is Neutron's.
 */
import { ApiError } from "../api-errors.ts";
import { parseIp } from "../ipam.ts";
import type { GatewayRequest } from "../services/router-gateways.ts";
import type { Route } from "../services/router-routes.ts";
import { formatPrefix, parsePrefix } from "../services/sg-rule-values.ts";
import { type AttributeMap, type BodyCaller, parseResource, pyStr, string, toBoolean } from "./attributes.ts";

const readOnly = { post: false, put: false } as const;
const project = { post: true, put: false, validate: string(255) } as const;
const standard = { revision_number: readOnly, created_at: readOnly, updated_at: readOnly } as const;
const uuidPattern = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

const badRequest = (message: string) => new ApiError(400, "HTTPBadRequest", message);

const uuid = (v: unknown) =>
  typeof v === "string" && uuidPattern.test(v) ? undefined : `'${pyStr(v)}' is not a valid UUID`;
const uuidOrNone = (v: unknown) => (v === null ? undefined : uuid(v));
const ipAddress = (v: unknown) =>
  typeof v === "string" && parseIp(v) !== undefined ? undefined : `'${pyStr(v)}' is not a valid IP address`;
const ipAddressOrNone = (v: unknown) => (v === null ? undefined : ipAddress(v));

/** validate_fixed_ips: a list of {subnet_id, ip_address}, each optional, nothing else. */
const fixedIps = (v: unknown): string | undefined => {
  if (!Array.isArray(v)) return `Invalid data format for fixed IP: '${pyStr(v)}'`;
  const seen = new Set<string>();
  for (const item of v) {
    if (typeof item !== "object" || item === null || Array.isArray(item))
      return `Invalid data format for fixed IP: '${pyStr(item)}'`;
    const extra = Object.keys(item).filter((k) => k !== "subnet_id" && k !== "ip_address");
    if (extra.length > 0) return `Invalid data format for fixed IP: '${pyStr(item)}'`;
    const { subnet_id, ip_address } = item as { subnet_id?: unknown; ip_address?: unknown };
    if (ip_address !== undefined) {
      const reason = ipAddress(ip_address);
      if (reason !== undefined) return reason;
      if (seen.has(ip_address as string)) return `Duplicate IP address '${ip_address as string}'`;
      seen.add(ip_address as string);
    }
    if (subnet_id !== undefined) {
      const reason = uuid(subnet_id);
      if (reason !== undefined) return reason;
    }
  }
  return undefined;
};

/** type:dict_or_nodata with l3's key specs: network_id required, external_fixed_ips, enable_snat. */
function gatewayInfo(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v !== "object" || Array.isArray(v))
    throw badRequest(`Invalid input for external_gateway_info. Reason: '${pyStr(v)}' is not a dictionary.`);
  const info = v as Record<string, unknown>;
  if (Object.keys(info).length === 0) return null;
  const reason = (why: string) => badRequest(`Invalid input for external_gateway_info. Reason: ${why}.`);
  const unknown = Object.keys(info).filter(
    (k) => !["network_id", "external_fixed_ips", "enable_snat"].includes(k),
  );
  if (unknown.length > 0) throw reason(`Unexpected keys supplied: ${unknown.join(", ")}`);
  if (!("network_id" in info))
    throw reason(
      `Validation of dictionary's keys failed. Expected keys: {'network_id'} Provided keys: {${Object.keys(
        info,
      )
        .map((k) => `'${k}'`)
        .join(", ")}}`,
    );
  const network = uuid(info.network_id);
  if (network !== undefined) throw reason(network);
  if (info.external_fixed_ips !== undefined) {
    const fixed = fixedIps(info.external_fixed_ips);
    if (fixed !== undefined) throw reason(fixed);
  }
  return {
    networkId: info.network_id as string,
    ...(info.enable_snat === undefined || info.enable_snat === null
      ? {}
      : { enableSnat: toBoolean(info.enable_snat) }),
    ...(info.external_fixed_ips === undefined
      ? {}
      : {
          fixedIps: (info.external_fixed_ips as { subnet_id?: string; ip_address?: string }[]).map((f) => ({
            ...(f.subnet_id === undefined ? {} : { subnetId: f.subnet_id }),
            ...(f.ip_address === undefined ? {} : { ipAddress: f.ip_address }),
          })),
        }),
  } satisfies GatewayRequest;
}

/** validate_hostroutes: {destination, nexthop} pairs, a subnet and an address, no pair twice. */
const hostRoutes = (v: unknown): string | undefined => {
  if (!Array.isArray(v)) return `Invalid data format for hostroute: '${pyStr(v)}'`;
  const seen = new Set<string>();
  for (const item of v) {
    if (typeof item !== "object" || item === null || Array.isArray(item))
      return `Invalid data format for hostroute: '${pyStr(item)}'`;
    const keys = Object.keys(item).sort();
    if (keys.join(",") !== "destination,nexthop")
      return `Invalid data format for hostroute: '${pyStr(item)}'`;
    const { destination, nexthop } = item as { destination: unknown; nexthop: unknown };
    const prefix = typeof destination === "string" ? parsePrefix(destination) : undefined;
    if (prefix === undefined) return `'${pyStr(destination)}' is not a valid IP subnet`;
    const hop = ipAddress(nexthop);
    if (hop !== undefined) return hop;
    const key = `${destination as string}|${nexthop as string}`;
    if (seen.has(key)) return `Duplicate hostroute '${pyStr(item)}'`;
    seen.add(key);
  }
  return undefined;
};

const routerAttributes: AttributeMap = {
  id: readOnly,
  name: { post: true, put: true, default: "", validate: string(255) },
  admin_state_up: { post: true, put: true, default: true, convert: toBoolean },
  status: readOnly,
  tenant_id: project,
  external_gateway_info: { post: true, put: true, default: null, convert: gatewayInfo },
  description: { post: true, put: true, default: "", validate: string(255) },
  routes: {
    post: false,
    put: true,
    convert: (v) => (v === null ? [] : v),
    validate: hostRoutes,
  },
  tags: readOnly,
  ...standard,
  project_id: project,
};

export interface RouterBody {
  readonly name?: string;
  readonly description?: string;
  readonly projectId?: string;
  readonly adminStateUp?: boolean;
  /** null: no gateway (or remove it); undefined: not given. */
  readonly gateway?: GatewayRequest | null;
  readonly routes?: readonly Route[];
}

export function parseRouter(body: unknown, operation: "create" | "update", caller: BodyCaller): RouterBody {
  const b = parseResource(body, ["router", "routers"], routerAttributes, operation, caller);
  return {
    ...(b.name === undefined ? {} : { name: b.name as string }),
    ...(b.description === undefined ? {} : { description: b.description as string }),
    ...(b.project_id === undefined ? {} : { projectId: b.project_id as string }),
    ...(b.admin_state_up === undefined ? {} : { adminStateUp: b.admin_state_up as boolean }),
    ...("external_gateway_info" in b ? { gateway: b.external_gateway_info as GatewayRequest | null } : {}),
    ...(b.routes === undefined
      ? {}
      : {
          routes: (b.routes as { destination: string; nexthop: string }[]).map((r) => ({
            destination: formatPrefix(parsePrefix(r.destination)!),
            nexthop: r.nexthop,
          })),
        }),
  };
}

/** add_router_interface / remove_router_interface: {"subnet_id": …} and/or {"port_id": …}. */
export function parseInterface(
  body: unknown,
  action: "add" | "remove",
): { subnetId?: string; portId?: string } {
  if (typeof body !== "object" || body === null || Array.isArray(body) || Object.keys(body).length === 0)
    throw badRequest("Resource body required");
  const b = body as Record<string, unknown>;
  const bad = (msg: string) => new ApiError(400, "BadRequest", `Bad router request: ${msg}.`);
  const subnetId = b.subnet_id;
  const portId = b.port_id;
  for (const value of [subnetId, portId])
    if (value !== undefined && uuid(value) !== undefined) throw bad(uuid(value)!);
  if (subnetId === undefined && portId === undefined)
    throw bad("Either subnet_id or port_id must be specified");
  if (action === "add" && subnetId !== undefined && portId !== undefined)
    throw bad("Cannot specify both subnet-id and port-id");
  return {
    ...(typeof subnetId === "string" ? { subnetId } : {}),
    ...(typeof portId === "string" ? { portId } : {}),
  };
}

const floatingIpAttributes: AttributeMap = {
  id: readOnly,
  floating_ip_address: { post: true, put: false, default: null, validate: ipAddressOrNone },
  subnet_id: { post: true, put: false, default: null, validate: uuidOrNone },
  floating_network_id: { post: true, put: false, validate: uuid },
  router_id: readOnly,
  port_id: { post: true, put: true, default: null, validate: uuidOrNone },
  fixed_ip_address: { post: true, put: true, default: null, validate: ipAddressOrNone },
  tenant_id: project,
  status: readOnly,
  description: { post: true, put: true, default: "", validate: string(255) },
  tags: readOnly,
  ...standard,
  project_id: project,
};

export interface FloatingIpBody {
  readonly floatingNetworkId?: string;
  readonly floatingIpAddress?: string | null;
  readonly subnetId?: string | null;
  /** null: not associated (or disassociate); undefined: not given. */
  readonly portId?: string | null;
  readonly fixedIpAddress?: string | null;
  readonly description?: string;
  readonly projectId?: string;
}

export function parseFloatingIp(
  body: unknown,
  operation: "create" | "update",
  caller: BodyCaller,
): FloatingIpBody {
  const b = parseResource(body, ["floatingip", "floatingips"], floatingIpAttributes, operation, caller);
  const out: Record<string, unknown> = {};
  const names: [string, string][] = [
    ["floating_network_id", "floatingNetworkId"],
    ["floating_ip_address", "floatingIpAddress"],
    ["subnet_id", "subnetId"],
    ["port_id", "portId"],
    ["fixed_ip_address", "fixedIpAddress"],
    ["description", "description"],
    ["project_id", "projectId"],
  ];
  for (const [from, to] of names) if (from in b) out[to] = b[from];
  return out as FloatingIpBody;
}
