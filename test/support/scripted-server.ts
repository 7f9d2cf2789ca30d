// A scripted OVSDB peer behind an in-memory Transport, for unit tests of the JSON-RPC and client logic.
// Proof against the real ovsdb-server lives in test/integration/.
import type { Connection, Json, JsonObject, Transport } from "../../src/ovsdb/index.ts";

export type RequestHandler = (
  method: string,
  params: Json,
  session: ScriptedSession,
) => { result: Json } | { error: Json } | "no-reply";

export class ScriptedSession {
  readonly received: JsonObject[] = [];
  #dataListener: ((chunk: Uint8Array) => void) | undefined;
  #closeListener: ((error?: Error) => void) | undefined;
  #open = true;
  readonly #handler: RequestHandler;

  constructor(handler: RequestHandler) {
    this.#handler = handler;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  connection(): Connection {
    return {
      write: (data) => this.#fromClient(data),
      close: () => this.close(),
      onData: (listener) => {
        this.#dataListener = listener;
      },
      onClose: (listener) => {
        this.#closeListener = listener;
      },
    };
  }

  /** Sends raw bytes or a message to the client, asynchronously like a socket. */
  send(message: JsonObject | string | Uint8Array): void {
    const bytes =
      message instanceof Uint8Array
        ? message
        : Buffer.from(typeof message === "string" ? message : JSON.stringify(message));
    setImmediate(() => {
      if (this.#open) this.#dataListener?.(bytes);
    });
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    setImmediate(() => this.#closeListener?.());
  }

  #fromClient(data: string): void {
    if (!this.#open) return;
    const message = JSON.parse(data) as JsonObject;
    this.received.push(message);
    if (typeof message.method !== "string" || message.id === null || message.id === undefined) return;
    const answer = this.#handler(message.method, message.params ?? [], this);
    if (answer === "no-reply") return;
    this.send({ id: message.id, result: null, error: null, ...answer });
  }
}

/** A Transport that hands out a new ScriptedSession per connect (or refuses while `refusing`). */
export class ScriptedTransport implements Transport {
  readonly endpoint = "scripted:";
  readonly sessions: ScriptedSession[] = [];
  refusing = false;
  readonly #handler: RequestHandler;

  constructor(handler: RequestHandler) {
    this.#handler = handler;
  }

  get current(): ScriptedSession {
    return this.sessions.at(-1)!;
  }

  async connect(): Promise<Connection> {
    if (this.refusing) throw new Error("connection refused");
    const session = new ScriptedSession(this.#handler);
    this.sessions.push(session);
    return session.connection();
  }
}

/** A minimal Open_vSwitch-like schema for scripted tests. */
export const miniSchema: JsonObject = {
  name: "Open_vSwitch",
  version: "8.3.1",
  tables: {
    Bridge: {
      columns: {
        name: { type: "string" },
        ports: { type: { key: { type: "uuid", refTable: "Port" }, min: 0, max: "unlimited" } },
        fail_mode: {
          type: { key: { type: "string", enum: ["set", ["standalone", "secure"]] }, min: 0, max: 1 },
        },
        external_ids: { type: { key: "string", value: "string", min: 0, max: "unlimited" } },
      },
      isRoot: true,
    },
    Port: {
      columns: {
        name: { type: "string" },
        tag: { type: { key: { type: "integer", minInteger: 0, maxInteger: 4095 }, min: 0, max: 1 } },
      },
    },
  },
};
