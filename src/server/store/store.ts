import { WeirError } from "../../base/index.ts";
import type { EventPayload, StreamEvent } from "../../protocol/index.ts";

export type SqlValue = string | number | null;

/** Runs SQL written with `?` placeholders (the PostgreSQL store renumbers them to $n). */
export interface Queryable {
  all<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/**
 * A write transaction. Writers are serialized (SQLite's single writer; a row lock on weir_meta in
 * PostgreSQL, held until commit), so revisions are handed out in commit order and allocations (segments,
 * MACs, IPs) never race. Events emitted here are committed with the data, or not at all.
 */
export interface WriteTx extends Queryable {
  /** Appends an event, for every agent (host null) or one host's agent. */
  emit(event: EventPayload, host: string | null): void;
}

/** A stream event with its addressee (null: every agent). */
export type AddressedEvent = StreamEvent & { readonly host: string | null };

export interface EventBatch {
  readonly events: readonly AddressedEvent[];
  /** The newest committed revision when this was read. */
  readonly latest: number;
  /** True when events after `since` were already pruned: the reader must resync. */
  readonly gap: boolean;
}

export interface Store {
  readonly kind: "sqlite" | "postgres";
  /** Autocommit reads. */
  readonly query: Queryable;
  write<T>(work: (tx: WriteTx) => Promise<T>): Promise<T>;
  /** Several reads that see one consistent state, and the revision that state corresponds to. */
  snapshot<T>(work: (q: Queryable, revision: number) => Promise<T>): Promise<T>;
  /** Events after `since` addressed to `host` (or to everyone), oldest first, at most `limit`; host "*"
   * reads every host's events (the stream hub dispatches them). */
  eventsSince(since: number, host: string, limit: number): Promise<EventBatch>;
  currentRevision(): Promise<number>;
  /** Called after every commit that emitted events — this process's and, in PostgreSQL, other replicas'. */
  onCommit(listener: (revision: number) => void): () => void;
  /** Drops events older than the newest `keep` (they are only needed for resumes). */
  pruneEvents(keep: number): Promise<number>;
  close(): Promise<void>;
}

/** A unique or foreign-key constraint refused a write; `constraint` names which, when the database says. */
export class StoreConstraintError extends WeirError {
  readonly constraint: string;

  constructor(constraint: string, options?: { cause?: unknown }) {
    super("WEIR_STORE_CONSTRAINT", `constraint ${constraint} refused the write`, options);
    this.constraint = constraint;
  }
}

export class StoreUnavailableError extends WeirError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("WEIR_STORE_UNAVAILABLE", message, options);
  }
}
