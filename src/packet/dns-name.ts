/**
 * Domain names in DNS wire format (RFC 1035 §3.1): length-prefixed labels ending in the root's zero.
 * DHCPv6 (RFC 8415 §10) and the RA's DNS search list (RFC 8106 §5.2) forbid compression, so a pointer
 * is malformed here. Text is dotted, without the final dot; labels are printable ASCII without dots
 * (IDNs travel as A-labels), which keeps the text form unambiguous.
 */
import { InvalidArgumentError } from "../base/index.ts";
import type { PacketReader } from "./reader.ts";

/** RFC 1035 §2.3.4. */
const MAX_NAME = 255;
const MAX_LABEL = 63;

/** One name from `r`; the root alone (a single zero) is refused, as no list has a use for it. */
export function readDomainName(r: PacketReader, field: string): string {
  const start = r.offset;
  const labels: string[] = [];
  for (;;) {
    const at = r.offset;
    const length = r.u8(`${field} label length`);
    if (length === 0) break;
    if (length > MAX_LABEL)
      r.fail(
        field,
        `has a label length byte 0x${length.toString(16)} (compression and extended labels are not allowed)`,
        at,
      );
    const label = r.view(length, `${field} label`);
    if (!label.every((b) => b > 0x20 && b < 0x7f && b !== 0x2e))
      r.fail(field, "has a label that is not printable ASCII without dots", at);
    labels.push(label.toString("latin1"));
    if (r.offset - start + 1 > MAX_NAME) r.fail(field, `is longer than ${MAX_NAME} bytes`, start);
  }
  if (labels.length === 0) r.fail(field, "is the root alone, not a domain name", start);
  return labels.join(".");
}

export function encodeDomainName(field: string, name: string): Buffer {
  const text = name.endsWith(".") ? name.slice(0, -1) : name;
  const labels = text.split(".");
  if (text === "" || labels.some((l) => l.length === 0 || l.length > MAX_LABEL || !/^[\x21-\x7e]+$/.test(l)))
    throw new InvalidArgumentError(
      field,
      `must be a domain name of printable ASCII labels of 1 to 63 characters, got ${JSON.stringify(name)}`,
    );
  const out = Buffer.concat([
    ...labels.flatMap((l) => [Buffer.of(l.length), Buffer.from(l, "latin1")]),
    Buffer.of(0),
  ]);
  if (out.length > MAX_NAME)
    throw new InvalidArgumentError(field, `is ${out.length} bytes in wire format, at most ${MAX_NAME}`);
  return out;
}
