/**
 * A `weir server` process for a testbed (the demo and the benchmarks): SQLite in a directory under the
 * testbed's run directory, noauth on loopback, without quotas. Its pidfile (written by the server itself) sits in that
 * directory, so the testbed's cleanup finds and stops it after a crash, like the agents.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WeirError, waitFor } from "../base/index.ts";
import { stopWeirProcessIn } from "./processes.ts";

const cli = fileURLToPath(new URL("../cli/main.ts", import.meta.url));

/** The server's own pidfile in its data directory (see server-command.ts). */
export const SERVER_PIDFILE = "weir-server.pid";
export const SERVER_LOG = "server.log";

export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly pid: number;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
  /** Let this process exit while the server keeps running (`weir demo --keep`). */
  detach(): void;
}

/** A free TCP port on loopback (bound, read, released). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") throw new Error("no port from listen(0)");
  return address.port;
}

// A testbed is one project with thousands of ports (the benchmarks): no quota in its way.
const TESTBED_CONFIG = [
  "[QUOTAS]",
  ...["network", "subnet", "port", "security_group", "security_group_rule", "rbac_policy"].map(
    (r) => `quota_${r} = -1`,
  ),
  "",
].join("\n");

/**
 * Starts `weir server` on 127.0.0.1:`port` over SQLite in `dataDir`; resolves once it answers. By
 * default a testbed's: noauth, no quotas; `config` (server.ini's text) replaces that, with the
 * authentication it names (OpenStack's API tests run it behind Keystone so).
 */
export async function startServerProcess(
  dataDir: string,
  port: number,
  options: { readonly config?: string } = {},
): Promise<ServerProcess> {
  await mkdir(dataDir, { recursive: true });
  const config = join(dataDir, "server.ini");
  await writeFile(config, options.config ?? TESTBED_CONFIG);
  const log = createWriteStream(join(dataDir, SERVER_LOG), { flags: "a" });
  await once(log, "open");
  const child = spawn(
    process.execPath,
    [
      cli,
      "server",
      ...(options.config === undefined ? ["--noauth"] : []),
      "--listen",
      `127.0.0.1:${port}`,
      "--data-dir",
      dataDir,
      "--config",
      config,
    ],
    // Own process group: a Ctrl-C meant for the demo reaches the demo, which then stops us in order.
    { stdio: ["ignore", log, log], detached: true, env: { ...process.env, WEIR_LOG_LEVEL: "info" } },
  );
  if (child.pid === undefined) throw new WeirError("WEIR_SERVER_SPAWN", "could not start weir server");
  const exited = once(child, "exit").then(() => log.end());
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (gone) {
        const text = await readFile(join(dataDir, SERVER_LOG), "utf8").catch(() => "");
        throw new WeirError("WEIR_SERVER_EXITED", `weir server exited at start:\n${text.slice(-2000)}`);
      }
      // Version discovery answers without a token, whatever the authentication.
      const response = await fetch(`${url}/`).catch(() => undefined);
      return response?.ok ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 50, what: `weir server on ${url}` },
  );
  const signalAndWait = async (signal: NodeJS.Signals) => {
    if (!gone) child.kill(signal);
    await exited;
  };
  return {
    url,
    port,
    dataDir,
    pid: child.pid,
    stop: () => signalAndWait("SIGTERM"),
    kill: async () => {
      await signalAndWait("SIGKILL");
      await rm(join(dataDir, SERVER_PIDFILE), { force: true });
    },
    detach: () => child.unref(),
  };
}

/** Stops the server whose pidfile is in `dir`, if it is still ours (crash cleanup). */
export function stopServerIn(dir: string): Promise<string[]> {
  return stopWeirProcessIn(dir, SERVER_PIDFILE, "server");
}
