/**
 * An in-memory replica of some tables, fed by one monitor. Subscribers get the row-level changes of each
 * update as one batch (a transaction's changes arrive together). After a reconnect the monitor's full
 * contents are diffed against the replica, so subscribers see only what really changed while the
 * connection was down — not a flood of fake inserts.
 */
import type { OvsdbClient } from "./client.ts";
import { OvsdbProtocolError } from "./errors.ts";
import type { MonitorPhase, MonitorRequests, RowChange, TableChanges } from "./monitor.ts";
import {
  ColumnShape,
  columnShape,
  type DatabaseSchema,
  type TableSchema,
  tableSchema,
} from "./schema/schema.ts";
import { type Atom, type Datum, decodeDatum } from "./wire/datum.ts";
import { decodeRow, type Row, type TableMap } from "./wire/row.ts";

export type CacheEvent<Tables extends TableMap = TableMap> = {
  [T in keyof Tables & string]:
    | { readonly type: "insert"; readonly table: T; readonly uuid: string; readonly new: Tables[T] }
    | {
        readonly type: "modify";
        readonly table: T;
        readonly uuid: string;
        readonly old: Tables[T];
        readonly new: Tables[T];
      }
    | { readonly type: "delete"; readonly table: T; readonly uuid: string; readonly old: Tables[T] };
}[keyof Tables & string];

/** Which columns to replicate per table; "all" for every column of the schema. */
export type ReplicaSpec<Tables extends TableMap> = {
  readonly [T in keyof Tables & string]?: readonly (keyof Tables[T] & string)[] | "all";
};

export class OvsdbCache<Tables extends TableMap> {
  readonly #schema: DatabaseSchema;
  readonly #tables = new Map<string, Map<string, Row>>();
  readonly #columns = new Map<string, readonly string[]>();
  readonly #listeners = new Set<(events: readonly CacheEvent<Tables>[], phase: MonitorPhase) => void>();
  #cancel: (() => Promise<void>) | undefined;

  constructor(schema: DatabaseSchema, spec: ReplicaSpec<Tables>) {
    this.#schema = schema;
    for (const [table, columns] of Object.entries(spec) as [string, readonly string[] | "all"][]) {
      const def = tableSchema(schema, table);
      const names = columns === "all" ? [...def.columns.keys()].filter((c) => !c.startsWith("_")) : columns;
      this.#columns.set(table, names);
      this.#tables.set(table, new Map());
    }
  }

  /** Replicates `spec` from `db` through `client`; resolves once the initial contents are in. */
  static async start<Tables extends TableMap>(
    client: OvsdbClient,
    db: string,
    spec: ReplicaSpec<Tables>,
  ): Promise<OvsdbCache<Tables>> {
    const cache = new OvsdbCache<Tables>(await client.getSchema(db), spec);
    const monitor = await client.monitor(db, cache.monitorRequests(), (phase, changes) =>
      cache.apply(phase, changes),
    );
    cache.#cancel = () => monitor.cancel();
    return cache;
  }

  monitorRequests(): MonitorRequests {
    const requests: Record<string, { columns: readonly string[] }> = {};
    for (const [table, columns] of this.#columns) requests[table] = { columns };
    return requests;
  }

  /** Listens to each update's changes; returns the unsubscribe function. */
  subscribe(listener: (events: readonly CacheEvent<Tables>[], phase: MonitorPhase) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get<T extends keyof Tables & string>(table: T, uuid: string): Tables[T] | undefined {
    return this.#rowsOf(table).get(uuid) as Tables[T] | undefined;
  }

  rows<T extends keyof Tables & string>(table: T): Tables[T][] {
    return [...this.#rowsOf(table).values()] as Tables[T][];
  }

  /** The first row whose `column` equals `value` (for indexed columns such as Bridge.name). */
  find<T extends keyof Tables & string, C extends keyof Tables[T] & string>(
    table: T,
    column: C,
    value: Tables[T][C],
  ): Tables[T] | undefined {
    for (const row of this.#rowsOf(table).values()) {
      if (row[column] === value) return row as Tables[T];
    }
    return undefined;
  }

  size(table: keyof Tables & string): number {
    return this.#rowsOf(table).size;
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    await this.#cancel?.().catch(() => {});
  }

  /** Applies one monitor update; public so that tests can feed it without a server. */
  apply(phase: MonitorPhase, changes: TableChanges): void {
    const events: CacheEvent<Tables>[] = [];
    for (const [table, rows] of changes) {
      const def = tableSchema(this.#schema, table);
      const replica = this.#rowsOf(table);
      if (phase === "resync") this.#resyncTable(def, replica, rows, events);
      else for (const change of rows) this.#applyChange(def, replica, change, events);
    }
    if (phase === "resync") {
      // Tables the server no longer reports at all are empty now.
      for (const [table, replica] of this.#tables) {
        if (!changes.has(table)) this.#resyncTable(tableSchema(this.#schema, table), replica, [], events);
      }
    }
    if (events.length === 0 && phase === "update") return;
    for (const listener of this.#listeners) listener(events, phase);
  }

  #rowsOf(table: string): Map<string, Row> {
    const rows = this.#tables.get(table);
    if (rows === undefined) throw new OvsdbProtocolError(`table ${table} is not replicated`);
    return rows;
  }

  #applyChange(def: TableSchema, replica: Map<string, Row>, change: RowChange, events: CacheEvent<Tables>[]) {
    const table = def.name as keyof Tables & string;
    const old = replica.get(change.uuid);
    if (change.kind === "delete") {
      if (old === undefined) return;
      replica.delete(change.uuid);
      events.push({ type: "delete", table, uuid: change.uuid, old } as CacheEvent<Tables>);
      return;
    }
    const row =
      change.kind === "modify"
        ? applyDiff(def, requireRow(old, def, change.uuid), change.diff)
        : decodeRow(def, change.uuid, change.row, this.#columns.get(def.name));
    replica.set(change.uuid, row);
    if (old === undefined)
      events.push({ type: "insert", table, uuid: change.uuid, new: row } as CacheEvent<Tables>);
    else events.push({ type: "modify", table, uuid: change.uuid, old, new: row } as CacheEvent<Tables>);
  }

  #resyncTable(
    def: TableSchema,
    replica: Map<string, Row>,
    rows: readonly RowChange[],
    events: CacheEvent<Tables>[],
  ) {
    const table = def.name as keyof Tables & string;
    const seen = new Set<string>();
    for (const change of rows) {
      if (change.kind !== "insert" && change.kind !== "replace") continue;
      seen.add(change.uuid);
      const row = decodeRow(def, change.uuid, change.row, this.#columns.get(def.name));
      const old = replica.get(change.uuid);
      if (old !== undefined && rowsEqual(old, row)) continue;
      replica.set(change.uuid, row);
      if (old === undefined)
        events.push({ type: "insert", table, uuid: change.uuid, new: row } as CacheEvent<Tables>);
      else events.push({ type: "modify", table, uuid: change.uuid, old, new: row } as CacheEvent<Tables>);
    }
    for (const [uuid, old] of replica) {
      if (seen.has(uuid)) continue;
      replica.delete(uuid);
      events.push({ type: "delete", table, uuid, old } as CacheEvent<Tables>);
    }
  }
}

function requireRow(row: Row | undefined, def: TableSchema, uuid: string): Row {
  if (row === undefined) throw new OvsdbProtocolError(`modify for unknown ${def.name} row ${uuid}`);
  return row;
}

/** Applies an update2 "modify" diff (ovsdb-server(7) §4.1.14) to a copy of `old`. */
export function applyDiff(def: TableSchema, old: Row, diff: Record<string, unknown>): Row {
  const row: Record<string, Datum | undefined> = { ...old };
  for (const [column, wire] of Object.entries(diff)) {
    const schema = def.columns.get(column);
    if (schema === undefined) continue;
    const field = `${def.name}.${column}`;
    const delta = decodeDatum(schema.type, wire as never, field);
    // OVS diffs only "composite" columns (max > 1); for the rest, optional ones included, the diff is the
    // new value (ovsdb_datum_diff, lib/ovsdb-data.c).
    if (schema.type.max <= 1) row[column] = delta;
    else if (columnShape(schema.type) === ColumnShape.map) {
      row[column] = applyMapDiff(old[column] as Record<string, Atom> | Map<Atom, Atom>, delta as never);
    } else row[column] = symmetricDifference(toArray(old[column]), delta as Atom[]);
  }
  return row as Row;
}

function toArray(datum: Datum | undefined): Atom[] {
  if (datum === null || datum === undefined) return [];
  return Array.isArray(datum) ? datum : [datum as Atom];
}

/** Elements in exactly one of the two: the new set, given the old one and the diff. */
function symmetricDifference(old: readonly Atom[], delta: readonly Atom[]): Atom[] {
  const removed = new Set(delta.filter((a) => old.includes(a)));
  return [...old.filter((a) => !removed.has(a)), ...delta.filter((a) => !old.includes(a))];
}

/** A key present with the same value is removed; otherwise the diff's value is set (insert or update). */
function applyMapDiff<M extends Record<string, Atom> | Map<Atom, Atom>>(old: M, delta: M): M {
  if (old instanceof Map) {
    const next = new Map(old);
    for (const [k, v] of delta as Map<Atom, Atom>) {
      if (next.get(k) === v) next.delete(k);
      else next.set(k, v);
    }
    return next as M;
  }
  const next: Record<string, Atom> = { ...old };
  for (const [k, v] of Object.entries(delta as Record<string, Atom>)) {
    if (Object.hasOwn(next, k) && next[k] === v) delete next[k];
    else next[k] = v;
  }
  return next as M;
}

function rowsEqual(a: Row, b: Row): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    if (key === "_version") continue;
    if (!datumEqual(a[key], b[key])) return false;
  }
  return true;
}

function datumEqual(a: Datum | undefined, b: Datum | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x) => b.includes(x));
  }
  if (a instanceof Map && b instanceof Map) {
    return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
  }
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    const ra = a as Record<string, Atom>;
    const rb = b as Record<string, Atom>;
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(rb, k) && ra[k] === rb[k]);
  }
  return false;
}
