/**
 * An IPv6 lease as its punt flows carry it (controller userdata), beside the IPv4 layout of userdata.ts:
 *
 *   0     version (1)            1     family (6)
 *   2–7   the client's MAC       8–13  the server's MAC
 *   14    flags: 0x01 advertise, 0x02 M, 0x04 O, 0x08 A; 0x30 the DHCPv6 mode (0 none, 1 stateful,
 *         2 stateless)
 *   15    prefix length          16–31 prefix                 32–47 the port's address
 *   48–51 MTU                    52–55 lease seconds (0xffffffff: infinite)
 *   56–57 router lifetime        58–59 MaxRtrAdvInterval
 *   60    number of DNS servers n, then 16 bytes each
 *   then  the number of domains m, then each: its length, then its ASCII
 */
import { InvalidArgumentError } from "../../../base/index.ts";
import { formatIpv6, formatMac, parseIpv6, parseMac } from "../../../packet/index.ts";
import type { Dhcpv6Mode, Lease6 } from "./lease6.ts";

const VERSION = 1;
const FIXED = 61;
const Flag = { advertise: 0x01, managed: 0x02, other: 0x04, autonomous: 0x08 } as const;
const MODES: readonly Dhcpv6Mode[] = ["none", "stateful", "stateless"];
const MODE_SHIFT = 4;

/** Whether punt userdata is an IPv6 lease (of any version): the family byte. */
export const isLease6 = (userdata: Uint8Array) => userdata.length > 1 && userdata[1] === 6;

export function encodeLease6(lease: Lease6): Buffer {
  const fixed = Buffer.alloc(FIXED);
  fixed[0] = VERSION;
  fixed[1] = 6;
  parseMac(lease.clientMac).copy(fixed, 2);
  parseMac(lease.serverMac).copy(fixed, 8);
  fixed[14] =
    (lease.advertise ? Flag.advertise : 0) |
    (lease.managed ? Flag.managed : 0) |
    (lease.other ? Flag.other : 0) |
    (lease.autonomous ? Flag.autonomous : 0) |
    (MODES.indexOf(lease.dhcpv6) << MODE_SHIFT);
  fixed[15] = lease.prefixLength;
  parseIpv6(lease.prefix).copy(fixed, 16);
  parseIpv6(lease.address).copy(fixed, 32);
  fixed.writeUInt32BE(lease.mtu, 48);
  fixed.writeUInt32BE(lease.leaseSeconds < 0 ? 0xffffffff : lease.leaseSeconds, 52);
  fixed.writeUInt16BE(lease.routerLifetime, 56);
  fixed.writeUInt16BE(lease.raIntervalSeconds, 58);
  const dns = lease.dnsServers.slice(0, 255);
  fixed[60] = dns.length;
  const domains = lease.domains.slice(0, 255).map((d) => Buffer.from(d, "ascii"));
  return Buffer.concat([
    fixed,
    ...dns.map((d) => parseIpv6(d)),
    Buffer.from([domains.length]),
    ...domains.flatMap((d) => [Buffer.from([d.length]), d]),
  ]);
}

/** The lease a punt carried; throws InvalidArgumentError for bytes that are not one of this layout. */
export function decodeLease6(bytes: Uint8Array): Lease6 {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const refuse = (why: string) => new InvalidArgumentError("dhcp userdata", why);
  if (b.length < FIXED + 1 || b[0] !== VERSION || b[1] !== 6)
    throw refuse(`not a version ${VERSION} IPv6 lease (${b.length} bytes)`);
  const flags = b[14]!;
  const dhcpv6 = MODES[(flags >> MODE_SHIFT) & 0x3];
  if (dhcpv6 === undefined) throw refuse(`unknown DHCPv6 mode in flags 0x${flags.toString(16)}`);
  if (b[15]! > 128) throw refuse(`prefix length ${b[15]} is over 128`);
  const n = b[60]!;
  let at = FIXED + 16 * n;
  const short = () => refuse(`${b.length} bytes do not hold ${n} DNS servers and the domains`);
  if (b.length < at + 1) throw short();
  const domains: string[] = [];
  for (let m = b[at++]!; m > 0; m--) {
    const length = b[at];
    if (length === undefined || b.length < at + 1 + length) throw short();
    domains.push(b.subarray(at + 1, at + 1 + length).toString("ascii"));
    at += 1 + length;
  }
  if (at !== b.length) throw short();
  return {
    clientMac: formatMac(b.subarray(2, 8)),
    serverMac: formatMac(b.subarray(8, 14)),
    advertise: (flags & Flag.advertise) !== 0,
    managed: (flags & Flag.managed) !== 0,
    other: (flags & Flag.other) !== 0,
    autonomous: (flags & Flag.autonomous) !== 0,
    dhcpv6,
    prefixLength: b[15]!,
    prefix: formatIpv6(b.subarray(16, 32)),
    address: formatIpv6(b.subarray(32, 48)),
    mtu: b.readUInt32BE(48),
    leaseSeconds: b.readUInt32BE(52),
    routerLifetime: b.readUInt16BE(56),
    raIntervalSeconds: b.readUInt16BE(58),
    dnsServers: Array.from({ length: n }, (_, i) =>
      formatIpv6(b.subarray(FIXED + 16 * i, FIXED + 16 * i + 16)),
    ),
    domains,
  };
}
