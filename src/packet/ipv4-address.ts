/** IPv4 addresses: four bytes on the wire, dotted decimal as text (no leading zeros, which some parsers read as octal). */
import { InvalidArgumentError } from "../base/index.ts";

export function formatIpv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

const octet = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const dotted = new RegExp(`^${octet}\\.${octet}\\.${octet}\\.${octet}$`);

export function isIpv4(text: string): boolean {
  return dotted.test(text);
}

export function parseIpv4(text: string, field = "address"): Buffer {
  if (!isIpv4(text))
    throw new InvalidArgumentError(
      field,
      `must be an IPv4 address like 192.0.2.1, got ${JSON.stringify(text)}`,
    );
  return Buffer.from(text.split(".").map(Number));
}

/** Whether a dotted mask is contiguous ones then zeros, the only masks hosts configure. */
export function isContiguousMask(mask: Uint8Array): boolean {
  const value = ((mask[0]! << 24) | (mask[1]! << 16) | (mask[2]! << 8) | mask[3]!) >>> 0;
  const inverted = ~value >>> 0;
  return (inverted & (inverted + 1)) === 0;
}
