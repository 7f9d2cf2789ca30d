/**
 * Security-group rules as OpenFlow matches. A rule's protocol, ports and ICMP type/code become the L4
 * part; its remote is either a prefix (in the same flow) or a group or address group (a conjunction,
 * conjunctions.ts). Every rule flow's verdict is the same — accept — so flows that overlap at one
 * priority are harmless; priorities follow Neutron's 70–77 scheme (remote rules below plain ones, the
 * more specific L4 match higher), which keeps each conjunction's clauses at the priority of its id.
 */
import type { MatchSpec } from "../../../openflow/index.ts";
import type { SecurityGroupRuleInfo } from "../../../protocol/index.ts";
import { ETH, PROTO } from "./tables.ts";

export const RULE_PRIORITY_BASE = 70;

/** Neutron's flow_priority_offset: 0 any protocol, 1 ICMP without type, 2 ICMP type only, 3 the rest. */
export function priorityOffset(rule: SecurityGroupRuleInfo): number {
  if (rule.protocol === null) return 0;
  if (isIcmp(rule)) {
    if (rule.port_range_min === null) return 1;
    if (rule.port_range_max === null) return 2;
  }
  return 3;
}

export const hasRemote = (rule: SecurityGroupRuleInfo) =>
  rule.remote_group_id !== null || rule.remote_address_group_id !== null;

/** The flow priority of a rule: remote rules at 70–73, plain ones at 74–77. */
export const rulePriority = (rule: SecurityGroupRuleInfo) =>
  RULE_PRIORITY_BASE + (hasRemote(rule) ? 0 : 4) + priorityOffset(rule);

const isIcmp = (rule: SecurityGroupRuleInfo) =>
  (rule.ethertype === "IPv4" && rule.protocol === PROTO.icmp) ||
  (rule.ethertype === "IPv6" && rule.protocol === PROTO.icmpv6);

const l4PortField: Record<number, string> = {
  [PROTO.tcp]: "tcp_dst",
  [PROTO.udp]: "udp_dst",
  [PROTO.sctp]: "sctp_dst",
};

/**
 * A port range as value/mask pairs that together match exactly the range (1 for one port, at most 30
 * for a 16-bit range).
 */
export function portMasks(min: number, max: number): [number, number][] {
  const out: [number, number][] = [];
  let start = min;
  while (start <= max) {
    let size = 1;
    // The largest aligned block starting here that stays within the range.
    while ((start & (size * 2 - 1)) === 0 && start + size * 2 - 1 <= max && size < 0x10000) size *= 2;
    out.push([start, 0xffff & ~(size - 1)]);
    start += size;
  }
  return out;
}

/**
 * The L3/L4 matches of a rule (one per port-mask piece), without remote and without port or conntrack
 * fields. DCCP and UDP-Lite ranges cannot be matched by OpenFlow: such a rule matches its protocol, as
 * Neutron's OVS firewall does (docs/SECURITY-GROUPS.md says so).
 */
export function l4Matches(rule: SecurityGroupRuleInfo): MatchSpec[] {
  const eth = { eth_type: rule.ethertype === "IPv4" ? ETH.ipv4 : ETH.ipv6 };
  if (rule.protocol === null) return [eth];
  const base = { ...eth, ip_proto: rule.protocol };
  if (isIcmp(rule)) {
    const v4 = rule.ethertype === "IPv4";
    const type = v4 ? "icmp_type" : "icmpv6_type";
    const code = v4 ? "icmp_code" : "icmpv6_code";
    if (rule.port_range_min === null) return [base];
    return [
      {
        ...base,
        [type]: rule.port_range_min,
        ...(rule.port_range_max === null ? {} : { [code]: rule.port_range_max }),
      },
    ];
  }
  const field = l4PortField[rule.protocol];
  if (field === undefined || rule.port_range_min === null) return [base];
  const max = rule.port_range_max ?? rule.port_range_min;
  return portMasks(rule.port_range_min, max).map(([value, mask]) => ({
    ...base,
    [field]: mask === 0xffff ? value : [BigInt(value), BigInt(mask)],
  }));
}

/** The remote prefix's match: the source for ingress rules, the destination for egress ones. */
export function prefixMatch(rule: SecurityGroupRuleInfo): MatchSpec {
  if (rule.remote_ip_prefix === null) return {};
  const v4 = rule.ethertype === "IPv4";
  const field = rule.direction === "ingress" ? (v4 ? "ip_src" : "ipv6_src") : v4 ? "ip_dst" : "ipv6_dst";
  return { [field]: rule.remote_ip_prefix };
}
