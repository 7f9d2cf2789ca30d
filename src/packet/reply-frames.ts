/**
 * Whole reply frames for a packet-out: Ethernet + IPv4 + UDP + DHCPv4, Ethernet + IPv6 + UDP + DHCPv6,
 * Ethernet + IPv6 + ICMPv6 router advertisement, every length and checksum filled in.
 */
import { InvalidArgumentError } from "../base/index.ts";
import type { PseudoHeader } from "./checksum.ts";
import { type Dhcpv4EncodeOptions, type Dhcpv4Message, encodeDhcpv4 } from "./dhcpv4.ts";
import { type Dhcpv6Message, encodeDhcpv6 } from "./dhcpv6.ts";
import { EtherType, encodeEthernet, type VlanTag } from "./ethernet.ts";
import { DhcpPort } from "./frame.ts";
import { encodeIpv4, IpProtocol, type Ipv4HeaderInput } from "./ipv4.ts";
import { encodeIpv6, type Ipv6HeaderInput } from "./ipv6.ts";
import { encodeRouterAdvertisement, type RouterAdvertisement } from "./nd-messages.ts";
import { encodeUdp, type UdpPorts } from "./udp.ts";

export interface EthernetAddressing {
  readonly src: string;
  readonly dst: string;
  /** Outermost first; usually none, since OVS pushes the network's VLAN on output. */
  readonly vlanTags?: readonly VlanTag[];
}

export interface Dhcpv4FrameInput {
  readonly ethernet: EthernetAddressing;
  readonly ipv4: Omit<Ipv4HeaderInput, "protocol">;
  /** 67 → 68 unless given (to a relay: 67 → 67, RFC 2131 §4.1). */
  readonly udp?: Partial<UdpPorts>;
  readonly dhcpv4: Dhcpv4Message;
  readonly encoding?: Dhcpv4EncodeOptions;
}

export function buildDhcpv4Frame(input: Dhcpv4FrameInput): Buffer {
  const ports = {
    srcPort: input.udp?.srcPort ?? DhcpPort.v4Server,
    dstPort: input.udp?.dstPort ?? DhcpPort.v4Client,
  };
  const pseudo: PseudoHeader = { version: 4, src: input.ipv4.src, dst: input.ipv4.dst };
  const udp = encodeUdp(ports, encodeDhcpv4(input.dhcpv4, input.encoding), pseudo);
  const ipv4 = encodeIpv4({ ...input.ipv4, protocol: IpProtocol.udp }, udp);
  return encodeEthernet({ ...input.ethernet, ethertype: EtherType.ipv4 }, ipv4);
}

export interface Dhcpv6FrameInput {
  readonly ethernet: EthernetAddressing;
  readonly ipv6: Omit<Ipv6HeaderInput, "protocol" | "extensionHeaders">;
  /** 547 → 546 unless given. */
  readonly udp?: Partial<UdpPorts>;
  readonly dhcpv6: Dhcpv6Message;
}

export function buildDhcpv6Frame(input: Dhcpv6FrameInput): Buffer {
  const ports = {
    srcPort: input.udp?.srcPort ?? DhcpPort.v6Server,
    dstPort: input.udp?.dstPort ?? DhcpPort.v6Client,
  };
  const pseudo: PseudoHeader = { version: 6, src: input.ipv6.src, dst: input.ipv6.dst };
  const udp = encodeUdp(ports, encodeDhcpv6(input.dhcpv6), pseudo);
  const ipv6 = encodeIpv6({ ...input.ipv6, protocol: IpProtocol.udp }, udp);
  return encodeEthernet({ ...input.ethernet, ethertype: EtherType.ipv6 }, ipv6);
}

export interface RouterAdvertisementFrameInput {
  readonly ethernet: EthernetAddressing;
  /** The source must be link-local; the hop limit is 255 (RFC 4861 §4.2), the only value hosts accept. */
  readonly ipv6: Omit<Ipv6HeaderInput, "protocol" | "extensionHeaders">;
  readonly routerAdvertisement: RouterAdvertisement;
}

export function buildRouterAdvertisementFrame(input: RouterAdvertisementFrameInput): Buffer {
  const hopLimit = input.ipv6.hopLimit ?? 255;
  if (hopLimit !== 255)
    throw new InvalidArgumentError("ipv6.hopLimit", `must be 255 (RFC 4861 §4.2), got ${hopLimit}`);
  const pseudo: PseudoHeader = { version: 6, src: input.ipv6.src, dst: input.ipv6.dst };
  const icmpv6 = encodeRouterAdvertisement(input.routerAdvertisement, pseudo);
  const ipv6 = encodeIpv6({ ...input.ipv6, hopLimit, protocol: IpProtocol.icmpv6 }, icmpv6);
  return encodeEthernet({ ...input.ethernet, ethertype: EtherType.ipv6 }, ipv6);
}
