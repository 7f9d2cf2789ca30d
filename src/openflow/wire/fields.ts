/**
 * The match and action fields Weir uses, with their wire identities (ovs-fields(7)). Each field is encoded
 * with one header — the OXM basic one when OpenFlow defines it, else Nicira's NXM — and decoded from every
 * header that means the same thing, so that a flow reads back equal to how it was written whichever
 * encoding Open vSwitch chooses for a dump.
 */

/** OXM classes (OpenFlow 1.5 §7.2.3.3). NXM_0/NXM_1 are Nicira's, accepted by OVS inside OXM matches. */
export const OxmClass = {
  nxm0: 0x0000,
  nxm1: 0x0001,
  basic: 0x8000,
  packetRegs: 0x8001,
  experimenter: 0xffff,
} as const;

export interface OxmHeader {
  readonly oxmClass: number;
  readonly field: number;
  /** Length of the value in bytes (the mask, when present, has the same length). */
  readonly bytes: number;
}

/** How values are written in ovs-ofctl syntax. */
export type ValueFormat = "decimal" | "hex" | "mac" | "ipv4" | "ipv6" | "port";

/** What must be matched exactly before a field may be (OVS rejects the flow with BAD_PREREQ otherwise). */
export type Prereq =
  | "none"
  | "ipv4"
  | "ipv6"
  | "ip"
  | "arp"
  | "tcp"
  | "udp"
  | "sctp"
  | "icmp"
  | "icmpv6"
  | "nd";

export interface FieldDef {
  /** ovs-fields(7) name, used as the key in matches and in ovs-ofctl text. */
  readonly name: string;
  readonly bits: number;
  readonly maskable: boolean;
  readonly format: ValueFormat;
  readonly prereq: Prereq;
  readonly header: OxmHeader;
  /** The header's symbolic name, for subfield syntax in ovs-ofctl text (e.g. NXM_NX_REG0[0..15]). */
  readonly headerName: string;
  /** False for fields that are canonicalised into another field when matched (vlan_vid → vlan_tci). */
  readonly matchable: boolean;
}

const h = (oxmClass: number, field: number, bytes: number): OxmHeader => ({ oxmClass, field, bytes });

function def(
  name: string,
  bits: number,
  maskable: boolean,
  format: ValueFormat,
  prereq: Prereq,
  header: OxmHeader,
  headerName: string,
  matchable = true,
): FieldDef {
  return { name, bits, maskable, format, prereq, header, headerName, matchable };
}

const B = OxmClass.basic;
const N0 = OxmClass.nxm0;
const N1 = OxmClass.nxm1;

const defs: FieldDef[] = [
  def("in_port", 32, false, "port", "none", h(B, 0, 4), "OXM_OF_IN_PORT"),
  def("metadata", 64, true, "hex", "none", h(B, 2, 8), "OXM_OF_METADATA"),
  def("eth_dst", 48, true, "mac", "none", h(B, 3, 6), "OXM_OF_ETH_DST"),
  def("eth_src", 48, true, "mac", "none", h(B, 4, 6), "OXM_OF_ETH_SRC"),
  def("eth_type", 16, false, "hex", "none", h(B, 5, 2), "OXM_OF_ETH_TYPE"),
  def("vlan_tci", 16, true, "hex", "none", h(N0, 4, 2), "NXM_OF_VLAN_TCI"),
  def("vlan_vid", 16, true, "decimal", "none", h(B, 6, 2), "OXM_OF_VLAN_VID", false),
  def("vlan_pcp", 8, false, "decimal", "none", h(B, 7, 1), "OXM_OF_VLAN_PCP", false),
  def("ip_proto", 8, false, "decimal", "ip", h(B, 10, 1), "OXM_OF_IP_PROTO"),
  // The DSCP as a 6-bit number (OVS meta-flow.h MFF_IP_DSCP_SHIFTED, "ip_dscp"): IPv4's TOS or IPv6's
  // traffic class shifted right 2 bits. Not maskable; OVS dumps OpenFlow 1.2+ matches with this header
  // (nx-match.c nx_put_raw). Its NXM twin NXM_OF_IP_TOS is "nw_tos", unshifted: see IP_TOS_HEADER.
  def("ip_dscp", 6, false, "decimal", "ip", h(B, 8, 1), "OXM_OF_IP_DSCP"),
  def("ip_src", 32, true, "ipv4", "ipv4", h(B, 11, 4), "OXM_OF_IPV4_SRC"),
  def("ip_dst", 32, true, "ipv4", "ipv4", h(B, 12, 4), "OXM_OF_IPV4_DST"),
  def("tcp_src", 16, true, "decimal", "tcp", h(B, 13, 2), "OXM_OF_TCP_SRC"),
  def("tcp_dst", 16, true, "decimal", "tcp", h(B, 14, 2), "OXM_OF_TCP_DST"),
  def("udp_src", 16, true, "decimal", "udp", h(B, 15, 2), "OXM_OF_UDP_SRC"),
  def("udp_dst", 16, true, "decimal", "udp", h(B, 16, 2), "OXM_OF_UDP_DST"),
  def("sctp_src", 16, true, "decimal", "sctp", h(B, 17, 2), "OXM_OF_SCTP_SRC"),
  def("sctp_dst", 16, true, "decimal", "sctp", h(B, 18, 2), "OXM_OF_SCTP_DST"),
  def("icmp_type", 8, false, "decimal", "icmp", h(B, 19, 1), "OXM_OF_ICMPV4_TYPE"),
  def("icmp_code", 8, false, "decimal", "icmp", h(B, 20, 1), "OXM_OF_ICMPV4_CODE"),
  def("arp_op", 16, false, "decimal", "arp", h(B, 21, 2), "OXM_OF_ARP_OP"),
  def("arp_spa", 32, true, "ipv4", "arp", h(B, 22, 4), "OXM_OF_ARP_SPA"),
  def("arp_tpa", 32, true, "ipv4", "arp", h(B, 23, 4), "OXM_OF_ARP_TPA"),
  def("arp_sha", 48, true, "mac", "arp", h(B, 24, 6), "OXM_OF_ARP_SHA"),
  def("arp_tha", 48, true, "mac", "arp", h(B, 25, 6), "OXM_OF_ARP_THA"),
  def("ipv6_src", 128, true, "ipv6", "ipv6", h(B, 26, 16), "OXM_OF_IPV6_SRC"),
  def("ipv6_dst", 128, true, "ipv6", "ipv6", h(B, 27, 16), "OXM_OF_IPV6_DST"),
  def("icmpv6_type", 8, false, "decimal", "icmpv6", h(B, 29, 1), "OXM_OF_ICMPV6_TYPE"),
  def("icmpv6_code", 8, false, "decimal", "icmpv6", h(B, 30, 1), "OXM_OF_ICMPV6_CODE"),
  def("nd_target", 128, true, "ipv6", "nd", h(B, 31, 16), "OXM_OF_IPV6_ND_TARGET"),
  def("tun_id", 64, true, "hex", "none", h(B, 38, 8), "OXM_OF_TUNNEL_ID"),
  def("tcp_flags", 16, true, "hex", "tcp", h(B, 42, 2), "OXM_OF_TCP_FLAGS"),
  def("tun_src", 32, true, "ipv4", "none", h(N1, 31, 4), "NXM_NX_TUN_IPV4_SRC"),
  def("tun_dst", 32, true, "ipv4", "none", h(N1, 32, 4), "NXM_NX_TUN_IPV4_DST"),
  def("pkt_mark", 32, true, "hex", "none", h(N1, 33, 4), "NXM_NX_PKT_MARK"),
  def("conj_id", 32, false, "decimal", "none", h(N1, 37, 4), "NXM_NX_CONJ_ID"),
  def("ct_state", 32, true, "hex", "none", h(N1, 105, 4), "NXM_NX_CT_STATE"),
  def("ct_zone", 16, false, "hex", "none", h(N1, 106, 2), "NXM_NX_CT_ZONE"),
  def("ct_mark", 32, true, "hex", "none", h(N1, 107, 4), "NXM_NX_CT_MARK"),
  def("ct_label", 128, true, "hex", "none", h(N1, 108, 16), "NXM_NX_CT_LABEL"),
  // The 16-bit OpenFlow 1.0 in_port: only as a subfield (learn, move); matches use the 32-bit one.
  def("nxm_in_port", 16, false, "decimal", "none", h(N0, 0, 2), "NXM_OF_IN_PORT", false),
  ...Array.from({ length: 16 }, (_, i) =>
    def(`reg${i}`, 32, true, "hex", "none", h(N1, i, 4), `NXM_NX_REG${i}`),
  ),
];

/** Headers that decode to a field but are not its encoding (NXM twins of OXM fields). */
const aliases: [OxmHeader, string][] = [
  [h(N0, 1, 6), "eth_dst"],
  [h(N0, 2, 6), "eth_src"],
  [h(N0, 3, 2), "eth_type"],
  [h(N0, 6, 1), "ip_proto"],
  [h(N0, 7, 4), "ip_src"],
  [h(N0, 8, 4), "ip_dst"],
  [h(N0, 9, 2), "tcp_src"],
  [h(N0, 10, 2), "tcp_dst"],
  [h(N0, 11, 2), "udp_src"],
  [h(N0, 12, 2), "udp_dst"],
  [h(N0, 13, 1), "icmp_type"],
  [h(N0, 14, 1), "icmp_code"],
  [h(N0, 15, 2), "arp_op"],
  [h(N0, 16, 4), "arp_spa"],
  [h(N0, 17, 4), "arp_tpa"],
  [h(N1, 16, 8), "tun_id"],
  [h(N1, 17, 6), "arp_sha"],
  [h(N1, 18, 6), "arp_tha"],
  [h(N1, 19, 16), "ipv6_src"],
  [h(N1, 20, 16), "ipv6_dst"],
  [h(N1, 21, 1), "icmpv6_type"],
  [h(N1, 22, 1), "icmpv6_code"],
  [h(N1, 23, 16), "nd_target"],
  [h(N1, 34, 2), "tcp_flags"],
];

/**
 * NXM_OF_IP_TOS, OVS's "nw_tos" (meta-flow.h MFF_IP_DSCP): the same DSCP bits in place, bits 2-7 of a byte.
 * OVS keeps a set_field or load on nw_tos as such and dumps it with this header (`set_field:104->nw_tos`,
 * `set_field:4/0x4->nw_tos` for a load of one bit), so decoders read it as ip_dscp shifted right by
 * IP_TOS_SHIFT. It is not in the header registry: as a subfield reference its bit offsets would differ.
 */
export const IP_TOS_HEADER: OxmHeader = h(N0, 5, 1);
export const IP_TOS_SHIFT = 2;

/** Whether a header is NXM_OF_IP_TOS (see IP_TOS_HEADER). */
export const isIpTosHeader = (oxmClass: number, field: number): boolean =>
  oxmClass === IP_TOS_HEADER.oxmClass && field === IP_TOS_HEADER.field;

export const fieldsByName: ReadonlyMap<string, FieldDef> = new Map(defs.map((d) => [d.name, d]));

const headerKey = (oxmClass: number, field: number) => (oxmClass << 8) | field;

const fieldsByHeader = new Map<number, FieldDef>(
  defs.map((d) => [headerKey(d.header.oxmClass, d.header.field), d]),
);
for (const [header, name] of aliases)
  fieldsByHeader.set(headerKey(header.oxmClass, header.field), fieldsByName.get(name)!);

/** The field a header means, or undefined for one we do not model. */
export function fieldForHeader(oxmClass: number, field: number): FieldDef | undefined {
  return fieldsByHeader.get(headerKey(oxmClass, field));
}

export function fieldNamed(name: string): FieldDef | undefined {
  return fieldsByName.get(name);
}

export const allOnes = (bits: number): bigint => (1n << BigInt(bits)) - 1n;
