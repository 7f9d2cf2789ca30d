/**
 * What the SQLite and PostgreSQL stores share: migrations, the event log layout, listener fan-out.
 */
import { EventPayload } from "../../protocol/index.ts";
import { type Dialect, migrations } from "./schema.ts";
import type { EventBatch, Queryable, SqlValue } from "./store.ts";

export interface PendingEvent {
  readonly payload: EventPayload;
  readonly host: string | null;
}

export async function migrate(
  q: Queryable,
  dialect: Dialect,
  inTransaction: <T>(work: () => Promise<T>) => Promise<T>,
) {
  await q.run(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)",
  );
  const applied = new Set(
    (await q.all<{ version: number }>("SELECT version FROM schema_migrations")).map((r) => Number(r.version)),
  );
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    await inTransaction(async () => {
      for (const statement of migration.statements(dialect)) await q.run(statement);
      await q.run("INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)", [
        migration.version,
        migration.description,
        new Date().toISOString(),
      ]);
    });
  }
}

/** Appends events at revisions after `revision`; returns the new revision. */
export async function appendEvents(
  q: Queryable,
  revision: number,
  events: readonly PendingEvent[],
): Promise<number> {
  let next = revision;
  const now = new Date().toISOString();
  for (const event of events) {
    next++;
    await q.run("INSERT INTO events (revision, host, payload, created_at) VALUES (?, ?, ?, ?)", [
      next,
      event.host,
      JSON.stringify(event.payload),
      now,
    ]);
  }
  if (next !== revision) await q.run("UPDATE weir_meta SET revision = ? WHERE id = 1", [next]);
  return next;
}

export async function readEvents(
  q: Queryable,
  since: number,
  host: string,
  limit: number,
): Promise<EventBatch> {
  const latest = Number(
    (await q.get<{ revision: number }>("SELECT revision FROM weir_meta WHERE id = 1"))!.revision,
  );
  const oldest = await q.get<{ revision: number | null }>("SELECT MIN(revision) AS revision FROM events");
  const oldestRevision =
    oldest?.revision === null || oldest?.revision === undefined ? latest + 1 : Number(oldest.revision);
  // Events since+1 .. oldest-1 were pruned: the reader cannot catch up by events alone.
  const gap = since < latest && since + 1 < oldestRevision;
  if (gap) return { events: [], latest, gap };
  const rows =
    host === "*"
      ? await q.all<{ revision: number; payload: string; host: string | null }>(
          "SELECT revision, payload, host FROM events WHERE revision > ? ORDER BY revision LIMIT ?",
          [since, limit],
        )
      : await q.all<{ revision: number; payload: string; host: string | null }>(
          "SELECT revision, payload, host FROM events WHERE revision > ? AND (host IS NULL OR host = ?) ORDER BY revision LIMIT ?",
          [since, host, limit],
        );
  const events = rows.map((r) => ({
    revision: Number(r.revision),
    event: EventPayload.parse(JSON.parse(r.payload)),
    host: r.host,
  }));
  return { events, latest, gap: false };
}

export async function prune(q: Queryable, keep: number): Promise<number> {
  const latest = Number(
    (await q.get<{ revision: number }>("SELECT revision FROM weir_meta WHERE id = 1"))!.revision,
  );
  return q.run("DELETE FROM events WHERE revision <= ?", [latest - keep]);
}

export class Listeners {
  readonly #set = new Set<(revision: number) => void>();

  add(listener: (revision: number) => void): () => void {
    this.#set.add(listener);
    return () => this.#set.delete(listener);
  }

  emit(revision: number): void {
    for (const listener of this.#set) listener(revision);
  }
}

export type { SqlValue };
