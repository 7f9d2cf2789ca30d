import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { appendEvents, Listeners, migrate, type PendingEvent, prune, readEvents } from "./sql-store.ts";
import {
  type EventBatch,
  type Queryable,
  type SqlValue,
  type Store,
  StoreConstraintError,
  type WriteTx,
} from "./store.ts";

/** A promise chain: one holder at a time, in arrival order. */
class Mutex {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(work, work);
    this.#tail = result.catch(() => {});
    return result;
  }
}

class Connection implements Queryable {
  readonly db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(path: string) {
    this.db = new DatabaseSync(path);
    // WAL: readers see the last commit while a write is open. FULL: a commit survives power loss, not
    // just kill -9. Foreign keys are off by default in SQLite.
    this.db.exec(
      "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000",
    );
  }

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  async all<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return guard(() => this.#prepare(sql).all(...params) as T[]);
  }

  async get<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return guard(() => this.#prepare(sql).get(...params) as T | undefined);
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return guard(() => Number(this.#prepare(sql).run(...params).changes));
  }
}

function guard<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    const message = error instanceof Error ? error.message : "";
    const constraint = /(UNIQUE|FOREIGN KEY) constraint failed:? ?(.*)$/.exec(message);
    if (constraint) throw new StoreConstraintError(constraint[2] || constraint[1]!, { cause: error });
    throw error;
  }
}

/**
 * The embedded store: one SQLite file in the data directory, one server process. A writer connection
 * (serialized by a mutex, since node:sqlite is synchronous and a transaction may await between
 * statements) and a reader connection, so reads never see a write in progress.
 */
export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  readonly #writer: Connection;
  readonly #reader: Connection;
  readonly #writeLock = new Mutex();
  readonly #readLock = new Mutex();
  readonly #listeners = new Listeners();

  private constructor(path: string) {
    this.#writer = new Connection(path);
    this.#reader = new Connection(path);
  }

  static async open(dataDir: string): Promise<SqliteStore> {
    mkdirSync(dataDir, { recursive: true });
    const store = new SqliteStore(join(dataDir, "weir.db"));
    await store.#writeLock.run(() =>
      migrate(store.#writer, "sqlite", async (work) => {
        store.#writer.db.exec("BEGIN IMMEDIATE");
        try {
          const result = await work();
          store.#writer.db.exec("COMMIT");
          return result;
        } catch (error) {
          store.#writer.db.exec("ROLLBACK");
          throw error;
        }
      }),
    );
    return store;
  }

  get query(): Queryable {
    return this.#reader;
  }

  write<T>(work: (tx: WriteTx) => Promise<T>): Promise<T> {
    return this.#writeLock.run(async () => {
      const w = this.#writer;
      w.db.exec("BEGIN IMMEDIATE");
      const pending: PendingEvent[] = [];
      const tx: WriteTx = {
        all: (sql, params) => w.all(sql, params),
        get: (sql, params) => w.get(sql, params),
        run: (sql, params) => w.run(sql, params),
        emit: (payload, host) => void pending.push({ payload, host }),
      };
      let revision = 0;
      try {
        const result = await work(tx);
        if (pending.length > 0) {
          const current = Number(
            (await w.get<{ revision: number }>("SELECT revision FROM weir_meta WHERE id = 1"))!.revision,
          );
          revision = await appendEvents(w, current, pending);
        }
        w.db.exec("COMMIT");
        if (revision > 0) this.#listeners.emit(revision);
        return result;
      } catch (error) {
        if (w.db.isTransaction) w.db.exec("ROLLBACK");
        throw error;
      }
    });
  }

  snapshot<T>(work: (q: Queryable, revision: number) => Promise<T>): Promise<T> {
    return this.#readLock.run(async () => {
      const r = this.#reader;
      r.db.exec("BEGIN");
      try {
        const revision = Number(
          (await r.get<{ revision: number }>("SELECT revision FROM weir_meta WHERE id = 1"))!.revision,
        );
        return await work(r, revision);
      } finally {
        r.db.exec("COMMIT");
      }
    });
  }

  eventsSince(since: number, host: string, limit: number): Promise<EventBatch> {
    return this.snapshot((q) => readEvents(q, since, host, limit));
  }

  async currentRevision(): Promise<number> {
    return Number(
      (await this.#reader.get<{ revision: number }>("SELECT revision FROM weir_meta WHERE id = 1"))!.revision,
    );
  }

  onCommit(listener: (revision: number) => void): () => void {
    return this.#listeners.add(listener);
  }

  pruneEvents(keep: number): Promise<number> {
    return this.write((tx) => prune(tx, keep));
  }

  async close(): Promise<void> {
    await this.#writeLock.run(async () => {
      this.#writer.db.close();
      this.#reader.db.close();
    });
  }
}
