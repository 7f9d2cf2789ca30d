/**
 * Transaction operations (RFC 7047 §5.2) as values. Builders check tables, columns and datum types against
 * the schema and return the wire form, so a caller can combine several into one transaction, print them
 * (dry run), or send them with OvsdbClient.transact().
 */
import { InvalidArgumentError } from "../../base/index.ts";
import { type DatabaseSchema, tableSchema } from "../schema/schema.ts";
import { encodeDatum } from "./datum.ts";
import type { Json, JsonObject } from "./json.ts";
import { columnOf, encodeRow, type TableMap } from "./row.ts";

/** RFC 7047 §5.1 <condition> functions. */
export type ConditionFunction = "<" | "<=" | "==" | "!=" | ">=" | ">" | "includes" | "excludes";
/** RFC 7047 §5.1 <mutator>s. */
export type Mutator = "+=" | "-=" | "*=" | "/=" | "%=" | "insert" | "delete";

type Columns<R> = Extract<keyof R, string> | "_uuid";
export type Condition<R = Record<string, unknown>> = readonly [Columns<R>, ConditionFunction, unknown];
export type Mutation<R = Record<string, unknown>> = readonly [Columns<R>, Mutator, unknown];

/** One operation in wire form. */
export type Operation = JsonObject & { readonly op: string };

type Writable<R> = Partial<Omit<R, "_uuid" | "_version">>;

export interface OperationBuilder<Tables extends TableMap> {
  readonly schema: DatabaseSchema;
  /** `uuidName` lets later operations of the same transaction refer to the new row. */
  insert<T extends keyof Tables & string>(table: T, row: Writable<Tables[T]>, uuidName?: string): Operation;
  select<T extends keyof Tables & string>(
    table: T,
    where: readonly Condition<Tables[T]>[],
    columns?: readonly Columns<Tables[T]>[],
  ): Operation;
  update<T extends keyof Tables & string>(
    table: T,
    where: readonly Condition<Tables[T]>[],
    row: Writable<Tables[T]>,
  ): Operation;
  mutate<T extends keyof Tables & string>(
    table: T,
    where: readonly Condition<Tables[T]>[],
    mutations: readonly Mutation<Tables[T]>[],
  ): Operation;
  delete<T extends keyof Tables & string>(table: T, where: readonly Condition<Tables[T]>[]): Operation;
  /**
   * Aborts the transaction unless the rows matching `where`, projected on `columns`, are (`==`) or are not
   * (`!=`) exactly `rows` — waiting up to `timeoutMs` (default 0: check once). The guard against races.
   */
  wait<T extends keyof Tables & string>(
    table: T,
    where: readonly Condition<Tables[T]>[],
    options: {
      columns: readonly Columns<Tables[T]>[];
      until: "==" | "!=";
      rows: readonly Writable<Tables[T]>[];
      timeoutMs?: number;
    },
  ): Operation;
  commit(durable: boolean): Operation;
  abort(): Operation;
  comment(text: string): Operation;
  assert(lock: string): Operation;
}

export function operationsFor<Tables extends TableMap>(schema: DatabaseSchema): OperationBuilder<Tables> {
  const where = (table: string, conditions: readonly Condition<never>[]): Json[] =>
    conditions.map(([column, fn, value]) => encodeCondition(schema, table, column, fn, value));
  return {
    schema,
    insert: (table, row, uuidName) => ({
      op: "insert",
      table,
      row: encodeRow(tableSchema(schema, table), row),
      ...(uuidName === undefined ? {} : { "uuid-name": checkUuidName(uuidName) }),
    }),
    select: (table, conditions, columns) => ({
      op: "select",
      table,
      where: where(table, conditions),
      ...(columns === undefined ? {} : { columns: checkColumns(schema, table, columns) }),
    }),
    update: (table, conditions, row) => ({
      op: "update",
      table,
      where: where(table, conditions),
      row: encodeRow(tableSchema(schema, table), row),
    }),
    mutate: (table, conditions, mutations) => ({
      op: "mutate",
      table,
      where: where(table, conditions),
      mutations: mutations.map(([column, mutator, value]) =>
        encodeMutation(schema, table, column, mutator, value),
      ),
    }),
    delete: (table, conditions) => ({ op: "delete", table, where: where(table, conditions) }),
    wait: (table, conditions, options) => ({
      op: "wait",
      table,
      where: where(table, conditions),
      columns: checkColumns(schema, table, options.columns),
      until: options.until,
      rows: options.rows.map((row) => encodeRow(tableSchema(schema, table), row)),
      ...(options.timeoutMs === undefined ? { timeout: 0 } : { timeout: options.timeoutMs }),
    }),
    commit: (durable) => ({ op: "commit", durable }),
    abort: () => ({ op: "abort" }),
    comment: (text) => ({ op: "comment", comment: text }),
    assert: (lock) => ({ op: "assert", lock }),
  };
}

function encodeCondition(
  schema: DatabaseSchema,
  table: string,
  column: string,
  fn: ConditionFunction,
  value: unknown,
): Json {
  const type = columnOf(tableSchema(schema, table), column).type;
  // A condition's value has the column's type, but any number of elements (e.g. "includes" one port).
  return [column, fn, encodeDatum(type, value, `${table}.${column}`, true)];
}

function encodeMutation(
  schema: DatabaseSchema,
  table: string,
  column: string,
  mutator: Mutator,
  value: unknown,
): Json {
  const type = columnOf(tableSchema(schema, table), column).type;
  const field = `${table}.${column}`;
  // RFC 7047 §5.1: "delete" on a map takes either a map (pairs) or a set of keys.
  if (mutator === "delete" && type.value !== undefined && Array.isArray(value)) {
    return [column, mutator, encodeDatum({ key: type.key, min: 0, max: Infinity }, value, field, true)];
  }
  const isArithmetic = mutator !== "insert" && mutator !== "delete";
  const mutationType = isArithmetic ? { key: type.key, min: 1, max: 1 } : type;
  return [column, mutator, encodeDatum(mutationType, value, field, true)];
}

function checkColumns(schema: DatabaseSchema, table: string, columns: readonly string[]): string[] {
  const tableDef = tableSchema(schema, table);
  for (const column of columns) columnOf(tableDef, column);
  return [...columns];
}

function checkUuidName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new InvalidArgumentError("uuid-name", `${JSON.stringify(name)} is not an <id> (RFC 7047 §3.1)`);
  }
  return name;
}
