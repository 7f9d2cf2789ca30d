/**
 * The values of a security-group rule as Neutron converts, checks and compares them
 * (neutron/extensions/securitygroup.py converters, neutron/db/securitygroups_db.py checks): protocols by
 * name or number stored as given, port ranges per protocol, ICMP type and code, the ethertype against the
 * prefix and the protocol, one remote at most, and the key that finds duplicates. Pure functions, shared by
 * rules and their templates.
 */
import { ApiError } from "../api-errors.ts";
import { formatIp, type IpVersion, parseIp } from "../ipam.ts";

/** neutron-lib IP_PROTOCOL_MAP, in its order (the order shows in an error message). */
const PROTOCOLS: readonly (readonly [string, number])[] = [
  ["ah", 51],
  ["dccp", 33],
  ["egp", 8],
  ["esp", 50],
  ["gre", 47],
  ["hopopt", 0],
  ["icmp", 1],
  ["igmp", 2],
  ["ip", 0],
  ["ipip", 4],
  ["ipv6-encap", 41],
  ["ipv6-frag", 44],
  ["ipv6-icmp", 58],
  ["icmpv6", 58], // the legacy name, accepted and stored as given with IPv4… and canonicalised with IPv6
  ["ipv6-nonxt", 59],
  ["ipv6-opts", 60],
  ["ipv6-route", 43],
  ["ospf", 89],
  ["pgm", 113],
  ["rsvp", 46],
  ["sctp", 132],
  ["tcp", 6],
  ["udp", 17],
  ["udplite", 136],
  ["vrrp", 112],
];
const NUMBER_OF = new Map(PROTOCOLS);
/** Number → name, the legacy icmpv6 left out (neutron-lib IP_PROTOCOL_NUM_TO_NAME_MAP: the last name wins). */
const NAME_OF = new Map(
  PROTOCOLS.filter(([name]) => name !== "icmpv6").map(([name, n]) => [String(n), name]),
);

/** Protocols whose rules may carry a port range (neutron/common/_constants.py SG_PORT_PROTO_*). */
const PORT_PROTOCOLS = [33, 132, 6, 17, 136];
const PORT_PROTOCOL_NAMES = "DCCP, SCTP, TCP, UDP, UDPLITE";
const ICMP = [1, 58];
/** Protocols only IPv6 has, by name and number (_validate_ethertype_and_protocol). */
const IPV6_ONLY = ["ipv6-encap", "ipv6-frag", "ipv6-icmp", "icmpv6", "ipv6-nonxt", "ipv6-opts", "ipv6-route"];
const IPV6_ONLY_NUMBERS = ["41", "44", "58", "59", "60", "43"];

export type Ethertype = "IPv4" | "IPv6";
export const ETHERTYPES: readonly Ethertype[] = ["IPv4", "IPv6"];

/** What a rule (or a template) says about traffic: the fields the duplicate check compares. */
export interface RuleValues {
  readonly direction: "ingress" | "egress";
  readonly ethertype: Ethertype;
  /** As given (a name in lower case, or a number as a string), null for any. */
  readonly protocol: string | null;
  readonly port_range_min: number | null;
  readonly port_range_max: number | null;
  /** With its host bits, as given ("10.0.0.34/24"), a mask added when there was none. */
  readonly remote_ip_prefix: string | null;
  readonly remote_group_id: string | null;
  readonly remote_address_group_id: string | null;
}

const invalid = (type: string, message: string) => new ApiError(400, type, message);

const pyTuple = (items: readonly (string | null)[]) =>
  `(${items.map((i) => (i === null ? "None" : `'${i}'`)).join(", ")})`;
const SUPPORTED = pyTuple([null, "any", ...PROTOCOLS.map(([name]) => name)]);

/** convert_protocol: null and "any" are any; a number 0–255 is kept as its text; a name in lower case. */
export function convertProtocol(value: unknown): string | null {
  if (value === null || value === undefined || value === "any") return null;
  const refused = () =>
    invalid(
      "SecurityGroupRuleInvalidProtocol",
      `Security group rule protocol ${String(value)} not supported. Only protocol values ${SUPPORTED} and integer representations [0 to 255] are supported.`,
    );
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 0 && value <= 255) return String(value);
    throw refused();
  }
  if (typeof value !== "string") throw refused();
  if (/^\s*[+-]?\d+\s*$/.test(value)) {
    const n = Number(value);
    if (n >= 0 && n <= 255) return value;
    throw refused();
  }
  if (NUMBER_OF.has(value.toLowerCase())) return value.toLowerCase();
  throw refused();
}

/** convert_ethertype_to_case_insensitive. */
export function convertEthertype(value: unknown): Ethertype {
  const found =
    typeof value === "string" ? ETHERTYPES.find((e) => e.toLowerCase() === value.toLowerCase()) : undefined;
  if (found === undefined)
    throw invalid(
      "SecurityGroupRuleInvalidEtherType",
      `Security group rule for ethertype '${String(value)}' not supported. Allowed values are ['IPv4', 'IPv6'].`,
    );
  return found;
}

/** convert_validate_port_value: null, or an integer 0–65535 (also as text). */
export function convertPort(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n =
    typeof value === "number"
      ? value
      : typeof value === "string" && /^\s*[+-]?\d+\s*$/.test(value)
        ? Number(value)
        : Number.NaN;
  if (Number.isInteger(n) && n >= 0 && n <= 65535) return n;
  throw invalid("SecurityGroupInvalidPortValue", `Invalid value for port ${String(value)}`);
}

/** An address with a prefix length, host bits kept (what netaddr.IPNetwork holds). */
export interface IpPrefix {
  readonly version: IpVersion;
  readonly value: bigint;
  readonly prefix: number;
}

/** "10.0.0.34/24", "10.0.0.1" (a /32), "2001:db8::/64"; undefined when it is none of these. */
export function parsePrefix(text: string): IpPrefix | undefined {
  const [address, length, ...rest] = text.split("/");
  if (address === undefined || rest.length > 0) return undefined;
  const ip = parseIp(address);
  if (ip === undefined) return undefined;
  const max = ip.version === 4 ? 32 : 128;
  if (length === undefined) return { ...ip, prefix: max };
  if (!/^\d{1,3}$/.test(length) || Number(length) > max) return undefined;
  return { ...ip, prefix: Number(length) };
}

export const formatPrefix = (p: IpPrefix) => `${formatIp(p.version, p.value)}/${p.prefix}`;

/** The network of a prefix: "10.0.0.34/24" → "10.0.0.0/24" (normalized_cidr, address groups). */
export function networkOf(p: IpPrefix): IpPrefix {
  const bits = p.version === 4 ? 32 : 128;
  const host = (1n << BigInt(bits - p.prefix)) - 1n;
  return { ...p, value: p.value & ~host & ((1n << BigInt(bits)) - 1n) };
}

/** convert_ip_prefix_to_cidr: the prefix with its mask, or null for none. */
export function convertPrefix(value: unknown): string | null {
  if (value === null || value === undefined || value === "") return null;
  const parsed = typeof value === "string" ? parsePrefix(value) : undefined;
  if (parsed === undefined)
    throw new ApiError(400, "InvalidCIDR", `Invalid CIDR ${String(value)} given as IP prefix.`);
  return formatPrefix(parsed);
}

export function normalizedCidr(prefix: string | null): string | null {
  const parsed = prefix === null ? undefined : parsePrefix(prefix);
  return parsed === undefined ? null : formatPrefix(networkOf(parsed));
}

/** The protocol's number, or undefined for any (names, legacy names and numbers alike). */
export function protocolNumber(protocol: string | null): number | undefined {
  if (protocol === null) return undefined;
  return NUMBER_OF.get(protocol) ?? Number(protocol);
}

/**
 * Neutron's checks on a rule's values, in its order (_validate_base_security_group_rule_attributes), with
 * its canonical forms applied first: ICMP with IPv6 becomes ipv6-icmp (or 58), and the whole port range
 * 1–65535 becomes no range. Returns the values as they are stored.
 */
export function checkRuleValues(rule: RuleValues): RuleValues {
  let { protocol, port_range_min: min, port_range_max: max } = rule;
  if (rule.ethertype === "IPv6") {
    if (protocol === "icmp" || protocol === "icmpv6") protocol = "ipv6-icmp";
    else if (protocol === "1") protocol = "58";
  }
  if (min === 1 && max === 65535) min = max = null;
  checkPortRange(protocol, min, max);
  if (rule.remote_ip_prefix !== null) {
    const prefix = parsePrefix(rule.remote_ip_prefix)!;
    if (rule.ethertype !== `IPv${prefix.version}`)
      throw invalid(
        "SecurityGroupRuleParameterConflict",
        `Conflicting value ethertype ${rule.ethertype} for CIDR ${rule.remote_ip_prefix}`,
      );
  }
  if (
    rule.ethertype === "IPv4" &&
    protocol !== null &&
    [...IPV6_ONLY, ...IPV6_ONLY_NUMBERS].includes(protocol)
  )
    throw invalid(
      "SecurityGroupEthertypeConflictWithProtocol",
      `Invalid ethertype ${rule.ethertype} for protocol ${protocol}.`,
    );
  const remotes = [rule.remote_ip_prefix, rule.remote_group_id, rule.remote_address_group_id];
  if (remotes.filter((r) => r !== null && r !== "").length > 1)
    throw invalid(
      "SecurityGroupMultipleRemoteEntites",
      "Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.",
    );
  return { ...rule, protocol, port_range_min: min, port_range_max: max };
}

function checkPortRange(protocol: string | null, min: number | null, max: number | null): void {
  if (min === null && max === null) return;
  if (protocol === null)
    throw invalid(
      "SecurityGroupProtocolRequiredWithPorts",
      "Must also specify protocol if port range is given.",
    );
  const number = protocolNumber(protocol)!;
  if (PORT_PROTOCOLS.includes(number)) {
    if (min === 0 || max === 0) throw invalid("SecurityGroupInvalidPortValue", "Invalid value for port 0");
    if (min === null || max === null || min > max)
      throw invalid(
        "SecurityGroupInvalidPortRange",
        "For TCP/UDP protocols, port_range_min must be <= port_range_max",
      );
  } else if (ICMP.includes(number)) {
    for (const [value, attr, field] of [
      [min, "port_range_min", "type"],
      [max, "port_range_max", "code"],
    ] as const) {
      if (value !== null && (value < 0 || value > 255))
        throw invalid(
          "SecurityGroupInvalidIcmpValue",
          `Invalid value for ICMP ${field} (${attr}) ${value}. It must be 0 to 255.`,
        );
    }
    if (min === null && max !== null)
      throw invalid(
        "SecurityGroupMissingIcmpType",
        `ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing.`,
      );
  } else {
    throw invalid(
      "SecurityGroupInvalidProtocolForPort",
      `Ports cannot be specified for protocol ${number}. Ports are only supported for ${PORT_PROTOCOL_NAMES}.`,
    );
  }
}

/**
 * The duplicate key (Neutron's _rule_to_key): the nine compared fields, the protocol as its (name, number)
 * pair so "tcp" equals "6", and any-address prefixes equal to none. Other prefixes compare as stored.
 */
export function ruleKey(rule: RuleValues, securityGroupId: string | null): string {
  const none = "+";
  const prefix =
    rule.remote_ip_prefix === null ||
    rule.remote_ip_prefix === "0.0.0.0/0" ||
    rule.remote_ip_prefix === "::/0"
      ? none
      : rule.remote_ip_prefix;
  return [
    rule.direction,
    rule.ethertype,
    rule.port_range_max ?? none,
    rule.port_range_min ?? none,
    protocolPair(rule.protocol, rule.ethertype) ?? none,
    rule.remote_group_id ?? none,
    rule.remote_address_group_id ?? none,
    prefix,
    securityGroupId ?? none,
  ].join("_");
}

function protocolPair(protocol: string | null, ethertype: Ethertype): string | undefined {
  if (protocol === null) return undefined;
  let p = protocol;
  if (ethertype === "IPv6") {
    if (p === "icmp" || p === "icmpv6") p = "ipv6-icmp";
    else if (p === "1") p = "58";
  }
  if (NUMBER_OF.has(p)) return `${p}/${NUMBER_OF.get(p)}`;
  const name = NAME_OF.get(p);
  return name === undefined ? `${p}/${p}` : `${name}/${p}`;
}
