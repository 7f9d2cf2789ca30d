// The frames of fixtures/dhcp.pcap (captured by fixtures/capture.sh), by what each one is. Byte-level
// notes are in the tests that use them.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { readPcap } from "./pcap.ts";

const names = [
  /** dnsmasq's unsolicited RA to ff02::1 — sent from its global address 2001:db8:1::1. */
  "raUnsolicited",
  /** The client's DAD probe for its link-local address (from ::, with a nonce option 14). */
  "nsDadClient",
  "nsDadServer",
  /** The client's router solicitation, from fe80::77:65ff:fe69:7201 with its link-layer address. */
  "rsClient",
  "nsServer",
  "naClient",
  /** dnsmasq's answer to rsClient, unicast — again from the global address. */
  "raSolicited",
  "rsServer",
  /** dhclient's DHCPDISCOVER: 0.0.0.0 → 255.255.255.255, options 53, 12, 55, padded to 300 bytes. */
  "discover",
  "rsClientAgain",
  /** dnsmasq's RA from its link-local address, unicast to the client. */
  "raLinkLocal",
  "nsDadClientGlobal",
  "rsServerAgain",
  "nsClient",
  "naServer",
  /** dnsmasq's DHCPOFFER of 198.18.0.125 with routers, DNS, domain, MTU 1450, classless routes. */
  "offer",
  "request",
  "ack",
  /** UDP 40000 → 9 "weir" in an IPv4 header with a Router Alert option (IHL 6). */
  "udpRouterAlert",
  /** 120 bytes of UDP payload over an MTU of 100: the first fragment (MF, offset 0)… */
  "fragmentFirst",
  /** …and the second (offset 80). */
  "fragmentSecond",
  "solicit",
  "advertise",
  "request6",
  "reply6",
] as const;

export type SampleName = (typeof names)[number];

const records = readPcap(readFileSync(new URL("fixtures/dhcp.pcap", import.meta.url)));
assert.equal(records.length, names.length, "dhcp.pcap holds the frames samples.ts names");
for (const r of records) assert.equal(r.data.length, r.originalLength, "no frame was cut by the snap length");

export const samples: Readonly<Record<SampleName, Buffer>> = Object.fromEntries(
  names.map((name, i) => [name, Buffer.from(records[i]!.data)]),
) as Record<SampleName, Buffer>;

export const sampleNames: readonly SampleName[] = names;

/** A copy of `frame` with an 802.1Q (or other) tag inserted after the MAC addresses. */
export function withTag(frame: Buffer, tpid: number, tci: number): Buffer {
  const tag = Buffer.alloc(4);
  tag.writeUInt16BE(tpid, 0);
  tag.writeUInt16BE(tci, 2);
  return Buffer.concat([frame.subarray(0, 12), tag, frame.subarray(12)]);
}

/** The bytes of a hex string, spaces allowed, for hand-built layouts. */
export function hex(text: string): Buffer {
  return Buffer.from(text.replaceAll(/\s+/g, ""), "hex");
}

/** The UDP payload of a captured IPv4 frame without options (Ethernet 14 + IPv4 20 + UDP 8 bytes). */
export const dhcpv4Of = (frame: Buffer) => frame.subarray(42);

/** The UDP payload of a captured IPv6 frame without extension headers (14 + 40 + 8 bytes). */
export const dhcpv6Of = (frame: Buffer) => frame.subarray(62);

/**
 * A BOOTP request by hand: op 1, Ethernet, xid 0x01020304, chaddr 02:77:65:69:72:01, the magic cookie,
 * then `options` as given (no End added). `sname` and `file` are written into their fields raw.
 */
export function bootp(options: Buffer, fields: { sname?: Buffer; file?: Buffer } = {}): Buffer {
  const fixed = Buffer.alloc(240);
  fixed.set([1, 1, 6, 0], 0);
  fixed.writeUInt32BE(0x01020304, 4);
  hex("027765697201").copy(fixed, 28);
  fields.sname?.copy(fixed, 44);
  fields.file?.copy(fixed, 108);
  fixed.writeUInt32BE(0x63825363, 236);
  return Buffer.concat([fixed, options]);
}

/** The ICMPv6 message of a captured frame without extension headers (14 + 40 bytes in). */
export const icmpv6Of = (frame: Buffer) => frame.subarray(54);
