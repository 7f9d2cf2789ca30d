import { InvalidArgumentError } from "../../base/index.ts";
import { OvsdbProtocolError } from "../errors.ts";
import { type DatabaseSchema, type TableSchema, tableSchema } from "../schema/schema.ts";
import { type Datum, decodeDatum, defaultDatum, encodeDatum } from "./datum.ts";
import { isJsonObject, type Json, type JsonObject } from "./json.ts";

/** A decoded row: column name → datum (datum.ts), with `_uuid` always present. */
export type Row = { readonly _uuid: string } & { readonly [column: string]: Datum | undefined };

/** Typed row interfaces per table, e.g. the generated vswitch model. */
export type TableMap = object;

export function columnOf(table: TableSchema, column: string) {
  const found = table.columns.get(column);
  if (found === undefined) throw new InvalidArgumentError(`${table.name}.${column}`, "no such column");
  return found;
}

/** Encodes a (partial) row for insert/update/wait; columns are checked against the schema. */
export function encodeRow(table: TableSchema, row: object): JsonObject {
  const wire: JsonObject = {};
  for (const [column, value] of Object.entries(row)) {
    if (value === undefined) continue;
    wire[column] = encodeDatum(columnOf(table, column).type, value, `${table.name}.${column}`);
  }
  return wire;
}

/**
 * Decodes a wire row. With `fillDefaults` (monitor initial/insert rows, which omit columns that have their
 * default value) every listed column is present in the result.
 */
export function decodeRow(
  table: TableSchema,
  uuid: string,
  wire: Json,
  fillDefaults?: readonly string[],
): Row {
  if (!isJsonObject(wire)) throw new OvsdbProtocolError(`${table.name} row ${uuid}: expected an object`);
  const row: Record<string, Datum> = {};
  for (const column of fillDefaults ?? []) {
    const schema = table.columns.get(column);
    if (schema !== undefined) row[column] = defaultDatum(schema.type);
  }
  for (const [column, value] of Object.entries(wire)) {
    const schema = table.columns.get(column);
    // Columns the schema does not know (a newer server) are ignored rather than fatal.
    if (schema === undefined) continue;
    row[column] = decodeDatum(schema.type, value, `${table.name}.${column}`);
  }
  row._uuid = uuid;
  return row as Row;
}

/** Decodes the rows of a select result, whose rows carry their own _uuid when it was selected. */
export function decodeSelectRows(schema: DatabaseSchema, table: string, rows: Json): Row[] {
  const tableDef = tableSchema(schema, table);
  if (!Array.isArray(rows)) throw new OvsdbProtocolError(`select ${table}: rows is not an array`);
  return rows.map((wire) => {
    const uuidWire = isJsonObject(wire) ? wire._uuid : undefined;
    const uuid = Array.isArray(uuidWire) && typeof uuidWire[1] === "string" ? uuidWire[1] : "";
    return decodeRow(tableDef, uuid, wire);
  });
}
