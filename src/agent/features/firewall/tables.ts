/**
 * The firewall's tables, registers and conntrack conventions, numbered as Neutron's OVS firewall numbers
 * them so that an operator's `ovs-ofctl dump-flows br-int table=72` habits carry over:
 *
 *   60 (l2-base's TRANSIENT, a band)  classify: from a VIF → 71; to a VIF's MAC on its local VLAN → 81
 *   71 BASE_EGRESS           anti-spoofing: the VIF's own MACs and IPs, ARP/ND for them, DHCP client
 *   72 RULES_EGRESS          the VIF's egress rules, conntrack verdicts
 *   73 ACCEPT_OR_INGRESS     accepted egress to a local VIF goes through its ingress (81); the rest → 91
 *   81 BASE_INGRESS          ARP, ND, DHCP replies pass; IP goes through conntrack to 82
 *   82 RULES_INGRESS         the VIF's ingress rules, conntrack verdicts
 *   91 ACCEPTED_EGRESS       commit new (and re-allowed) connections, then 94
 *   92 ACCEPTED_INGRESS      commit new (and re-allowed) connections, then out the VIF
 *   93 DROPPED               drop (the one place to count or log what the firewall drops)
 *   94 ACCEPTED_EGRESS_TRAFFIC  NORMAL: delivery as L2 would have done it
 *
 * The firewall has no dispatcher stage: it lives in TRANSIENT's band, which frames reach only when every
 * other stage is done (QoS has marked them), and it ends in NORMAL or in output to the VIF itself.
 */
import { actions as A, type Subfield } from "../../../openflow/index.ts";

export const FwTable = {
  transient: 60,
  baseEgress: 71,
  rulesEgress: 72,
  acceptOrIngress: 73,
  baseIngress: 81,
  rulesIngress: 82,
  acceptedEgress: 91,
  acceptedIngress: 92,
  dropped: 93,
  acceptedEgressTraffic: 94,
} as const;

/**
 * reg5 = the VIF's ofport (the port a frame comes from in egress, goes to in ingress); reg6 = its
 * conntrack zone, which is its network's local VLAN. The zone must not change while connections live:
 * local VLANs are persisted in OVSDB (Port.other_config:net_uuid and tag) and restored by every start,
 * so a restart keeps every zone — and one zone per network, as Neutron's, keeps a VM-to-VM flow on one
 * host to a single conntrack entry seen by both ends' rules.
 */
export const PORT_REG: Subfield = A.subfield("reg5");
export const ZONE_REG: Subfield = A.subfield("reg6", 0, 15);

/** ct_state bits (ovs-fields(7)). */
export const Ct = { new: 0x01n, est: 0x02n, rel: 0x04n, rpl: 0x08n, inv: 0x10n, trk: 0x20n } as const;

/** A ct_state match: bits that must be set, bits that must be clear. */
export function ctState(set: readonly bigint[], clear: readonly bigint[] = []): readonly [bigint, bigint] {
  const on = set.reduce((a, b) => a | b, 0n);
  const off = clear.reduce((a, b) => a | b, 0n);
  return [on, on | off];
}

/** ct_mark bit 0: the connection is no longer allowed (a rule that allowed it went), as Neutron marks it. */
export const BLOCKED: readonly [bigint, bigint] = [1n, 1n];
export const NOT_BLOCKED: readonly [bigint, bigint] = [0n, 1n];

/** Priorities, by table. Rules use 70–77 (Neutron's scheme, rules.ts); the rest sit around them. */
export const Prio = {
  /** TRANSIENT band (above l2-base's NORMAL at 0–9). */
  fromVif: 100,
  toVif: 90,
  /** BASE_EGRESS */
  spoofable: 95,
  dhcpClient: 80,
  serverBan: 70,
  ipFromVif: 65,
  /** RULES_* */
  invalid: 100,
  conjAccept: 79,
  replies: 50,
  revoke: 40,
  /** ACCEPT_OR_INGRESS */
  localVif: 100,
  /** ACCEPTED_* */
  commitNew: 100,
  unblock: 90,
  output: 10,
  /** BASE_INGRESS */
  ingressPass: 100,
  dhcpReply: 95,
  stateless: 91,
  track: 90,
  tracked: 80,
} as const;

export const ETH = { ipv4: 0x0800, ipv6: 0x86dd, arp: 0x0806 } as const;
export const PROTO = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58, sctp: 132 } as const;
