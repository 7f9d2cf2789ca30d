// Packet codecs for the agent's DHCP and router-advertisement responder: whole frames decoded and built,
// each layer's codec (Ethernet, IPv4, IPv6, UDP, ICMPv6), the DHCPv4, DHCPv6 and Neighbor Discovery
// messages with their options. Knows nothing of OpenFlow, OVS or Neutron. Decoders throw
// PacketDecodeError, and only that; encoders refuse bad values with InvalidArgumentError before writing.
export type { PseudoHeader } from "./checksum.ts";
export { type ClasslessRoute, decodeClasslessRoutes, encodeClasslessRoutes } from "./classless-routes.ts";
export {
  BOOTP_MINIMUM_LENGTH,
  BootpOp,
  type DecodedDhcpv4Message,
  DHCPV4_MAGIC_COOKIE,
  type Dhcpv4EncodeOptions,
  type Dhcpv4Message,
  Dhcpv4MessageType,
  decodeDhcpv4,
  dhcpv4ClientMac,
  encodeDhcpv4,
  findDhcpv4Option,
} from "./dhcpv4.ts";
export {
  type DecodedDhcpv4Option,
  type Dhcpv4Option,
  Dhcpv4OptionCode,
  decodeDhcpv4OptionList,
  encodeDhcpv4OptionList,
} from "./dhcpv4-options.ts";
export { buildDhcpv4ReplyOptions, type Dhcpv4ReplyOptions, parseDhcpv4ReplyOptions } from "./dhcpv4-reply.ts";
export { type Dhcpv4RequestOptions, parseDhcpv4RequestOptions } from "./dhcpv4-request.ts";
export { type Dhcpv6Message, Dhcpv6MessageType, decodeDhcpv6, encodeDhcpv6 } from "./dhcpv6.ts";
export {
  type Dhcpv6Option,
  Dhcpv6OptionCode,
  type Dhcpv6OptionKind,
  Dhcpv6Status,
  findDhcpv6Option,
} from "./dhcpv6-options.ts";
export { DuidType, duidLinkLayer, type ParsedDuid, parseDuid } from "./duid.ts";
export { PacketDecodeError } from "./errors.ts";
export {
  decodeEthernet,
  type EthernetFrame,
  type EthernetHeader,
  type EthernetHeaderInput,
  EtherType,
  encodeEthernet,
  type VlanTag,
} from "./ethernet.ts";
export { type DecodedFrame, DhcpPort, decodeFrame, type OtherFrame, type OtherReason } from "./frame.ts";
export { decodeIcmpv6, encodeIcmpv6, type Icmpv6Message, Icmpv6Type } from "./icmpv6.ts";
export {
  decodeIpv4,
  encodeIpv4,
  IpProtocol,
  type Ipv4Header,
  type Ipv4HeaderInput,
  type Ipv4Packet,
} from "./ipv4.ts";
export { formatIpv4, parseIpv4 } from "./ipv4-address.ts";
export {
  decodeIpv6,
  encodeIpv6,
  type Ipv6ExtensionHeader,
  type Ipv6Header,
  type Ipv6HeaderInput,
  type Ipv6Packet,
} from "./ipv6.ts";
export { formatIpv6, linkLocalOfMac, parseIpv6 } from "./ipv6-address.ts";
export { formatMac, parseMac } from "./mac-address.ts";
export {
  decodeNeighborSolicitation,
  decodeRouterAdvertisement,
  decodeRouterSolicitation,
  encodeRouterAdvertisement,
  type NeighborSolicitation,
  type RouterAdvertisement,
  type RouterSolicitation,
} from "./nd-messages.ts";
export { findNdOption, type NdOption, NdOptionType } from "./nd-options.ts";
export {
  buildDhcpv4Frame,
  buildDhcpv6Frame,
  buildRouterAdvertisementFrame,
  type Dhcpv4FrameInput,
  type Dhcpv6FrameInput,
  type EthernetAddressing,
  type RouterAdvertisementFrameInput,
} from "./reply-frames.ts";
export { decodeUdp, encodeUdp, type UdpDatagram, type UdpPorts } from "./udp.ts";
