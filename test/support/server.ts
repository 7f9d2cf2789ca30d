// A Weir server in this process, on a free loopback port, over SQLite (temp dir) or PostgreSQL.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import pino from "pino";
import {
  defaultServerConfig,
  openStore,
  type ServerConfig,
  type Store,
  WeirServer,
} from "../../src/server/index.ts";
import type { PostgresCluster } from "./postgres.ts";

export type Backend = { kind: "sqlite" } | { kind: "postgres"; cluster: () => Promise<PostgresCluster> };

export interface TestServer {
  readonly url: string;
  readonly store: Store;
  readonly dataDir: string | undefined;
  readonly dbUrl: string | undefined;
  /** A JSON request; returns status and parsed body. */
  api(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export const silent = pino({ level: "silent" });

export interface ServerSetup {
  readonly config?: Partial<ServerConfig>;
  readonly noauth?: boolean;
  readonly now?: () => Date;
  /** Reuse a data dir or database (restart scenarios). */
  readonly dataDir?: string;
  readonly dbUrl?: string;
  /** Listen on this port (a server restarted where its agents expect it); default a free one. */
  readonly port?: number;
}

export async function startServer(
  t: TestContext,
  backend: Backend,
  setup: ServerSetup = {},
): Promise<TestServer> {
  let dataDir = setup.dataDir;
  let dbUrl = setup.dbUrl;
  if (backend.kind === "sqlite" && dataDir === undefined) {
    dataDir = await mkdtemp(join(tmpdir(), "weir-test-"));
    const dir = dataDir;
    t.after(() => rm(dir, { recursive: true, force: true }));
  }
  if (backend.kind === "postgres" && dbUrl === undefined) dbUrl = await (await backend.cluster()).database();
  const store = await openStore({ dataDir: dataDir ?? "", ...(dbUrl === undefined ? {} : { db: dbUrl }) });
  const server = await WeirServer.create({
    store,
    config: { ...defaultServerConfig, ...setup.config },
    noauth: setup.noauth ?? true,
    logger: silent,
    ...(setup.now ? { now: setup.now } : {}),
  });
  const address = await server.listen("127.0.0.1", setup.port ?? 0);
  const url = `http://127.0.0.1:${address.port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.close();
    await store.close();
  };
  t.after(stop);
  return {
    url,
    store,
    dataDir,
    dbUrl,
    stop,
    api: async (method, path, body, token) => {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          "content-type": "application/json",
          ...(token === undefined ? {} : { "x-auth-token": token }),
        },
        ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
    },
  };
}
