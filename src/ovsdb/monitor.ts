/**
 * Monitor requests and the updates they produce, normalised across the two protocols ovsdb-server speaks:
 * RFC 7047 `monitor` (<table-updates>: old/new rows) and the OVS 2.6+ extension `monitor_cond`
 * (<table-updates2>: initial/insert/delete/modify, where modify carries only a diff). ovsdb-server(7) §4.1.14.
 */
import { OvsdbProtocolError } from "./errors.ts";
import { isJsonObject, type Json, type JsonObject } from "./wire/json.ts";
import type { Condition } from "./wire/operation.ts";

export interface MonitorSelect {
  readonly initial?: boolean;
  readonly insert?: boolean;
  readonly delete?: boolean;
  readonly modify?: boolean;
}

/** What to monitor in one table. `where` needs monitor_cond (OVS ≥ 2.6). */
export interface MonitorTableRequest {
  readonly columns?: readonly string[];
  readonly where?: readonly Condition[];
  readonly select?: MonitorSelect;
}
export type MonitorRequests = Readonly<Record<string, MonitorTableRequest>>;

/** One row's change. `insert` rows omit columns at their default; `modify` is an update2 diff; `replace`
 * (from the RFC 7047 monitor) carries every monitored column of the new row. */
export type RowChange =
  | { readonly kind: "insert"; readonly uuid: string; readonly row: JsonObject }
  | { readonly kind: "delete"; readonly uuid: string }
  | { readonly kind: "modify"; readonly uuid: string; readonly diff: JsonObject }
  | { readonly kind: "replace"; readonly uuid: string; readonly row: JsonObject };

/** Changes by table name, in the order the server sent them. */
export type TableChanges = ReadonlyMap<string, readonly RowChange[]>;

/** initial: the monitor's first full contents; update: a change; resync: full contents again after a
 * reconnect (a replica diffs it against what it holds). */
export type MonitorPhase = "initial" | "update" | "resync";

export type MonitorHandler = (phase: MonitorPhase, changes: TableChanges) => void;

/** Parses <table-updates2> (monitor_cond). */
export function parseTableUpdates2(json: Json): TableChanges {
  return parseTables(json, (uuid, update) => {
    if (isJsonObject(update.initial)) return { kind: "insert", uuid, row: update.initial };
    if (isJsonObject(update.insert)) return { kind: "insert", uuid, row: update.insert };
    if (isJsonObject(update.modify)) return { kind: "modify", uuid, diff: update.modify };
    if ("delete" in update) return { kind: "delete", uuid };
    throw new OvsdbProtocolError(`row-update2 for ${uuid} has no initial/insert/modify/delete`);
  });
}

/** Parses <table-updates> (RFC 7047 §4.1.6, monitor). */
export function parseTableUpdates(json: Json): TableChanges {
  return parseTables(json, (uuid, update) => {
    const hasNew = isJsonObject(update.new);
    const hasOld = isJsonObject(update.old);
    if (hasNew && !hasOld) return { kind: "insert", uuid, row: update.new as JsonObject };
    if (hasNew) return { kind: "replace", uuid, row: update.new as JsonObject };
    if (hasOld) return { kind: "delete", uuid };
    throw new OvsdbProtocolError(`row-update for ${uuid} has neither old nor new`);
  });
}

function parseTables(json: Json, parseRow: (uuid: string, update: JsonObject) => RowChange): TableChanges {
  if (!isJsonObject(json)) throw new OvsdbProtocolError("table updates are not an object");
  const tables = new Map<string, RowChange[]>();
  for (const [table, rows] of Object.entries(json)) {
    if (!isJsonObject(rows)) throw new OvsdbProtocolError(`updates for table ${table} are not an object`);
    const changes: RowChange[] = [];
    for (const [uuid, update] of Object.entries(rows)) {
      if (!isJsonObject(update)) throw new OvsdbProtocolError(`update for ${table} ${uuid} is not an object`);
      changes.push(parseRow(uuid, update));
    }
    tables.set(table, changes);
  }
  return tables;
}
