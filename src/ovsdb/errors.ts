import { WeirError } from "../base/index.ts";
import type { Json } from "./wire/json.ts";

/** The connection could not be made, was lost, or is not there. The outcome of requests in flight is unknown. */
export class OvsdbTransportError extends WeirError {
  readonly endpoint: string;

  constructor(endpoint: string, message: string, options?: { cause?: unknown }) {
    super("OVSDB_TRANSPORT", `${endpoint}: ${message}`, options);
    this.endpoint = endpoint;
  }
}

/** The peer sent bytes or messages that are not valid JSON-RPC / RFC 7047. The connection is closed. */
export class OvsdbProtocolError extends WeirError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("OVSDB_PROTOCOL", message, options);
  }
}

/** The server answered a request with a JSON-RPC error (RFC 7047 §4.1: e.g. "unknown database"). */
export class OvsdbRpcError extends WeirError {
  readonly method: string;
  readonly error: Json;

  constructor(method: string, error: Json) {
    super("OVSDB_RPC_ERROR", `${method}: server answered ${JSON.stringify(error)}`);
    this.method = method;
    this.error = error;
  }

  /** True when the server does not implement the method (how ovsdb-server says it, RFC 7047 §4.1.x). */
  get isUnknownMethod(): boolean {
    return typeof this.error === "string" && this.error.includes("unknown method");
  }
}

/**
 * A transaction failed: one operation returned an error (RFC 7047 §4.1.3) or the commit itself failed
 * (then `index` is the number of operations, one past the last). Nothing of the transaction was applied.
 */
export class OvsdbTransactionError extends WeirError {
  readonly index: number;
  readonly operation: Json | undefined;
  readonly error: string;
  readonly details: string | undefined;

  constructor(index: number, operation: Json | undefined, error: string, details: string | undefined) {
    const where = operation === undefined ? "commit" : `operation ${index} (${describeOperation(operation)})`;
    super("OVSDB_TRANSACTION", `${where} failed: ${error}${details ? `: ${details}` : ""}`);
    this.index = index;
    this.operation = operation;
    this.error = error;
    this.details = details;
  }
}

function describeOperation(operation: Json): string {
  if (typeof operation !== "object" || operation === null || Array.isArray(operation)) return "?";
  const table = typeof operation.table === "string" ? ` ${operation.table}` : "";
  return `${String(operation.op)}${table}`;
}
