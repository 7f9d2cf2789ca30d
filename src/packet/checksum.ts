/**
 * The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit words,
 * with the pseudo-headers of UDP (RFC 768 over IPv4, RFC 8200 §8.1 over IPv6) and ICMPv6 (RFC 4443 §2.3).
 */
import { parseIpv4 } from "./ipv4-address.ts";
import { parseIpv6 } from "./ipv6-address.ts";

/** The network-layer fields a transport checksum covers besides the segment itself. */
export interface PseudoHeader {
  readonly version: 4 | 6;
  readonly src: string;
  readonly dst: string;
}

/** The checksum over `parts` taken as one byte string (odd-length parts are joined correctly). */
export function internetChecksum(parts: readonly Uint8Array[]): number {
  let sum = 0;
  let odd = false;
  for (const part of parts) {
    for (const byte of part) {
      sum += odd ? byte : byte << 8;
      odd = !odd;
    }
    sum = fold(sum);
  }
  return ~fold(sum) & 0xffff;
}

/** The end-around carry: 16 bits plus whatever overflowed them, until nothing does. */
function fold(value: number): number {
  let sum = value;
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/** The pseudo-header bytes for a segment of `length` bytes of upper-layer `protocol`. */
export function pseudoHeaderBytes(pseudo: PseudoHeader, protocol: number, length: number): Buffer {
  if (pseudo.version === 4) {
    // RFC 768: source, destination, zero, protocol, UDP length.
    const out = Buffer.alloc(12);
    parseIpv4(pseudo.src, "pseudo-header source").copy(out, 0);
    parseIpv4(pseudo.dst, "pseudo-header destination").copy(out, 4);
    out[9] = protocol;
    out.writeUInt16BE(length, 10);
    return out;
  }
  // RFC 8200 §8.1: source, destination, 32-bit upper-layer length, three zeros, next header.
  const out = Buffer.alloc(40);
  parseIpv6(pseudo.src, "pseudo-header source").copy(out, 0);
  parseIpv6(pseudo.dst, "pseudo-header destination").copy(out, 16);
  out.writeUInt32BE(length, 32);
  out[39] = protocol;
  return out;
}

/**
 * The checksum of a transport segment under its pseudo-header. Computed over a segment whose checksum
 * field holds zero it is the value to write; over a received segment it is 0 when the segment is intact.
 */
export function transportChecksum(pseudo: PseudoHeader, protocol: number, segment: Uint8Array): number {
  return internetChecksum([pseudoHeaderBytes(pseudo, protocol, segment.length), segment]);
}

/** A checksum as a capture tool shows it, for error messages. */
export function formatChecksum(checksum: number): string {
  return `0x${checksum.toString(16).padStart(4, "0")}`;
}
