/**
 * Datum codec, RFC 7047 §5.1, driven by the column type so that JavaScript values have one shape per column:
 *
 *   column type                  JavaScript                   wire
 *   scalar   (min 1, max 1)      atom                         <atom>
 *   optional (min 0, max 1)      atom | null                  ["set", []] | <atom>
 *   set      (max > 1)           atom[]                       ["set", [...]] (or one bare <atom>)
 *   map      (has "value")       Record<string, atom>         ["map", [[k, v], ...]]
 *                                (Map<atom, atom> when the key is not a string)
 *
 * uuid atoms are strings: a UUID is sent as ["uuid", u]; any other identifier as ["named-uuid", name]
 * (RFC 7047 §5.1: a named-uuid refers to a row inserted earlier in the same transaction).
 */
import { InvalidArgumentError } from "../../base/index.ts";
import { OvsdbProtocolError } from "../errors.ts";
import { type BaseType, ColumnShape, type ColumnType, columnShape } from "../schema/schema.ts";
import type { Json } from "./json.ts";

export type Atom = string | number | boolean;
export type Datum = Atom | null | Atom[] | Record<string, Atom> | Map<Atom, Atom>;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const namedUuidPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

/** Encodes one atom; `field` names the column in errors ("Bridge.fail_mode"). */
export function encodeAtom(base: BaseType, value: unknown, field: string): Json {
  switch (base.type) {
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) throw bad(field, "an integer", value);
      checkRange(value, base.minInteger, base.maxInteger, field);
      break;
    case "real":
      if (typeof value !== "number" || !Number.isFinite(value)) throw bad(field, "a real number", value);
      checkRange(value, base.minReal, base.maxReal, field);
      break;
    case "boolean":
      if (typeof value !== "boolean") throw bad(field, "a boolean", value);
      break;
    case "string":
      if (typeof value !== "string") throw bad(field, "a string", value);
      break;
    case "uuid":
      if (typeof value === "string" && uuidPattern.test(value)) return ["uuid", value.toLowerCase()];
      if (typeof value === "string" && namedUuidPattern.test(value)) return ["named-uuid", value];
      throw bad(field, "a UUID or a named-uuid", value);
  }
  if (base.enum !== undefined && !base.enum.includes(value as Atom)) {
    throw new InvalidArgumentError(
      field,
      `${JSON.stringify(value)} is not one of ${JSON.stringify(base.enum)}`,
    );
  }
  return value as Json;
}

export function decodeAtom(base: BaseType, wire: Json, field: string): Atom {
  switch (base.type) {
    case "integer":
    case "real":
      if (typeof wire === "number") return wire;
      break;
    case "boolean":
      if (typeof wire === "boolean") return wire;
      break;
    case "string":
      if (typeof wire === "string") return wire;
      break;
    case "uuid":
      if (Array.isArray(wire) && wire.length === 2 && wire[0] === "uuid" && typeof wire[1] === "string") {
        return wire[1];
      }
      break;
  }
  throw new OvsdbProtocolError(`${field}: expected a ${base.type} atom, got ${JSON.stringify(wire)}`);
}

/** Encodes a whole column value. `relaxed` skips the min/max count check (conditions, mutations). */
export function encodeDatum(type: ColumnType, value: unknown, field: string, relaxed = false): Json {
  const shape = columnShape(type);
  if (shape === ColumnShape.scalar) return encodeAtom(type.key, value, field);
  if (shape === ColumnShape.map) {
    const pairs = mapEntries(value, field).map(
      ([k, v]): Json => [
        encodeAtom(type.key, mapKey(type.key, k), `${field} key`),
        encodeAtom(type.value!, v, `${field}[${String(k)}]`),
      ],
    );
    if (!relaxed) checkCount(type, pairs.length, field);
    return ["map", pairs];
  }
  const atoms = setElements(value, field).map((v) => encodeAtom(type.key, v, field));
  if (!relaxed) checkCount(type, atoms.length, field);
  return ["set", atoms];
}

export function decodeDatum(type: ColumnType, wire: Json, field: string): Datum {
  const shape = columnShape(type);
  if (shape === ColumnShape.scalar) return decodeAtom(type.key, wire, field);
  if (shape === ColumnShape.map) {
    if (!Array.isArray(wire) || wire[0] !== "map" || !Array.isArray(wire[1])) {
      throw new OvsdbProtocolError(`${field}: expected a map, got ${JSON.stringify(wire)}`);
    }
    return decodeMap(type, wire[1], field);
  }
  const atoms = isWireSet(wire) ? wire[1] : [wire];
  const values = atoms.map((atom) => decodeAtom(type.key, atom, field));
  if (shape === ColumnShape.optional) return values.length === 0 ? null : values[0]!;
  return values;
}

/** The value a column has when a row omits it (ovsdb-server(7): initial/insert rows omit defaults). */
export function defaultDatum(type: ColumnType): Datum {
  switch (columnShape(type)) {
    case ColumnShape.optional:
      return null;
    case ColumnShape.set:
      return [];
    case ColumnShape.map:
      return type.key.type === "string" ? {} : new Map();
    case ColumnShape.scalar:
      return defaultAtom(type.key);
  }
}

function defaultAtom(base: BaseType): Atom {
  switch (base.type) {
    case "integer":
    case "real":
      return 0;
    case "boolean":
      return false;
    case "string":
      return "";
    case "uuid":
      return "00000000-0000-0000-0000-000000000000";
  }
}

function decodeMap(type: ColumnType, pairs: Json[], field: string): Record<string, Atom> | Map<Atom, Atom> {
  const decoded = pairs.map((pair): [Atom, Atom] => {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new OvsdbProtocolError(`${field}: bad map pair ${JSON.stringify(pair)}`);
    }
    return [decodeAtom(type.key, pair[0]!, field), decodeAtom(type.value!, pair[1]!, field)];
  });
  if (type.key.type !== "string") return new Map(decoded);
  const record: Record<string, Atom> = {};
  for (const [k, v] of decoded) record[k as string] = v;
  return record;
}

function isWireSet(wire: Json): wire is ["set", Json[]] {
  return Array.isArray(wire) && wire.length === 2 && wire[0] === "set" && Array.isArray(wire[1]);
}

function setElements(value: unknown, field: string): unknown[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value;
  if (value instanceof Set) return [...value];
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return [value];
  throw bad(field, "a set (array)", value);
}

function mapEntries(value: unknown, field: string): [unknown, unknown][] {
  if (value === null || value === undefined) return [];
  if (value instanceof Map) return [...value.entries()];
  if (typeof value === "object" && !Array.isArray(value)) return Object.entries(value);
  throw bad(field, "a map (object or Map)", value);
}

/** Plain-object keys are always strings; give integer-keyed maps their numbers back. */
function mapKey(base: BaseType, key: unknown): unknown {
  if (typeof key === "string" && (base.type === "integer" || base.type === "real") && key.trim() !== "") {
    const n = Number(key);
    if (!Number.isNaN(n)) return n;
  }
  return key;
}

function checkCount(type: ColumnType, n: number, field: string): void {
  if (n < type.min || n > type.max) {
    const max = type.max === Number.POSITIVE_INFINITY ? "unlimited" : type.max;
    throw new InvalidArgumentError(field, `needs ${type.min}..${max} elements, got ${n}`);
  }
}

function checkRange(value: number, min: number | undefined, max: number | undefined, field: string): void {
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
    throw new InvalidArgumentError(field, `${value} is outside ${min ?? "-∞"}..${max ?? "∞"}`);
  }
}

function bad(field: string, expected: string, value: unknown): InvalidArgumentError {
  return new InvalidArgumentError(
    field,
    `expected ${expected}, got ${JSON.stringify(value) ?? String(value)}`,
  );
}
