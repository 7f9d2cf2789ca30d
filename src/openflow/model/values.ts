import { InvalidArgumentError } from "../../base/index.ts";
import { allOnes, type FieldDef } from "../wire/fields.ts";

/** Parses a field value written the way operators write it: "fa:16:3e:00:00:01", "198.19.0.0/16", 42, 0x1005n. */
export function parseValue(def: FieldDef, input: unknown, what = def.name): { value: bigint; mask?: bigint } {
  if (Array.isArray(input) && input.length === 2) {
    return { value: parseScalar(def, input[0], what), mask: parseScalar(def, input[1], `${what} mask`) };
  }
  if (typeof input === "string" && input.includes("/")) {
    const [value, mask] = input.split("/", 2) as [string, string];
    return { value: parseScalar(def, value, what), mask: parsePrefixOrMask(def, mask, what) };
  }
  return { value: parseScalar(def, input, what) };
}

function parsePrefixOrMask(def: FieldDef, text: string, what: string): bigint {
  if ((def.format === "ipv4" || def.format === "ipv6") && /^\d{1,3}$/.test(text)) {
    const prefix = Number(text);
    if (prefix > def.bits)
      throw new InvalidArgumentError(what, `prefix /${prefix} is longer than ${def.bits} bits`);
    return prefix === 0 ? 0n : allOnes(def.bits) ^ allOnes(def.bits - prefix);
  }
  return parseScalar(def, text, `${what} mask`);
}

export function parseScalar(def: FieldDef, input: unknown, what: string): bigint {
  let value: bigint | undefined;
  if (typeof input === "bigint") value = input;
  else if (typeof input === "number" && Number.isSafeInteger(input) && input >= 0) value = BigInt(input);
  else if (typeof input === "string") value = parseText(def, input.trim());
  if (value === undefined || value < 0n) {
    throw new InvalidArgumentError(
      what,
      `${JSON.stringify(String(input))} is not a valid ${def.format} value`,
    );
  }
  if (value > allOnes(def.bits)) {
    throw new InvalidArgumentError(what, `${formatValue(def, value)} does not fit in ${def.bits} bits`);
  }
  return value;
}

function parseText(def: FieldDef, text: string): bigint | undefined {
  if (def.format === "mac" || (def.format === "hex" && text.includes(":") && def.bits === 48))
    return parseMac(text);
  if (def.format === "ipv4" && text.includes(".")) return parseIpv4(text);
  if (def.format === "ipv6" && text.includes(":")) return parseIpv6(text);
  if (/^0x[0-9a-f]+$/i.test(text)) return BigInt(text);
  if (/^\d+$/.test(text)) return BigInt(text);
  return undefined;
}

export function parseMac(text: string): bigint | undefined {
  if (!/^[0-9a-f]{1,2}(:[0-9a-f]{1,2}){5}$/i.test(text)) return undefined;
  return text.split(":").reduce((acc, part) => (acc << 8n) | BigInt(Number.parseInt(part, 16)), 0n);
}

export function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

export function parseIpv6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] === "" ? [] : halves[0]!.split(":");
  const tail = halves.length === 2 && halves[1] !== "" ? halves[1]!.split(":") : [];
  const groups =
    halves.length === 2 ? [...head, ...Array(8 - head.length - tail.length).fill("0"), ...tail] : head;
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

/** Writes a value in ovs-ofctl syntax for its field's format. */
export function formatValue(def: FieldDef, value: bigint): string {
  switch (def.format) {
    case "mac":
      return formatMac(value);
    case "ipv4":
      return formatIpv4(value);
    case "ipv6":
      return formatIpv6(value);
    case "decimal":
    case "port":
      return value.toString(10);
    case "hex":
      return `0x${value.toString(16)}`;
  }
}

/** value/mask in ovs-ofctl syntax; prefixes for contiguous IP masks. */
export function formatMasked(def: FieldDef, value: bigint, mask: bigint | undefined): string {
  if (mask === undefined) return formatValue(def, value);
  if (def.format === "ipv4" || def.format === "ipv6") {
    const prefix = prefixLength(mask, def.bits);
    if (prefix !== undefined) return `${formatValue(def, value)}/${prefix}`;
    return `${formatValue(def, value)}/${formatValue(def, mask)}`;
  }
  if (def.format === "mac") return `${formatMac(value)}/${formatMac(mask)}`;
  return `0x${value.toString(16)}/0x${mask.toString(16)}`;
}

function prefixLength(mask: bigint, bits: number): number | undefined {
  for (let prefix = 0; prefix <= bits; prefix++) {
    const candidate = prefix === 0 ? 0n : allOnes(bits) ^ allOnes(bits - prefix);
    if (candidate === mask) return prefix;
  }
  return undefined;
}

export function formatMac(value: bigint): string {
  return Array.from({ length: 6 }, (_, i) =>
    Number((value >> BigInt(8 * (5 - i))) & 0xffn)
      .toString(16)
      .padStart(2, "0"),
  ).join(":");
}

export function formatIpv4(value: bigint): string {
  return Array.from({ length: 4 }, (_, i) => Number((value >> BigInt(8 * (3 - i))) & 0xffn)).join(".");
}

export function formatIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(16 * (7 - i))) & 0xffffn));
  // RFC 5952: compress the longest run (length ≥ 2) of zero groups.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}
