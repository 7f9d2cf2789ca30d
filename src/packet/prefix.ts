/** Address prefixes as CIDR text (`198.18.8.0/21`, `2001:db8:1::/64`), the form Neutron's subnets and routes use. */
import { InvalidArgumentError } from "../base/index.ts";
import { formatIpv4, parseIpv4 } from "./ipv4-address.ts";
import { formatIpv6, parseIpv6 } from "./ipv6-address.ts";

export interface ParsedPrefix {
  readonly address: Buffer;
  readonly length: number;
}

/** A prefix of the given family whose address has no bits set past its length. */
export function parsePrefix(text: string, family: 4 | 6, field: string): ParsedPrefix {
  const slash = text.indexOf("/");
  const max = family === 4 ? 32 : 128;
  const lengthText = text.slice(slash + 1);
  const length = Number(lengthText);
  if (slash < 0 || !/^(0|[1-9]\d{0,2})$/.test(lengthText) || length > max)
    throw new InvalidArgumentError(
      field,
      `must be an IPv${family} prefix (address/length), got ${JSON.stringify(text)}`,
    );
  const addressText = text.slice(0, slash);
  const address = family === 4 ? parseIpv4(addressText, field) : parseIpv6(addressText, field);
  if (!hostBitsClear(address, length))
    throw new InvalidArgumentError(field, `${text} has bits set past the prefix length`);
  return { address, length };
}

export function formatPrefix(address: Uint8Array, length: number): string {
  return `${address.length === 4 ? formatIpv4(address) : formatIpv6(address)}/${length}`;
}

/** Whether every bit of `address` past the first `length` is zero. */
export function hostBitsClear(address: Uint8Array, length: number): boolean {
  return address.every((b, i) => (b & (0xff >> prefixBitsOf(i, length))) === 0);
}

/** A copy of `address` with the bits past `length` cleared. */
export function maskTo(address: Uint8Array, length: number): Buffer {
  return Buffer.from(address.map((b, i) => b & ~(0xff >> prefixBitsOf(i, length)) & 0xff));
}

/** How many of byte `i`'s bits belong to a prefix of `length` bits. */
function prefixBitsOf(i: number, length: number): number {
  return Math.max(0, Math.min(8, length - i * 8));
}
