/**
 * One decode of a whole Ethernet frame down to what a DHCP and router-solicitation responder answers.
 * Frames it has no business with are `other`, with the reason and the layers read so far: that is not an
 * error. Malformed ones throw PacketDecodeError, and only that.
 */
import type { PseudoHeader } from "./checksum.ts";
import { type DecodedDhcpv4Message, decodeDhcpv4 } from "./dhcpv4.ts";
import { type Dhcpv6Message, decodeDhcpv6, isDhcpv6Relay } from "./dhcpv6.ts";
import { decodeEthernet, type EthernetFrame, EtherType } from "./ethernet.ts";
import { decodeIcmpv6, type Icmpv6Message, Icmpv6Type } from "./icmpv6.ts";
import { decodeIpv4, IpProtocol, type Ipv4Packet } from "./ipv4.ts";
import { decodeIpv6, type Ipv6Packet } from "./ipv6.ts";
import {
  decodeNeighborSolicitation,
  decodeRouterAdvertisement,
  decodeRouterSolicitation,
  type NeighborSolicitation,
  type RouterAdvertisement,
  type RouterSolicitation,
} from "./nd-messages.ts";
import { decodeUdp, type UdpDatagram } from "./udp.ts";

/** UDP ports of DHCPv4 (RFC 2131 §4.1) and DHCPv6 (RFC 8415 §7.2). */
export const DhcpPort = { v4Server: 67, v4Client: 68, v6Client: 546, v6Server: 547 } as const;

export type DecodedFrame =
  | {
      readonly kind: "dhcpv4";
      readonly ethernet: EthernetFrame;
      readonly ipv4: Ipv4Packet;
      readonly udp: UdpDatagram;
      readonly dhcpv4: DecodedDhcpv4Message;
    }
  | {
      readonly kind: "dhcpv6";
      readonly ethernet: EthernetFrame;
      readonly ipv6: Ipv6Packet;
      readonly udp: UdpDatagram;
      readonly dhcpv6: Dhcpv6Message;
    }
  | {
      readonly kind: "routerSolicitation";
      readonly ethernet: EthernetFrame;
      readonly ipv6: Ipv6Packet;
      readonly icmpv6: Icmpv6Message;
      readonly routerSolicitation: RouterSolicitation;
    }
  | {
      readonly kind: "routerAdvertisement";
      readonly ethernet: EthernetFrame;
      readonly ipv6: Ipv6Packet;
      readonly icmpv6: Icmpv6Message;
      readonly routerAdvertisement: RouterAdvertisement;
    }
  | {
      readonly kind: "neighborSolicitation";
      readonly ethernet: EthernetFrame;
      readonly ipv6: Ipv6Packet;
      readonly icmpv6: Icmpv6Message;
      readonly neighborSolicitation: NeighborSolicitation;
    }
  | OtherFrame;

/**
 * Why a frame is none of the above: its EtherType or IP protocol, a fragment (whose upper layer is
 * incomplete, or absent when it is not the first), UDP ports other than DHCP's, another ICMPv6 type, a
 * DHCPv6 relay message.
 */
export type OtherReason = "ethertype" | "ipProtocol" | "fragment" | "udpPort" | "icmpv6Type" | "dhcpv6Relay";

export interface OtherFrame {
  readonly kind: "other";
  readonly reason: OtherReason;
  readonly ethernet: EthernetFrame;
  readonly ipv4?: Ipv4Packet;
  readonly ipv6?: Ipv6Packet;
  readonly udp?: UdpDatagram;
  readonly icmpv6?: Icmpv6Message;
}

export function decodeFrame(frame: Uint8Array): DecodedFrame {
  const ethernet = decodeEthernet(frame);
  if (ethernet.ethertype === EtherType.ipv4) return decodeOverIpv4(ethernet);
  if (ethernet.ethertype === EtherType.ipv6) return decodeOverIpv6(ethernet);
  return { kind: "other", reason: "ethertype", ethernet };
}

function decodeOverIpv4(ethernet: EthernetFrame): DecodedFrame {
  const ipv4 = decodeIpv4(ethernet.payload);
  if (ipv4.protocol !== IpProtocol.udp) return { kind: "other", reason: "ipProtocol", ethernet, ipv4 };
  if (ipv4.fragment !== undefined) return { kind: "other", reason: "fragment", ethernet, ipv4 };
  const udp = decodeUdp(ipv4.payload, pseudoOf(4, ipv4));
  if (udp.dstPort !== DhcpPort.v4Server && udp.dstPort !== DhcpPort.v4Client)
    return { kind: "other", reason: "udpPort", ethernet, ipv4, udp };
  return { kind: "dhcpv4", ethernet, ipv4, udp, dhcpv4: decodeDhcpv4(udp.payload) };
}

function decodeOverIpv6(ethernet: EthernetFrame): DecodedFrame {
  const ipv6 = decodeIpv6(ethernet.payload);
  if (ipv6.fragment !== undefined) return { kind: "other", reason: "fragment", ethernet, ipv6 };
  if (ipv6.protocol === IpProtocol.udp) {
    const udp = decodeUdp(ipv6.payload, pseudoOf(6, ipv6));
    if (udp.dstPort !== DhcpPort.v6Server && udp.dstPort !== DhcpPort.v6Client)
      return { kind: "other", reason: "udpPort", ethernet, ipv6, udp };
    if (isDhcpv6Relay(udp.payload)) return { kind: "other", reason: "dhcpv6Relay", ethernet, ipv6, udp };
    return { kind: "dhcpv6", ethernet, ipv6, udp, dhcpv6: decodeDhcpv6(udp.payload) };
  }
  if (ipv6.protocol !== IpProtocol.icmpv6) return { kind: "other", reason: "ipProtocol", ethernet, ipv6 };
  const icmpv6 = decodeIcmpv6(ipv6.payload, pseudoOf(6, ipv6));
  switch (icmpv6.type) {
    case Icmpv6Type.routerSolicitation:
      return {
        kind: "routerSolicitation",
        ethernet,
        ipv6,
        icmpv6,
        routerSolicitation: decodeRouterSolicitation(icmpv6, ipv6),
      };
    case Icmpv6Type.routerAdvertisement:
      return {
        kind: "routerAdvertisement",
        ethernet,
        ipv6,
        icmpv6,
        routerAdvertisement: decodeRouterAdvertisement(icmpv6),
      };
    case Icmpv6Type.neighborSolicitation:
      return {
        kind: "neighborSolicitation",
        ethernet,
        ipv6,
        icmpv6,
        neighborSolicitation: decodeNeighborSolicitation(icmpv6, ipv6),
      };
    default:
      return { kind: "other", reason: "icmpv6Type", ethernet, ipv6, icmpv6 };
  }
}

const pseudoOf = (version: 4 | 6, ip: { readonly src: string; readonly dst: string }): PseudoHeader => ({
  version,
  src: ip.src,
  dst: ip.dst,
});
