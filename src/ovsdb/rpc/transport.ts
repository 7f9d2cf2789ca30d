import { createConnection, type Socket } from "node:net";
import { InvalidArgumentError } from "../../base/index.ts";
import { OvsdbTransportError } from "../errors.ts";

/** A connected byte stream. The JSON-RPC peer only needs these four things, so tests can script one. */
export interface Connection {
  write(data: string): void;
  close(): void;
  onData(listener: (chunk: Uint8Array) => void): void;
  /** Called once, with the error if the stream failed rather than ended. */
  onClose(listener: (error?: Error) => void): void;
}

/** Makes connections to one endpoint; the client calls it again to reconnect. */
export interface Transport {
  readonly endpoint: string;
  connect(timeoutMs: number): Promise<Connection>;
}

/** Parses an OVS-style endpoint: `unix:/path/db.sock`, `tcp:127.0.0.1:6640`, `tcp:[::1]:6640`. */
export function transportFor(endpoint: string): Transport {
  if (endpoint.startsWith("unix:") && endpoint.length > 5) {
    const path = endpoint.slice(5);
    return { endpoint, connect: (timeoutMs) => connectSocket(endpoint, { path }, timeoutMs) };
  }
  const tcp = /^tcp:(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(endpoint);
  if (tcp !== null) {
    const host = tcp[1] ?? tcp[2]!;
    const port = Number(tcp[3]);
    if (port > 0 && port < 65536) {
      return { endpoint, connect: (timeoutMs) => connectSocket(endpoint, { host, port }, timeoutMs) };
    }
  }
  throw new InvalidArgumentError("endpoint", `${JSON.stringify(endpoint)} is not unix:PATH or tcp:HOST:PORT`);
}

function connectSocket(
  endpoint: string,
  target: { path: string } | { host: string; port: number },
  timeoutMs: number,
): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(target);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new OvsdbTransportError(endpoint, `connect timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(new OvsdbTransportError(endpoint, `cannot connect: ${error.message}`, { cause: error }));
    });
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      if ("port" in target) socket.setNoDelay(true);
      resolve(socketConnection(endpoint, socket));
    });
  });
}

function socketConnection(endpoint: string, socket: Socket): Connection {
  let failure: Error | undefined;
  socket.on("error", (error) => {
    failure = new OvsdbTransportError(endpoint, error.message, { cause: error });
  });
  return {
    write: (data) => {
      if (!socket.destroyed) socket.write(data);
    },
    close: () => socket.destroy(),
    onData: (listener) => socket.on("data", listener),
    onClose: (listener) => socket.once("close", () => listener(failure)),
  };
}
