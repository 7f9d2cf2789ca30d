/**
 * The value shapes of RFC 2132's options, read with the option's code and offset in any error and
 * written with the caller's field name in any refusal.
 */
import { InvalidArgumentError } from "../base/index.ts";
import type { DecodedDhcpv4Option } from "./dhcpv4-options.ts";
import { PacketDecodeError } from "./errors.ts";
import { checkAscii, checkUint } from "./field-checks.ts";
import { formatIpv4, parseIpv4 } from "./ipv4-address.ts";

export function optionFault(option: DecodedDhcpv4Option, problem: string): never {
  throw new PacketDecodeError("dhcpv4", `option ${option.code}`, option.offset, problem);
}

function exactly(option: DecodedDhcpv4Option, length: number): Buffer {
  if (option.data.length !== length)
    optionFault(option, `has length ${option.data.length}, must be ${length}`);
  return option.data;
}

export const readU8 = (option: DecodedDhcpv4Option) => exactly(option, 1)[0]!;
export const readU16 = (option: DecodedDhcpv4Option) => exactly(option, 2).readUInt16BE(0);
export const readU32 = (option: DecodedDhcpv4Option) => exactly(option, 4).readUInt32BE(0);
export const readIpv4 = (option: DecodedDhcpv4Option) => formatIpv4(exactly(option, 4));

/** A list of one or more addresses (routers, DNS servers: RFC 2132 §3.5, §3.8). */
export function readIpv4List(option: DecodedDhcpv4Option): string[] {
  const { data } = option;
  if (data.length === 0 || data.length % 4 !== 0)
    optionFault(option, `has length ${data.length}, must be a positive multiple of 4`);
  return Array.from({ length: data.length / 4 }, (_, i) => formatIpv4(data.subarray(4 * i, 4 * i + 4)));
}

/** NVT ASCII text of at least one byte (RFC 2132 §3.14, §3.17). Trailing NULs, which some clients add, are dropped. */
export function readText(option: DecodedDhcpv4Option): string {
  if (option.data.length === 0) optionFault(option, "is empty, must hold at least 1 byte");
  let end = option.data.length;
  while (end > 0 && option.data[end - 1] === 0) end--;
  return option.data.toString("latin1", 0, end);
}

/** At least `min` bytes, as given. */
export function readBytes(option: DecodedDhcpv4Option, min: number): Buffer {
  if (option.data.length < min)
    optionFault(option, `has length ${option.data.length}, must be at least ${min}`);
  return option.data;
}

export function u8Data(field: string, value: number): Buffer {
  return Buffer.of(checkUint(field, value, 8));
}

export function u16Data(field: string, value: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(checkUint(field, value, 16));
  return out;
}

export function u32Data(field: string, value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(checkUint(field, value, 32));
  return out;
}

export function ipv4ListData(field: string, addresses: readonly string[]): Buffer {
  return Buffer.concat(addresses.map((a, i) => parseIpv4(a, `${field}[${i}]`)));
}

export function textData(field: string, text: string): Buffer {
  if (text.length === 0) throw new InvalidArgumentError(field, "must not be empty");
  return Buffer.from(checkAscii(field, text), "latin1");
}
