import pg from "pg";
import { describeError } from "../../base/index.ts";
import { appendEvents, Listeners, migrate, type PendingEvent, prune, readEvents } from "./sql-store.ts";
import {
  type EventBatch,
  type Queryable,
  type SqlValue,
  type Store,
  StoreConstraintError,
  StoreUnavailableError,
  type WriteTx,
} from "./store.ts";

// BIGINT (revisions) arrives as text by default; ours fit a JS number comfortably.
pg.types.setTypeParser(20, (value) => Number(value));

const NOTIFY_CHANNEL = "weir_events";
const MIGRATION_LOCK = 0x57454952; // "WEIR"

/** `?` placeholders become `$1, $2, …` (no `?` appears inside our SQL's string literals). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

interface Client {
  query(sql: string, params?: readonly SqlValue[]): Promise<{ rows: object[]; rowCount: number | null }>;
}

function queryable(client: Client): Queryable {
  const exec = async (sql: string, params: readonly SqlValue[] = []) => {
    try {
      return await client.query(numbered(sql), params);
    } catch (error) {
      const pgError = error as { code?: string; constraint?: string };
      if (pgError.code === "23505" || pgError.code === "23503") {
        throw new StoreConstraintError(pgError.constraint ?? pgError.code, { cause: error });
      }
      throw error;
    }
  };
  return {
    all: async <T extends object>(sql: string, params?: readonly SqlValue[]) =>
      (await exec(sql, params)).rows as T[],
    get: async <T extends object>(sql: string, params?: readonly SqlValue[]) =>
      (await exec(sql, params)).rows[0] as T | undefined,
    run: async (sql, params) => (await exec(sql, params)).rowCount ?? 0,
  };
}

/**
 * PostgreSQL, for several server replicas behind one address. Every write transaction first locks the one
 * weir_meta row, so writers are serialized across replicas and revisions are committed in order; events
 * are announced with NOTIFY (delivered at commit), and every replica LISTENs, so an agent streaming from
 * replica A sees a change made through replica B.
 */
export class PostgresStore implements Store {
  readonly kind = "postgres" as const;
  readonly #pool: pg.Pool;
  readonly #listeners = new Listeners();
  #listener: pg.Client | undefined;
  #closed = false;

  private constructor(url: string) {
    this.#pool = new pg.Pool({ connectionString: url, max: 10 });
    this.#pool.on("error", () => {}); // idle client errors surface on the next query
  }

  static async open(url: string): Promise<PostgresStore> {
    const store = new PostgresStore(url);
    try {
      const client = await store.#pool.connect();
      try {
        await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
        const q = queryable(client);
        await migrate(q, "postgres", async (work) => {
          await client.query("BEGIN");
          try {
            const result = await work();
            await client.query("COMMIT");
            return result;
          } catch (error) {
            await client.query("ROLLBACK");
            throw error;
          }
        });
      } finally {
        await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => {});
        client.release();
      }
      await store.#listen(url);
      return store;
    } catch (error) {
      await store.#pool.end().catch(() => {});
      throw new StoreUnavailableError(`cannot use PostgreSQL at ${redact(url)}: ${describeError(error)}`, {
        cause: error,
      });
    }
  }

  async #listen(url: string): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    client.on("error", () => {
      if (!this.#closed) setTimeout(() => void this.#listen(url).catch(() => {}), 1_000).unref();
    });
    client.on("notification", (message) => {
      const revision = Number(message.payload);
      if (Number.isFinite(revision)) this.#listeners.emit(revision);
    });
    await client.connect();
    await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    this.#listener = client;
  }

  get query(): Queryable {
    return queryable(this.#pool);
  }

  async write<T>(work: (tx: WriteTx) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      const q = queryable(client);
      const meta = await q.get<{ revision: number }>(
        "SELECT revision FROM weir_meta WHERE id = 1 FOR UPDATE",
      );
      const pending: PendingEvent[] = [];
      const tx: WriteTx = { ...q, emit: (payload, host) => void pending.push({ payload, host }) };
      const result = await work(tx);
      if (pending.length > 0) {
        const revision = await appendEvents(q, Number(meta!.revision), pending);
        // Delivered to every listener (this replica included) when, and only if, the commit succeeds.
        await client.query(`SELECT pg_notify('${NOTIFY_CHANNEL}', $1)`, [String(revision)]);
      }
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async snapshot<T>(work: (q: Queryable, revision: number) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const q = queryable(client);
      const revision = Number(
        (await q.get<{ revision: number }>("SELECT revision FROM weir_meta WHERE id = 1"))!.revision,
      );
      const result = await work(q, revision);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  eventsSince(since: number, host: string, limit: number): Promise<EventBatch> {
    return this.snapshot((q) => readEvents(q, since, host, limit));
  }

  async currentRevision(): Promise<number> {
    return Number(
      (await this.query.get<{ revision: number }>("SELECT revision FROM weir_meta WHERE id = 1"))!.revision,
    );
  }

  onCommit(listener: (revision: number) => void): () => void {
    return this.#listeners.add(listener);
  }

  pruneEvents(keep: number): Promise<number> {
    return this.write((tx) => prune(tx, keep));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#listener?.end().catch(() => {});
    await this.#pool.end();
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]+@/, "//$1:***@");
}
