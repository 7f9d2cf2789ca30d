/** The checks encoders make on what they are given, so a bad value fails before any byte is written. */
import { InvalidArgumentError } from "../base/index.ts";

/** An integer that fits in `bits` bits, unsigned. */
export function checkUint(field: string, value: number, bits: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 2 ** bits - 1)
    throw new InvalidArgumentError(field, `must be a whole number from 0 to ${2 ** bits - 1}, got ${value}`);
  return value;
}

export function checkRange(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new InvalidArgumentError(field, `must be a whole number from ${min} to ${max}, got ${value}`);
  return value;
}

export function checkMaxLength(field: string, data: Uint8Array, max: number): Uint8Array {
  if (data.length > max) throw new InvalidArgumentError(field, `is ${data.length} bytes, at most ${max} fit`);
  return data;
}

/** Printable ASCII without spaces (0x21–0x7e): what hostnames and domain names hold. */
export function checkAscii(field: string, text: string): string {
  if (!/^[\x21-\x7e]*$/.test(text))
    throw new InvalidArgumentError(field, `must be printable ASCII, got ${JSON.stringify(text)}`);
  return text;
}
