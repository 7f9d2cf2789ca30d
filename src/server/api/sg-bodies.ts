/**
 * Request bodies of security groups, their rules and templates, address groups and quotas, checked
 * against Neutron's attribute maps (neutron/extensions/securitygroup.py, security_groups_default_rules.py,
 * neutron-lib address_group.py, the stateful-security-group, standard-attr-description and project-id
 * additions, quotasv2.py) so every error is Neutron's.
 */
import { ApiError } from "../api-errors.ts";
import { parseIp } from "../ipam.ts";
import type { TemplateCreate } from "../services/default-sg-rules.ts";
import { type Limits, QUOTA_RESOURCES } from "../services/quotas.ts";
import type { RuleCreate } from "../services/security-group-rules.ts";
import {
  convertEthertype,
  convertPort,
  convertPrefix,
  convertProtocol,
  formatPrefix,
  parsePrefix,
} from "../services/sg-rule-values.ts";
import {
  type Attribute,
  type AttributeMap,
  type BodyCaller,
  listOf,
  nameString,
  parseResource,
  parseResources,
  pyStr,
  range,
  string,
  toBoolean,
  toInt,
  values,
} from "./attributes.ts";

const readOnly = { post: false, put: false } as const;
const project = { post: true, put: false, validate: string(255) } as const;
const standard = { revision_number: readOnly, created_at: readOnly, updated_at: readOnly } as const;

/** name_not_default: a second group called default (in any case) is a conflict, not a bad request. */
const nameNotDefault = (value: unknown): string | undefined => {
  const reason = string(255)(value);
  if (reason !== undefined) return reason;
  if ((value as string).toLowerCase() === "default")
    throw new ApiError(409, "SecurityGroupDefaultAlreadyExists", "Default security group already exists.");
  return undefined;
};

const securityGroupAttributes: AttributeMap = {
  id: readOnly,
  name: { post: true, put: true, default: "", validate: nameNotDefault },
  tenant_id: project,
  security_group_rules: readOnly,
  description: { post: true, put: true, default: "", validate: string(255) },
  stateful: { post: true, put: true, default: true, convert: toBoolean },
  shared: readOnly,
  tags: readOnly,
  ...standard,
  project_id: project,
};

/** A remote is any text (Neutron does not check its form: an unknown id is simply not found). */
const remote: Attribute = {
  post: true,
  put: false,
  default: null,
  convert: (v) => (v === null || v === undefined ? null : pyStr(v)),
};

const ruleValueAttributes: AttributeMap = {
  remote_group_id: remote,
  direction: { post: true, put: false, validate: values(["ingress", "egress"]) },
  protocol: { post: true, put: false, default: null, convert: convertProtocol },
  port_range_min: { post: true, put: false, default: null, convert: convertPort },
  port_range_max: { post: true, put: false, default: null, convert: convertPort },
  ethertype: { post: true, put: false, default: "IPv4", convert: convertEthertype },
  remote_ip_prefix: { post: true, put: false, default: null, convert: convertPrefix },
};

const ruleAttributes: AttributeMap = {
  id: readOnly,
  security_group_id: { post: true, put: false, validate: string(36) },
  ...ruleValueAttributes,
  tenant_id: project,
  description: { post: true, put: false, default: "", validate: string(255) },
  remote_address_group_id: remote,
  normalized_cidr: readOnly,
  belongs_to_default_sg: readOnly,
  ...standard,
  project_id: project,
};

const templateAttributes: AttributeMap = {
  id: readOnly,
  tenant_id: project,
  description: { post: true, put: false, default: "", validate: string(1024) },
  remote_group_id: remote,
  remote_address_group_id: remote,
  ...ruleValueAttributes,
  used_in_default_sg: { post: true, put: false, convert: toBoolean },
  used_in_non_default_sg: { post: true, put: false, convert: toBoolean },
  project_id: project,
};

/**
 * validate_subnet: an address with a prefix length, IPv4 written canonically (netaddr's str() gives it
 * back unchanged; host bits may be set).
 */
function subnetReason(value: unknown): string | undefined {
  const prefix = typeof value === "string" && value.includes("/") ? parsePrefix(value) : undefined;
  const ok = prefix !== undefined && (prefix.version === 6 || formatPrefix(prefix) === value);
  return ok ? undefined : `'${pyStr(value)}' is not a valid IP subnet`;
}

/** validate_subnet_list. */
const subnetListReason = listOf(subnetReason);

const addressGroupAttributes: AttributeMap = {
  id: readOnly,
  name: { post: true, put: true, default: "", validate: nameString(255) },
  description: { post: true, put: true, default: "", validate: string(1024) },
  project_id: project,
  tenant_id: project,
  addresses: {
    post: true,
    put: false,
    default: [],
    convert: (v) => (v === null ? [] : v),
    validate: subnetListReason,
  },
  shared: readOnly,
  ...standard,
};

export interface SecurityGroupBody {
  readonly name?: string;
  readonly description?: string;
  readonly stateful?: boolean;
  readonly project_id?: string;
}

type Operation = "create" | "update";

export const parseSecurityGroups = (body: unknown, caller: BodyCaller) =>
  parseResources(body, ["security_group", "security_groups"], securityGroupAttributes, caller) as {
    items: SecurityGroupBody[];
    bulk: boolean;
  };

export const parseSecurityGroupUpdate = (body: unknown, caller: BodyCaller): SecurityGroupBody =>
  parseResource(body, ["security_group", "security_groups"], securityGroupAttributes, "update", caller);

export const parseSecurityGroupRules = (body: unknown, caller: BodyCaller) =>
  parseResources(
    body,
    ["security_group_rule", "security_group_rules"],
    ruleAttributes,
    caller,
  ) as unknown as {
    items: RuleCreate[];
    bulk: boolean;
  };

export const parseTemplate = (body: unknown, caller: BodyCaller): TemplateCreate =>
  parseResource(
    body,
    ["default_security_group_rule", "default_security_group_rules"],
    templateAttributes,
    "create",
    caller,
  ) as unknown as TemplateCreate;

export interface AddressGroupBody {
  readonly name?: string;
  readonly description?: string;
  readonly project_id?: string;
  readonly addresses?: string[];
}

export const parseAddressGroup = (
  body: unknown,
  operation: Operation,
  caller: BodyCaller,
): AddressGroupBody =>
  parseResource(body, ["address_group", "address_groups"], addressGroupAttributes, operation, caller);

/** The body of add_addresses / remove_addresses: {"addresses": [...]}. */
/**
 * The body of add_addresses / remove_addresses. A bare address stands for its host prefix (/32, /128):
 * Neutron reads these lists with netaddr.IPNetwork, not the attribute map's subnet check.
 */
export function parseAddresses(body: unknown): string[] {
  if (typeof body !== "object" || body === null || Array.isArray(body) || !("addresses" in body))
    throw new ApiError(400, "HTTPBadRequest", "Unable to find 'addresses' in request body");
  const given = (body as { addresses: unknown }).addresses;
  const addresses = Array.isArray(given)
    ? given.map((a) => {
        const ip = typeof a === "string" && !a.includes("/") ? parseIp(a) : undefined;
        return ip === undefined ? a : `${a}/${ip.version === 4 ? 32 : 128}`;
      })
    : given;
  const reason = subnetListReason(addresses);
  if (reason !== undefined)
    throw new ApiError(400, "HTTPBadRequest", `Invalid input for addresses. Reason: ${reason}.`);
  return addresses as string[];
}

const quotaAttributes: AttributeMap = Object.fromEntries(
  QUOTA_RESOURCES.map((r) => [
    r,
    { post: false, put: true, convert: toInt, validate: range(-1, 2 ** 31 - 1) },
  ]),
);

/** {"quota": {<resource>: limit, …, "force"?: bool}}; `force` lowers a limit below what is used. */
export function parseQuotaUpdate(
  body: unknown,
  caller: BodyCaller,
): { limits: Partial<Limits>; force: boolean } {
  const inner =
    typeof body === "object" && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>).quota
      : undefined;
  let force = false;
  let rest = body;
  if (typeof inner === "object" && inner !== null && !Array.isArray(inner)) {
    const { force: f, check_limit: _, ...others } = inner as Record<string, unknown>;
    force = f === true;
    rest = { quota: others };
  }
  const limits = parseResource(
    rest,
    ["quota", "quotas"],
    quotaAttributes,
    "update",
    caller,
  ) as Partial<Limits>;
  return { limits, force };
}
