import { type Deferred, deferred, TimeoutError } from "../../base/index.ts";
import { OvsdbProtocolError, OvsdbRpcError, OvsdbTransportError } from "../errors.ts";
import { isJsonObject, type Json, type JsonObject } from "../wire/json.ts";
import { JsonFramer } from "./json-framer.ts";
import type { Connection } from "./transport.ts";

export interface PeerHandlers {
  /** A notification (request with a null id), e.g. "update2", "locked". */
  onNotification(method: string, params: Json): void;
  /** Something odd the peer sent that we survived (unknown method, response to no request). */
  onWarning(message: string): void;
}

export interface PeerOptions {
  /** Send an echo after this long without a message from the peer; close if the echo is not answered
   * within the same time again. 0 disables the probe. RFC 7047 §4.1.11. */
  readonly probeIntervalMs: number;
}

interface Pending {
  readonly method: string;
  readonly reply: Deferred<Json>;
  timer?: NodeJS.Timeout;
}

/**
 * One JSON-RPC 1.0 session (RFC 7047 §4) over one connection: request ids, responses matched to requests,
 * notifications passed on, echo answered, and an inactivity probe so that a dead peer is detected in at
 * most twice the probe interval. The peer ends with the connection; the client makes a new one to
 * reconnect.
 */
export class JsonRpcPeer {
  readonly #connection: Connection;
  readonly #endpoint: string;
  readonly #handlers: PeerHandlers;
  readonly #pending = new Map<number, Pending>();
  readonly #framer: JsonFramer;
  readonly #closed = deferred<Error | undefined>();
  readonly #probeIntervalMs: number;
  #nextId = 1;
  #isClosed = false;
  #probeTimer: NodeJS.Timeout | undefined;
  #probing = false;

  constructor(connection: Connection, endpoint: string, handlers: PeerHandlers, options: PeerOptions) {
    this.#connection = connection;
    this.#endpoint = endpoint;
    this.#handlers = handlers;
    this.#probeIntervalMs = options.probeIntervalMs;
    this.#framer = new JsonFramer((text) => this.#receive(text));
    connection.onData((chunk) => this.#onData(chunk));
    connection.onClose((error) => this.#onConnectionClosed(error));
    this.#armProbe();
  }

  /** Resolves (never rejects) when the session ends, with the reason if it was not a local close(). */
  get closed(): Promise<Error | undefined> {
    return this.#closed.promise;
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  request(method: string, params: Json, timeoutMs?: number): Promise<Json> {
    if (this.#isClosed) {
      return Promise.reject(new OvsdbTransportError(this.#endpoint, `not connected (${method})`));
    }
    const id = this.#nextId++;
    const pending: Pending = { method, reply: deferred<Json>() };
    if (timeoutMs !== undefined) {
      pending.timer = setTimeout(() => {
        this.#pending.delete(id);
        pending.reply.reject(new TimeoutError(`${method} on ${this.#endpoint}`, timeoutMs));
      }, timeoutMs);
      pending.timer.unref();
    }
    this.#pending.set(id, pending);
    this.#send({ method, params, id });
    return pending.reply.promise;
  }

  notify(method: string, params: Json): void {
    if (!this.#isClosed) this.#send({ method, params, id: null });
  }

  /** Ends the session; pending requests fail with `reason` (or a plain "closed" transport error). */
  close(reason?: Error): void {
    if (this.#isClosed) return;
    this.#finish(reason);
    this.#connection.close();
  }

  #send(message: JsonObject): void {
    this.#connection.write(JSON.stringify(message));
  }

  #onData(chunk: Uint8Array): void {
    if (this.#isClosed) return;
    this.#probing = false;
    this.#probeTimer?.refresh();
    try {
      this.#framer.push(chunk);
    } catch (error) {
      this.close(error instanceof Error ? error : new OvsdbProtocolError(String(error)));
    }
  }

  #onConnectionClosed(error?: Error): void {
    if (this.#isClosed) return;
    const truncated = this.#framer.pendingBytes;
    const reason =
      error ??
      (truncated > 0
        ? new OvsdbProtocolError(`connection closed inside a message (${truncated} bytes of it received)`)
        : new OvsdbTransportError(this.#endpoint, "connection closed by peer"));
    this.#finish(reason);
  }

  #finish(reason: Error | undefined): void {
    this.#isClosed = true;
    clearTimeout(this.#probeTimer);
    const failure =
      reason instanceof OvsdbTransportError
        ? reason
        : new OvsdbTransportError(this.#endpoint, reason ? reason.message : "connection closed", {
            cause: reason,
          });
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reply.reject(failure);
    }
    this.#pending.clear();
    this.#closed.resolve(reason);
  }

  #receive(text: string): void {
    let message: Json;
    try {
      message = JSON.parse(text) as Json;
    } catch (cause) {
      throw new OvsdbProtocolError(`invalid JSON from peer: ${text.slice(0, 80)}`, { cause });
    }
    if (!isJsonObject(message)) throw new OvsdbProtocolError("JSON-RPC message is not an object");
    if (typeof message.method === "string") this.#receiveRequest(message.method, message);
    else if ("id" in message && ("result" in message || "error" in message)) this.#receiveResponse(message);
    else
      this.#handlers.onWarning(
        `ignored a message that is neither request nor response: ${text.slice(0, 80)}`,
      );
  }

  #receiveRequest(method: string, message: JsonObject): void {
    const params = message.params ?? [];
    const id = message.id ?? null;
    if (id === null) {
      this.#handlers.onNotification(method, params);
      return;
    }
    if (method === "echo") {
      this.#send({ result: params, error: null, id });
      return;
    }
    // The server does not call other methods on a client; answer as JSON-RPC requires and carry on.
    this.#handlers.onWarning(`peer called unknown method ${JSON.stringify(method)}`);
    this.#send({ result: null, error: "unknown method", id });
  }

  #receiveResponse(message: JsonObject): void {
    const id = message.id;
    const pending = typeof id === "number" ? this.#pending.get(id) : undefined;
    if (pending === undefined) {
      // Our own probe echoes use string ids and need no bookkeeping: any message resets the probe.
      if (typeof id !== "string" || !id.startsWith("probe")) {
        this.#handlers.onWarning(`response to no pending request (id ${JSON.stringify(id)})`);
      }
      return;
    }
    this.#pending.delete(id as number);
    clearTimeout(pending.timer);
    const error = message.error ?? null;
    if (error !== null) pending.reply.reject(new OvsdbRpcError(pending.method, error));
    else pending.reply.resolve(message.result ?? null);
  }

  #armProbe(): void {
    if (this.#probeIntervalMs <= 0) return;
    this.#probeTimer = setTimeout(() => this.#probe(), this.#probeIntervalMs);
    this.#probeTimer.unref();
  }

  #probe(): void {
    if (this.#isClosed) return;
    if (this.#probing) {
      this.close(
        new OvsdbTransportError(
          this.#endpoint,
          `no message for ${2 * this.#probeIntervalMs} ms, echo unanswered: connection is dead`,
        ),
      );
      return;
    }
    this.#probing = true;
    this.#send({ method: "echo", params: [], id: `probe${this.#nextId++}` });
    this.#probeTimer?.refresh();
  }
}
