import { channel } from "node:diagnostics_channel";
import {
  type BackoffPolicy,
  backoffDelay,
  defaultBackoff,
  describeError,
  InvalidArgumentError,
  withTimeout,
} from "../base/index.ts";
import { OvsdbProtocolError, OvsdbRpcError, OvsdbTransactionError, OvsdbTransportError } from "./errors.ts";
import {
  type MonitorHandler,
  type MonitorPhase,
  type MonitorRequests,
  parseTableUpdates,
  parseTableUpdates2,
} from "./monitor.ts";
import { JsonRpcPeer } from "./rpc/json-rpc-peer.ts";
import { type Transport, transportFor } from "./rpc/transport.ts";
import { type DatabaseSchema, parseSchema } from "./schema/schema.ts";
import { isJsonObject, type Json, type JsonObject } from "./wire/json.ts";
import { type Operation, operationsFor } from "./wire/operation.ts";

/** The connection's life, as a discriminated union (observe with onStatus). */
export type ClientStatus =
  | { readonly state: "connecting"; readonly attempt: number }
  | { readonly state: "connected" }
  | { readonly state: "disconnected"; readonly error: Error; readonly retryInMs: number }
  | { readonly state: "closed" };

export interface OvsdbClientOptions {
  /** `unix:PATH`, `tcp:HOST:PORT`, or a Transport (tests script one). */
  readonly endpoint: string | Transport;
  /** Idle time before an echo probe; a dead connection is noticed within twice this. 0 disables. */
  readonly probeIntervalMs?: number;
  readonly backoff?: BackoffPolicy;
  readonly connectTimeoutMs?: number;
  /** Timeout for each request; a transact that times out has an unknown outcome. */
  readonly requestTimeoutMs?: number;
}

export interface Monitor {
  readonly id: string;
  /** Which protocol the server accepted: monitor_cond, or RFC 7047 monitor on older servers. */
  readonly method: "monitor_cond" | "monitor";
  cancel(): Promise<void>;
}

export type LockEvent = { readonly type: "locked" | "stolen"; readonly lock: string };

interface MonitorState {
  readonly id: string;
  readonly db: string;
  readonly requests: MonitorRequests;
  readonly handler: MonitorHandler;
  method: "monitor_cond" | "monitor";
  /** Notifications that arrived before the monitor's reply was applied (replies settle a microtask later). */
  queue: Json[] | undefined;
}

const statusChannel = channel("weir:ovsdb:status");
const transactChannel = channel("weir:ovsdb:transact");
const warningChannel = channel("weir:ovsdb:warning");

/**
 * An RFC 7047 client. It reconnects with backoff until closed; after a reconnect it re-establishes every
 * monitor (handlers get a "resync" with the full contents) and re-requests the locks it held, and only
 * then reports "connected". Requests made while disconnected fail at once with OvsdbTransportError.
 */
export class OvsdbClient {
  readonly #transport: Transport;
  readonly #probeIntervalMs: number;
  readonly #backoff: BackoffPolicy;
  readonly #connectTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #statusListeners = new Set<(status: ClientStatus) => void>();
  readonly #lockListeners = new Set<(event: LockEvent) => void>();
  readonly #monitors = new Map<string, MonitorState>();
  readonly #locks = new Set<string>();
  readonly #schemas = new Map<string, Promise<DatabaseSchema>>();
  readonly #stop = new AbortController();
  #peer: JsonRpcPeer | undefined;
  #status: ClientStatus = { state: "connecting", attempt: 0 };
  #nextMonitorId = 1;

  constructor(options: OvsdbClientOptions) {
    this.#transport =
      typeof options.endpoint === "string" ? transportFor(options.endpoint) : options.endpoint;
    this.#probeIntervalMs = options.probeIntervalMs ?? 5_000;
    this.#backoff = options.backoff ?? defaultBackoff;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  }

  /** Creates a client and waits until it is connected; gives up (closing it) after `waitMs`. */
  static async connect(options: OvsdbClientOptions & { readonly waitMs?: number }): Promise<OvsdbClient> {
    const client = new OvsdbClient(options);
    try {
      await client.start(options.waitMs ?? 10_000);
      return client;
    } catch (error) {
      client.close();
      throw error;
    }
  }

  get endpoint(): string {
    return this.#transport.endpoint;
  }

  get status(): ClientStatus {
    return this.#status;
  }

  /** Starts the connection loop and resolves once connected, or rejects after `waitMs` with the last error. */
  async start(waitMs: number): Promise<void> {
    const connected = new Promise<void>((resolve) => {
      const off = this.onStatus((status) => {
        if (status.state === "connected") {
          off();
          resolve();
        }
      });
    });
    void this.#run();
    try {
      await withTimeout(connected, waitMs, `connecting to ${this.endpoint}`);
    } catch (error) {
      const last = this.#status.state === "disconnected" ? `: ${this.#status.error.message}` : "";
      throw new OvsdbTransportError(this.endpoint, `not connected after ${waitMs} ms${last}`, {
        cause: error,
      });
    }
  }

  onStatus(listener: (status: ClientStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  onLock(listener: (event: LockEvent) => void): () => void {
    this.#lockListeners.add(listener);
    return () => this.#lockListeners.delete(listener);
  }

  close(): void {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort();
    this.#peer?.close();
    this.#setStatus({ state: "closed" });
  }

  async listDbs(): Promise<string[]> {
    const result = await this.#request("list_dbs", []);
    if (!Array.isArray(result) || !result.every((db) => typeof db === "string")) {
      throw new OvsdbProtocolError(`list_dbs returned ${JSON.stringify(result)}`);
    }
    return result as string[];
  }

  /** The database's schema, fetched once per connection. */
  getSchema(db: string): Promise<DatabaseSchema> {
    let schema = this.#schemas.get(db);
    if (schema === undefined) {
      schema = this.#request("get_schema", [db]).then(parseSchema);
      schema.catch(() => this.#schemas.delete(db));
      this.#schemas.set(db, schema);
    }
    return schema;
  }

  /** A builder for `db`'s operations, checked against its schema. */
  async operations<Tables extends object>(db: string) {
    return operationsFor<Tables>(await this.getSchema(db));
  }

  echo(params: Json[] = []): Promise<Json> {
    return this.#request("echo", params);
  }

  /**
   * Runs operations as one transaction (RFC 7047 §4.1.3) and checks every result: if any operation or the
   * commit failed, throws OvsdbTransactionError naming it (and nothing was applied).
   */
  async transact(db: string, operations: readonly Operation[]): Promise<JsonObject[]> {
    const started = performance.now();
    let error: unknown;
    try {
      const results = await this.#request("transact", [db, ...operations]);
      return checkResults(operations, results);
    } catch (caught) {
      error = caught;
      throw caught;
    } finally {
      if (transactChannel.hasSubscribers) {
        transactChannel.publish({
          endpoint: this.endpoint,
          db,
          operations: operations.length,
          durationMs: performance.now() - started,
          error,
        });
      }
    }
  }

  /**
   * Starts a monitor (monitor_cond, or RFC 7047 monitor when the server lacks it — then `where` is refused).
   * The handler receives the initial contents before this resolves, then every change; after a reconnect,
   * the full contents again as "resync".
   */
  async monitor(db: string, requests: MonitorRequests, handler: MonitorHandler): Promise<Monitor> {
    if (this.#status.state !== "connected")
      throw new OvsdbTransportError(this.endpoint, "not connected (monitor)");
    const state: MonitorState = {
      id: `m${this.#nextMonitorId++}`,
      db,
      requests,
      handler,
      method: "monitor_cond",
      queue: undefined,
    };
    await this.#establish(state, "initial");
    this.#monitors.set(state.id, state);
    return {
      id: state.id,
      method: state.method,
      cancel: async () => {
        if (!this.#monitors.delete(state.id)) return;
        if (this.#status.state === "connected") await this.#request("monitor_cancel", [state.id]);
      },
    };
  }

  /** Requests a lock (RFC 7047 §4.1.8); true if held now, otherwise a "locked" event comes later. */
  async lock(lock: string): Promise<boolean> {
    const result = await this.#request("lock", [lock]);
    this.#locks.add(lock);
    return isJsonObject(result) && result.locked === true;
  }

  async steal(lock: string): Promise<boolean> {
    const result = await this.#request("steal", [lock]);
    this.#locks.add(lock);
    return isJsonObject(result) && result.locked === true;
  }

  async unlock(lock: string): Promise<void> {
    this.#locks.delete(lock);
    await this.#request("unlock", [lock]);
  }

  #request(method: string, params: Json): Promise<Json> {
    const peer = this.#peer;
    if (peer === undefined || peer.isClosed || this.#status.state !== "connected") {
      return Promise.reject(new OvsdbTransportError(this.endpoint, `not connected (${method})`));
    }
    return peer.request(method, params, this.#requestTimeoutMs);
  }

  async #run(): Promise<void> {
    let attempt = 0;
    while (!this.#stop.signal.aborted) {
      this.#setStatus({ state: "connecting", attempt });
      let reason: Error;
      try {
        const peer = await this.#openSession();
        attempt = 0;
        this.#setStatus({ state: "connected" });
        reason = (await peer.closed) ?? new OvsdbTransportError(this.endpoint, "connection closed");
      } catch (error) {
        reason = error instanceof Error ? error : new Error(describeError(error));
      }
      if (this.#stop.signal.aborted) break;
      const retryInMs = backoffDelay(this.#backoff, attempt++);
      this.#setStatus({ state: "disconnected", error: reason, retryInMs });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, retryInMs);
        this.#stop.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Connects and re-establishes monitors and locks; the session counts as up only after that. */
  async #openSession(): Promise<JsonRpcPeer> {
    const connection = await this.#transport.connect(this.#connectTimeoutMs);
    const peer = new JsonRpcPeer(
      connection,
      this.endpoint,
      {
        onNotification: (method, params) => this.#onNotification(method, params),
        onWarning: (message) => warningChannel.publish({ endpoint: this.endpoint, message }),
      },
      { probeIntervalMs: this.#probeIntervalMs },
    );
    this.#peer = peer;
    this.#schemas.clear();
    try {
      for (const state of this.#monitors.values()) {
        await this.#establish(state, "resync", peer);
      }
      for (const lock of this.#locks) {
        const result = await peer.request("lock", [lock], this.#requestTimeoutMs);
        if (isJsonObject(result) && result.locked === true) this.#emitLock({ type: "locked", lock });
      }
    } catch (error) {
      peer.close(error instanceof Error ? error : undefined);
      throw error;
    }
    if (this.#stop.signal.aborted) peer.close();
    return peer;
  }

  async #establish(state: MonitorState, phase: MonitorPhase, peer = this.#peer): Promise<void> {
    if (peer === undefined || peer.isClosed) {
      throw new OvsdbTransportError(this.endpoint, `not connected (monitor)`);
    }
    state.queue = [];
    // Routed while we wait for the reply, so notifications that overtake it are queued, not lost.
    this.#monitors.set(state.id, state);
    try {
      const params = await this.#monitorParams(state, peer);
      let reply: Json;
      try {
        reply = await peer.request(state.method, params, this.#requestTimeoutMs);
      } catch (error) {
        if (!(error instanceof OvsdbRpcError && error.isUnknownMethod && state.method === "monitor_cond")) {
          throw error;
        }
        state.method = "monitor";
        reply = await peer.request("monitor", await this.#monitorParams(state, peer), this.#requestTimeoutMs);
      }
      state.handler(phase, state.method === "monitor" ? parseTableUpdates(reply) : parseTableUpdates2(reply));
      const queued = state.queue;
      state.queue = undefined;
      for (const params of queued) this.#deliver(state, params);
    } catch (error) {
      if (phase === "initial") this.#monitors.delete(state.id);
      throw error;
    }
  }

  async #monitorParams(state: MonitorState, peer: JsonRpcPeer): Promise<Json> {
    const tables: JsonObject = {};
    const needsSchema = Object.values(state.requests).some(
      (r) => r.where !== undefined && r.where.length > 0,
    );
    const schema = needsSchema
      ? parseSchema(await peer.request("get_schema", [state.db], this.#requestTimeoutMs))
      : undefined;
    for (const [table, request] of Object.entries(state.requests)) {
      const wire: JsonObject = {};
      if (request.columns !== undefined) wire.columns = [...request.columns];
      if (request.select !== undefined) wire.select = { ...request.select };
      if (request.where !== undefined && request.where.length > 0) {
        if (state.method === "monitor") {
          throw new InvalidArgumentError(`monitor ${table}`, "conditions need monitor_cond (OVS >= 2.6)");
        }
        // Encoding conditions is the operation builder's job; borrow a select's "where".
        wire.where = operationsFor<Record<string, Record<string, unknown>>>(schema!).select(
          table,
          request.where,
        ).where as Json;
      }
      tables[table] = state.method === "monitor_cond" ? [wire] : wire;
    }
    return [state.db, state.id, tables];
  }

  #onNotification(method: string, params: Json): void {
    switch (method) {
      case "update":
      case "update2": {
        const id = Array.isArray(params) ? params[0] : undefined;
        const state = typeof id === "string" ? this.#monitors.get(id) : undefined;
        if (state === undefined) {
          warningChannel.publish({ endpoint: this.endpoint, message: `${method} for unknown monitor ${id}` });
        } else if (state.queue !== undefined) state.queue.push(params);
        else this.#deliver(state, params);
        return;
      }
      case "locked":
      case "stolen": {
        const lock = Array.isArray(params) ? params[0] : undefined;
        if (typeof lock === "string") this.#emitLock({ type: method, lock });
        return;
      }
      default:
        warningChannel.publish({ endpoint: this.endpoint, message: `ignored notification ${method}` });
    }
  }

  #deliver(state: MonitorState, params: Json): void {
    const updates = Array.isArray(params) ? params[1] : undefined;
    if (updates === undefined)
      throw new OvsdbProtocolError(`monitor ${state.id}: notification without updates`);
    state.handler(
      "update",
      state.method === "monitor" ? parseTableUpdates(updates) : parseTableUpdates2(updates),
    );
  }

  #emitLock(event: LockEvent): void {
    for (const listener of this.#lockListeners) listener(event);
  }

  #setStatus(status: ClientStatus): void {
    if (this.#status.state === "closed") return;
    this.#status = status;
    if (statusChannel.hasSubscribers) statusChannel.publish({ endpoint: this.endpoint, status });
    for (const listener of this.#statusListeners) listener(status);
  }
}

/** RFC 7047 §4.1.3: results match operations one to one; an error object marks the failed one, and one
 * extra element means the commit failed. */
function checkResults(operations: readonly Operation[], results: Json): JsonObject[] {
  if (!Array.isArray(results)) throw new OvsdbProtocolError(`transact result is not an array`);
  for (let index = 0; index < results.length; index++) {
    const result = results[index];
    if (isJsonObject(result) && typeof result.error === "string") {
      const details = typeof result.details === "string" ? result.details : undefined;
      throw new OvsdbTransactionError(index, operations[index], result.error, details);
    }
  }
  if (results.length < operations.length || results.some((r) => !isJsonObject(r))) {
    throw new OvsdbProtocolError(
      `transact returned ${results.length} results for ${operations.length} operations`,
    );
  }
  return results as JsonObject[];
}
