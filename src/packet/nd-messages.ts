/**
 * The Neighbor Discovery messages a router's responder handles (RFC 4861 §4): router solicitations and
 * neighbour solicitations decoded and checked as §6.1.1 and §7.1.1 require of a receiver, router
 * advertisements decoded and encoded.
 */
import { InvalidArgumentError } from "../base/index.ts";
import type { PseudoHeader } from "./checksum.ts";
import { checkUint } from "./field-checks.ts";
import { encodeIcmpv6, type Icmpv6Message, Icmpv6Type } from "./icmpv6.ts";
import {
  formatIpv6,
  isLinkLocalIpv6,
  isMulticastIpv6,
  isUnspecifiedIpv6,
  parseIpv6,
} from "./ipv6-address.ts";
import { findNdOption, type NdOption, readNdOptions, writeNdOptions } from "./nd-options.ts";
import { PacketReader } from "./reader.ts";
import { PacketWriter } from "./writer.ts";

/** The IPv6 fields a receiver checks a solicitation against. */
export interface NdIpContext {
  readonly hopLimit: number;
  readonly src: string;
}

export interface RouterSolicitation {
  readonly options: readonly NdOption[];
  /** From the source link-layer address option; absent when the host has no address yet. */
  readonly sourceLinkLayerAddress?: string;
}

/** §6.1.1: hop limit 255 (it came from this link), code 0, no link-layer address from the unspecified source. */
export function decodeRouterSolicitation(icmp: Icmpv6Message, ip: NdIpContext): RouterSolicitation {
  const r = bodyReader(icmp, Icmpv6Type.routerSolicitation, ip);
  r.skip(4, "reserved");
  const options = readNdOptions(r);
  const slla = findNdOption(options, "sourceLinkLayerAddress");
  if (slla !== undefined && isUnspecifiedIpv6(parseIpv6(ip.src)))
    r.fail("source link-layer address option", "comes from the unspecified address (RFC 4861 §6.1.1)", 8);
  return slla === undefined ? { options } : { options, sourceLinkLayerAddress: slla.address };
}

export interface NeighborSolicitation {
  readonly target: string;
  readonly options: readonly NdOption[];
  readonly sourceLinkLayerAddress?: string;
}

/** §7.1.1: hop limit 255, code 0, a target that is not multicast, no link-layer address with a DAD probe. */
export function decodeNeighborSolicitation(icmp: Icmpv6Message, ip: NdIpContext): NeighborSolicitation {
  const r = bodyReader(icmp, Icmpv6Type.neighborSolicitation, ip);
  r.skip(4, "reserved");
  const targetBytes = r.view(16, "target address");
  if (isMulticastIpv6(targetBytes)) r.fail("target address", "is multicast (RFC 4861 §7.1.1)", 8);
  const target = formatIpv6(targetBytes);
  const options = readNdOptions(r);
  const slla = findNdOption(options, "sourceLinkLayerAddress");
  if (slla !== undefined && isUnspecifiedIpv6(parseIpv6(ip.src)))
    r.fail("source link-layer address option", "comes with a duplicate address probe (RFC 4861 §7.1.1)", 24);
  return slla === undefined ? { target, options } : { target, options, sourceLinkLayerAddress: slla.address };
}

export interface RouterAdvertisement {
  /** 0: unspecified by this router. */
  readonly curHopLimit: number;
  /** M: addresses from DHCPv6. */
  readonly managed: boolean;
  /** O: other configuration from DHCPv6. */
  readonly other: boolean;
  /** Seconds as a default router; 0: not a default router. */
  readonly routerLifetime: number;
  /** Milliseconds; 0: unspecified. */
  readonly reachableTime: number;
  readonly retransTimer: number;
  readonly options: readonly NdOption[];
}

const MANAGED = 0x80;
const OTHER = 0x40;

/** §4.2. Decoded as a router reads another's: its flags past M and O (RFC 4191, RFC 6275) are not kept. */
export function decodeRouterAdvertisement(icmp: Icmpv6Message): RouterAdvertisement {
  const r = bodyReader(icmp, Icmpv6Type.routerAdvertisement);
  const curHopLimit = r.u8("cur hop limit");
  const flags = r.u8("flags");
  const routerLifetime = r.u16("router lifetime");
  const reachableTime = r.u32("reachable time");
  const retransTimer = r.u32("retrans timer");
  const options = readNdOptions(r);
  return {
    curHopLimit,
    managed: (flags & MANAGED) !== 0,
    other: (flags & OTHER) !== 0,
    routerLifetime,
    reachableTime,
    retransTimer,
    options,
  };
}

/**
 * The whole ICMPv6 message, checksum filled in. The source must be link-local: hosts drop any other
 * (§6.1.2), and they key default routers on it.
 */
export function encodeRouterAdvertisement(ra: RouterAdvertisement, pseudo: PseudoHeader): Buffer {
  if (pseudo.version !== 6 || !isLinkLocalIpv6(parseIpv6(pseudo.src, "source")))
    throw new InvalidArgumentError(
      "source",
      `must be a link-local address (RFC 4861 §6.1.2), got ${pseudo.src}`,
    );
  // §6.2.1: AdvReachableTime is at most an hour.
  if (ra.reachableTime > 3_600_000)
    throw new InvalidArgumentError(
      "reachableTime",
      `${ra.reachableTime} ms is more than an hour (RFC 4861 §6.2.1)`,
    );
  const w = new PacketWriter(128);
  w.u8(checkUint("curHopLimit", ra.curHopLimit, 8))
    .u8((ra.managed ? MANAGED : 0) | (ra.other ? OTHER : 0))
    .u16(checkUint("routerLifetime", ra.routerLifetime, 16))
    .u32(checkUint("reachableTime", ra.reachableTime, 32))
    .u32(checkUint("retransTimer", ra.retransTimer, 32));
  writeNdOptions(w, ra.options, "options");
  return encodeIcmpv6(Icmpv6Type.routerAdvertisement, 0, w.finish(), pseudo);
}

/** A reader past the 4-byte ICMPv6 header, after the checks every ND message has (§6.1, §7.1). */
function bodyReader(icmp: Icmpv6Message, type: number, ip?: NdIpContext): PacketReader {
  const r = new PacketReader(icmp.bytes, "icmpv6", 4);
  if (icmp.type !== type) r.fail("type", `is ${icmp.type}, expected ${type}`, 0);
  if (icmp.code !== 0) r.fail("code", `is ${icmp.code}, must be 0 (RFC 4861 §4)`, 1);
  // A hop limit of 255 proves the sender is on the link: no router forwarded it.
  if (ip !== undefined && ip.hopLimit !== 255)
    r.fail("IPv6 hop limit", `is ${ip.hopLimit}, must be 255 (RFC 4861 §6.1.1, §7.1.1)`, 0);
  return r;
}
