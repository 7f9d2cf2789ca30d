// A scripted Open_vSwitch database for the agent's unit tests, without OVS: transactions (insert, update,
// mutate, wait, select by _uuid or name) are applied to rows kept here, recorded in a shared step log, and
// fed back to an OvsdbCache as the monitor would feed them — the echo of the agent's own writes comes
// back before the transaction's reply, as ovsdb-server sends it. The schema is the one OVS 3.1 installs
// (test/fixtures/vswitch.ovsschema), so every operation is checked as against the real server.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { VswitchDb } from "../../src/ovs/index.ts";
import {
  type Json,
  type JsonObject,
  type Operation,
  OvsdbCache,
  operationsFor,
  parseSchema,
  type RowChange,
  type VswitchTables,
} from "../../src/ovsdb/index.ts";
import type { DatabaseSchema } from "../../src/ovsdb/internal.ts";
import { decodeDatum, encodeDatum } from "../../src/ovsdb/internal.ts";

export const vswitchSchema: DatabaseSchema = parseSchema(
  JSON.parse(readFileSync(new URL("../fixtures/vswitch.ovsschema", import.meta.url), "utf8")),
);

/** One thing that happened, in order: a transaction here, or a flow bundle in a FakeFlows. */
export type Step =
  | { readonly kind: "ovsdb"; readonly operations: readonly Operation[] }
  | {
      readonly kind: "flows";
      readonly bridge: string;
      readonly owners: readonly string[];
      readonly adds: number;
      readonly removes: number;
    };

type Row = Record<string, unknown> & { _uuid: string };

export class FakeSwitch {
  readonly cache: OvsdbCache<VswitchTables>;
  readonly db: VswitchDb;
  readonly steps: Step[];
  readonly #tables = new Map<string, Map<string, Row>>();
  #record = false;

  constructor(spec: Record<string, readonly string[]>, steps: Step[] = []) {
    this.steps = steps;
    this.cache = new OvsdbCache<VswitchTables>(vswitchSchema, spec as never);
    for (const table of vswitchSchema.tables.keys()) this.#tables.set(table, new Map());
    const ops = operationsFor<VswitchTables>(vswitchSchema);
    this.db = {
      ops,
      client: {
        transact: async (_db: string, operations: readonly Operation[]) => this.transact(operations),
      },
    } as unknown as VswitchDb;
    this.cache.apply("initial", new Map());
  }

  /** From now on, transactions are recorded as steps (set-up before it is not). */
  startRecording(): void {
    this.#record = true;
  }

  rows(table: string): Row[] {
    return [...this.#tables.get(table)!.values()];
  }

  find(table: string, name: string): Row | undefined {
    return this.rows(table).find((r) => r.name === name);
  }

  transact(operations: readonly Operation[]): JsonObject[] {
    if (this.#record) this.steps.push({ kind: "ovsdb", operations });
    const named = new Map<string, string>();
    const results: JsonObject[] = [];
    const touched = new Map<string, Set<string>>();
    const created = new Set<string>();
    for (const op of operations) results.push(this.#apply(op as unknown as WireOp, named, touched, created));
    const changes = new Map<string, RowChange[]>();
    for (const [table, uuids] of touched) {
      const list: RowChange[] = [];
      for (const uuid of uuids) {
        const row = this.#tables.get(table)!.get(uuid);
        if (row === undefined) list.push({ kind: "delete", uuid });
        else
          list.push({ kind: created.has(uuid) ? "insert" : "replace", uuid, row: this.#encode(table, row) });
      }
      changes.set(table, list);
    }
    this.#collectGarbage(changes);
    this.cache.apply("update", changes);
    return results;
  }

  #apply(
    op: WireOp,
    named: Map<string, string>,
    touched: Map<string, Set<string>>,
    created: Set<string>,
  ): JsonObject {
    const table = this.#tables.get(op.table)!;
    const touch = (uuid: string) => {
      const set = touched.get(op.table) ?? new Set<string>();
      set.add(uuid);
      touched.set(op.table, set);
    };
    if (op.op === "insert") {
      const uuid = randomUUID();
      if (op["uuid-name"]) named.set(op["uuid-name"], uuid);
      const row: Row = { _uuid: uuid, ...this.#defaults(op.table) };
      Object.assign(row, this.#decode(op.table, op.row ?? {}, named));
      table.set(uuid, row);
      created.add(uuid);
      touch(uuid);
      return { uuid: ["uuid", uuid] };
    }
    const matching = [...table.values()].filter((row) => this.#matches(op.table, row, op.where ?? [], named));
    if (op.op === "select")
      return { rows: matching.map((r) => ({ ...this.#encode(op.table, r), _uuid: ["uuid", r._uuid] })) };
    if (op.op === "wait") return {};
    for (const row of matching) {
      if (op.op === "update") Object.assign(row, this.#decode(op.table, op.row ?? {}, named));
      else if (op.op === "mutate") for (const m of op.mutations ?? []) this.#mutate(op.table, row, m, named);
      else if (op.op === "delete") table.delete(row._uuid);
      touch(row._uuid);
    }
    return { count: matching.length };
  }

  #matches(
    table: string,
    row: Row,
    where: readonly [string, string, Json][],
    named: Map<string, string>,
  ): boolean {
    return where.every(([column, fn, wire]) => {
      const value =
        column === "_uuid"
          ? (substitute(wire, named) as [string, string])[1]
          : this.#decodeColumn(table, column, wire, named);
      const equal = JSON.stringify(row[column]) === JSON.stringify(value);
      return fn === "==" ? equal : !equal;
    });
  }

  #mutate(
    table: string,
    row: Row,
    [column, mutator, wire]: [string, string, Json],
    named: Map<string, string>,
  ): void {
    const type = vswitchSchema.tables.get(table)!.columns.get(column)!.type;
    const current = row[column];
    if (type.value !== undefined) {
      const map = { ...(current as Record<string, unknown>) };
      const isMap = Array.isArray(wire) && wire[0] === "map";
      if (mutator === "insert") {
        for (const [k, v] of Object.entries(
          this.#decodeColumn(table, column, wire, named) as Record<string, unknown>,
        ))
          if (!(k in map)) map[k] = v;
      } else if (isMap) {
        for (const [k] of Object.entries(
          this.#decodeColumn(table, column, wire, named) as Record<string, unknown>,
        ))
          delete map[k];
      } else {
        const keys = Array.isArray(wire) && wire[0] === "set" ? (wire[1] as Json[]) : [wire];
        for (const k of keys) delete map[String(k)];
      }
      row[column] = map;
      return;
    }
    const list = new Set(current as unknown[]);
    const items = this.#decodeColumn(table, column, wire, named);
    for (const item of Array.isArray(items) ? items : [items]) {
      if (mutator === "insert") list.add(item);
      else list.delete(item);
    }
    row[column] = [...list];
  }

  #defaults(table: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [column, def] of vswitchSchema.tables.get(table)!.columns) {
      if (column.startsWith("_")) continue;
      out[column] = decodeDatum(def.type, defaultWire(def.type), `${table}.${column}`);
    }
    return out;
  }

  #decode(table: string, wire: JsonObject, named: Map<string, string>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(wire))
      out[column] = this.#decodeColumn(table, column, value, named);
    return out;
  }

  #decodeColumn(table: string, column: string, wire: Json, named: Map<string, string>): unknown {
    const def = vswitchSchema.tables.get(table)!.columns.get(column)!;
    return decodeDatum(def.type, substitute(wire, named), `${table}.${column}`);
  }

  #encode(table: string, row: Row): JsonObject {
    const out: JsonObject = {};
    for (const [column, def] of vswitchSchema.tables.get(table)!.columns) {
      if (column.startsWith("_") || !(column in row)) continue;
      out[column] = encodeDatum(def.type, row[column], `${table}.${column}`);
    }
    return out;
  }

  /** Rows of non-root tables that nothing refers to any more go, as ovsdb-server collects them. */
  #collectGarbage(changes: Map<string, RowChange[]>): void {
    for (const [table, ref] of [
      ["Port", (uuid: string) => this.rows("Bridge").some((b) => (b.ports as string[]).includes(uuid))],
      [
        "Interface",
        (uuid: string) => this.rows("Port").some((p) => (p.interfaces as string[]).includes(uuid)),
      ],
      ["QoS", (uuid: string) => this.rows("Port").some((p) => p.qos === uuid)],
      [
        "Queue",
        (uuid: string) =>
          this.rows("QoS").some((q) => [...(q.queues as Map<number, string>).values()].includes(uuid)),
      ],
    ] as const) {
      for (const row of this.rows(table)) {
        if (ref(row._uuid)) continue;
        this.#tables.get(table)!.delete(row._uuid);
        const list = changes.get(table) ?? [];
        list.push({ kind: "delete", uuid: row._uuid });
        changes.set(table, list);
      }
    }
  }
}

interface WireOp {
  readonly op: string;
  readonly table: string;
  readonly row?: JsonObject;
  readonly where?: readonly [string, string, Json][];
  readonly mutations?: readonly [string, string, Json][];
  readonly "uuid-name"?: string;
}

function substitute(wire: Json, named: Map<string, string>): Json {
  if (Array.isArray(wire)) {
    if (wire[0] === "named-uuid" && typeof wire[1] === "string")
      return ["uuid", named.get(wire[1]) ?? wire[1]];
    return wire.map((w) => substitute(w, named));
  }
  return wire;
}

function defaultWire(type: { min: number; max: number; key: { type: string }; value?: unknown }): Json {
  if (type.value !== undefined) return ["map", []];
  if (type.min === 0 || type.max > 1) return ["set", []];
  switch (type.key.type) {
    case "integer":
    case "real":
      return 0;
    case "boolean":
      return false;
    case "uuid":
      return ["uuid", "00000000-0000-0000-0000-000000000000"];
    default:
      return "";
  }
}
