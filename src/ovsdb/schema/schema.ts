import { InvalidArgumentError } from "../../base/index.ts";
import { OvsdbProtocolError } from "../errors.ts";
import { isJsonObject, type Json, type JsonObject } from "../wire/json.ts";

/** RFC 7047 §3.2 <atomic-type>. */
export const AtomicType = {
  integer: "integer",
  real: "real",
  boolean: "boolean",
  string: "string",
  uuid: "uuid",
} as const;
export type AtomicType = (typeof AtomicType)[keyof typeof AtomicType];

/** RFC 7047 §3.2 <base-type>, with the constraints we check before sending. */
export interface BaseType {
  readonly type: AtomicType;
  readonly enum?: readonly (string | number | boolean)[];
  readonly minInteger?: number;
  readonly maxInteger?: number;
  readonly minReal?: number;
  readonly maxReal?: number;
  readonly refTable?: string;
}

/** RFC 7047 §3.2 <type>, normalized: `max` is Infinity for "unlimited". */
export interface ColumnType {
  readonly key: BaseType;
  readonly value?: BaseType;
  readonly min: number;
  readonly max: number;
}

export interface ColumnSchema {
  readonly name: string;
  readonly type: ColumnType;
  readonly mutable: boolean;
}

export interface TableSchema {
  readonly name: string;
  readonly columns: ReadonlyMap<string, ColumnSchema>;
  readonly isRoot: boolean;
  readonly indexes: readonly (readonly string[])[];
}

export interface DatabaseSchema {
  readonly name: string;
  readonly version: string;
  readonly tables: ReadonlyMap<string, TableSchema>;
}

/** How a column's value looks in JavaScript; see datum.ts. */
export const ColumnShape = { scalar: "scalar", optional: "optional", set: "set", map: "map" } as const;
export type ColumnShape = (typeof ColumnShape)[keyof typeof ColumnShape];

export function columnShape(type: ColumnType): ColumnShape {
  if (type.value !== undefined) return ColumnShape.map;
  if (type.min === 1 && type.max === 1) return ColumnShape.scalar;
  if (type.min === 0 && type.max === 1) return ColumnShape.optional;
  return ColumnShape.set;
}

const uuidColumn = (name: string): ColumnSchema => ({
  name,
  type: { key: { type: AtomicType.uuid }, min: 1, max: 1 },
  mutable: false,
});

/** Parses a <database-schema> (RFC 7047 §3.2) as returned by get_schema. */
export function parseSchema(json: Json): DatabaseSchema {
  const schema = object(json, "schema");
  const name = string(schema.name, "schema name");
  const tables = new Map<string, TableSchema>();
  for (const [tableName, tableJson] of Object.entries(object(schema.tables, `${name} tables`))) {
    tables.set(tableName, parseTable(tableName, object(tableJson, `table ${tableName}`)));
  }
  return { name, version: typeof schema.version === "string" ? schema.version : "", tables };
}

function parseTable(name: string, json: JsonObject): TableSchema {
  // Every table has the implicit _uuid and _version columns (RFC 7047 §3.2).
  const columns = new Map<string, ColumnSchema>([
    ["_uuid", uuidColumn("_uuid")],
    ["_version", uuidColumn("_version")],
  ]);
  for (const [columnName, columnJson] of Object.entries(object(json.columns, `${name} columns`))) {
    const column = object(columnJson, `${name}.${columnName}`);
    columns.set(columnName, {
      name: columnName,
      type: parseColumnType(column.type, `${name}.${columnName}`),
      mutable: column.mutable !== false,
    });
  }
  const indexes = Array.isArray(json.indexes)
    ? json.indexes.map((index) => (Array.isArray(index) ? index.map((c) => string(c, `${name} index`)) : []))
    : [];
  return { name, columns, isRoot: json.isRoot === true, indexes };
}

export function parseColumnType(json: Json | undefined, where: string): ColumnType {
  if (typeof json === "string") return { key: parseBaseType(json, where), min: 1, max: 1 };
  const type = object(json, `${where} type`);
  const min = type.min === undefined ? 1 : type.min;
  const max = type.max === undefined ? 1 : type.max === "unlimited" ? Number.POSITIVE_INFINITY : type.max;
  if (typeof min !== "number" || typeof max !== "number") {
    throw new OvsdbProtocolError(`schema: ${where}: bad min/max`);
  }
  return {
    key: parseBaseType(type.key, `${where} key`),
    ...(type.value === undefined ? {} : { value: parseBaseType(type.value, `${where} value`) }),
    min,
    max,
  };
}

function parseBaseType(json: Json | undefined, where: string): BaseType {
  if (typeof json === "string") return { type: atomicType(json, where) };
  const base = object(json, where);
  const result: {
    -readonly [K in keyof BaseType]: BaseType[K];
  } = { type: atomicType(base.type, where) };
  if (base.enum !== undefined) result.enum = enumValues(base.enum, where);
  for (const bound of ["minInteger", "maxInteger", "minReal", "maxReal"] as const) {
    const value = base[bound];
    if (typeof value === "number") result[bound] = value;
  }
  if (typeof base.refTable === "string") result.refTable = base.refTable;
  return result;
}

function enumValues(json: Json, where: string): (string | number | boolean)[] {
  // An enum is a datum: a single atom or ["set", [atoms]].
  const atoms = Array.isArray(json) && json[0] === "set" && Array.isArray(json[1]) ? json[1] : [json];
  return atoms.map((atom) => {
    if (typeof atom === "string" || typeof atom === "number" || typeof atom === "boolean") return atom;
    throw new OvsdbProtocolError(`schema: ${where}: bad enum member ${JSON.stringify(atom)}`);
  });
}

function atomicType(json: Json | undefined, where: string): AtomicType {
  if (typeof json === "string" && Object.hasOwn(AtomicType, json)) return json as AtomicType;
  throw new OvsdbProtocolError(`schema: ${where}: unknown atomic type ${JSON.stringify(json)}`);
}

function object(json: Json | undefined, where: string): JsonObject {
  if (isJsonObject(json)) return json;
  throw new OvsdbProtocolError(`schema: ${where}: expected an object`);
}

function string(json: Json | undefined, where: string): string {
  if (typeof json === "string") return json;
  throw new OvsdbProtocolError(`schema: ${where}: expected a string`);
}

/** Looks a table up, with an error that names what is missing. */
export function tableSchema(schema: DatabaseSchema, table: string): TableSchema {
  const found = schema.tables.get(table);
  if (found === undefined) throw new InvalidArgumentError(table, `database ${schema.name} has no such table`);
  return found;
}
