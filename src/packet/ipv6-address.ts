/**
 * IPv6 addresses: sixteen bytes on the wire, RFC 5952 text. Written here rather than taken from
 * node:net: SocketAddress prints `::1:2` as `::0.1.0.2` (libuv's inet_ntop treats any address whose first
 * 96 bits are zero as IPv4-compatible), where RFC 5952 §5 keeps dotted quads for IPv4-mapped ones.
 */
import { isIPv6 } from "node:net";
import { InvalidArgumentError } from "../base/index.ts";
import { formatIpv4, isIpv4, parseIpv4 } from "./ipv4-address.ts";

export function formatIpv6(bytes: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  // §5: ::ffff:0:0/96 (IPv4-mapped, RFC 4291 §2.5.5.2) ends in the dotted quad.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff)
    return `::ffff:${formatIpv4(bytes.subarray(12, 16))}`;
  // §4.2: "::" replaces the longest run of zero groups, the first of equal runs, and never a single one.
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j;
  }
  // §4.1 and §4.3: no leading zeros, lower case.
  const hex = (from: number, to: number) =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(":");
  if (best.start < 0) return hex(0, 8);
  return `${hex(0, best.start)}::${hex(best.start + best.length, 8)}`;
}

/** Sixteen bytes from any RFC 4291 §2.2 text form; zone indexes (`%eth0`) are refused. */
export function parseIpv6(text: string, field = "address"): Buffer {
  const dotted = text.slice(text.lastIndexOf(":") + 1);
  if (!isIPv6(text) || text.includes("%") || (dotted.includes(".") && !isIpv4(dotted)))
    throw new InvalidArgumentError(
      field,
      `must be an IPv6 address like 2001:db8::1, got ${JSON.stringify(text)}`,
    );
  // A trailing dotted quad (RFC 4291 §2.2 form 3) is the last two groups in hex.
  let hex = text;
  if (dotted.includes(".")) {
    const v4 = parseIpv4(dotted, field);
    hex = `${text.slice(0, text.length - dotted.length)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const [head = "", rest] = hex.split("::");
  const groupsOf = (s: string) => (s === "" ? [] : s.split(":").map((g) => Number.parseInt(g, 16)));
  const left = groupsOf(head);
  const right = rest === undefined ? [] : groupsOf(rest);
  const groups = [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => {
    out.writeUInt16BE(g, 2 * i);
  });
  return out;
}

/** fe80::/10 (RFC 4291 §2.5.6): the only source a router advertisement may have (RFC 4861 §6.1.2). */
export function isLinkLocalIpv6(bytes: Uint8Array): boolean {
  return bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80;
}

export function isMulticastIpv6(bytes: Uint8Array): boolean {
  return bytes[0] === 0xff;
}

export function isUnspecifiedIpv6(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}

/**
 * The link-local address a MAC's interface configures for itself (RFC 4291 §2.5.1 and appendix A: the
 * modified EUI-64 interface identifier, the universal/local bit flipped, in fe80::/64).
 */
export function linkLocalOfMac(mac: Uint8Array): string {
  const out = Buffer.alloc(16);
  out[0] = 0xfe;
  out[1] = 0x80;
  out[8] = mac[0]! ^ 0x02;
  out[9] = mac[1]!;
  out[10] = mac[2]!;
  out[11] = 0xff;
  out[12] = 0xfe;
  out[13] = mac[3]!;
  out[14] = mac[4]!;
  out[15] = mac[5]!;
  return formatIpv6(out);
}
