export { PostgresStore } from "./postgres-store.ts";
export { SqliteStore } from "./sqlite-store.ts";
export type { AddressedEvent, EventBatch, Queryable, SqlValue, Store, WriteTx } from "./store.ts";
export { StoreConstraintError, StoreUnavailableError } from "./store.ts";

import { PostgresStore } from "./postgres-store.ts";
import { SqliteStore } from "./sqlite-store.ts";
import type { Store } from "./store.ts";

/** --db postgres://… for PostgreSQL, otherwise SQLite in the data directory. */
export function openStore(options: { db?: string; dataDir: string }): Promise<Store> {
  if (options.db !== undefined && /^postgres(ql)?:\/\//.test(options.db))
    return PostgresStore.open(options.db);
  return SqliteStore.open(options.dataDir);
}
