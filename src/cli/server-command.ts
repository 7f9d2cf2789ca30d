import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { InvalidArgumentError } from "../base/index.ts";
import { loadServerConfig, openStore, WeirServer } from "../server/index.ts";
import { createLogger } from "./logger.ts";

export function serverCommand(): Command {
  return new Command("server")
    .description("run the control-plane server: the OpenStack Networking API v2.0 and the agent channel")
    .option("--listen <host:port>", "address to listen on", "127.0.0.1:9696")
    .option("--data-dir <dir>", "where the embedded SQLite database lives", "/var/lib/weir")
    .option(
      "--db <url>",
      "postgres://user:pass@host/db for PostgreSQL (several replicas); default SQLite in --data-dir",
    )
    .option(
      "--config <file>",
      "server.ini: Neutron's keys ([DEFAULT] auth_strategy, [keystone_authtoken], [oslo_policy], [ml2], [ml2_type_*], [QUOTAS]) and [weir]'s tokens",
    )
    .option("--noauth", "accept requests without a token, every caller an admin (local demos only)")
    .action(
      async (options: {
        listen: string;
        dataDir: string;
        db?: string;
        config?: string;
        noauth?: boolean;
      }) => {
        const [host, port] = parseListen(options.listen);
        const config = loadServerConfig(options.config);
        const strategy = options.noauth ? "noauth" : config.auth.strategy;
        if (strategy === "token" && config.adminToken === undefined) {
          throw new InvalidArgumentError(
            "[weir] admin_token",
            "no admin token configured: set it in --config, use [DEFAULT] auth_strategy = keystone, or run with --noauth on a private address",
          );
        }
        const logger = createLogger("weir-server");
        const sqlite = options.db === undefined;
        const pidfile = join(options.dataDir, "weir-server.pid");
        if (sqlite) claimDataDir(options.dataDir, pidfile);
        const store = await openStore({
          dataDir: options.dataDir,
          ...(options.db === undefined ? {} : { db: options.db }),
        });
        const server = await WeirServer.create({ store, config, noauth: options.noauth ?? false, logger });
        const address = await server.listen(host, port);
        logger.info(
          {
            url: `http://${address.address}:${address.port}`,
            store: store.kind,
            auth: strategy,
          },
          "weir server listening",
        );
        if (config.ignoredAuthKeys.length > 0)
          logger.info(
            { keys: config.ignoredAuthKeys },
            "[keystone_authtoken] options accepted but not used by Weir (tokens are cached in the server's memory)",
          );
        const stop = async (signal: string) => {
          logger.info({ signal }, "stopping");
          await server.close();
          await store.close();
          if (sqlite) rmSync(pidfile, { force: true });
          process.exit(0);
        };
        process.once("SIGTERM", () => void stop("SIGTERM"));
        process.once("SIGINT", () => void stop("SIGINT"));
      },
    );
}

function parseListen(text: string): [string, number] {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || port > 65535)
    throw new InvalidArgumentError("--listen", `${JSON.stringify(text)} is not HOST:PORT`);
  return [m[1]!.replace(/^\[|\]$/g, ""), port];
}

/** One server process per SQLite data directory: a second one would not see the first's events. */
function claimDataDir(dir: string, pidfile: string): void {
  mkdirSync(dir, { recursive: true });
  try {
    const pid = Number(readFileSync(pidfile, "utf8").trim());
    if (pid > 0 && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        throw new InvalidArgumentError(
          "--data-dir",
          `another weir server (pid ${pid}) uses ${dir}; use --db postgres://… for several replicas`,
        );
      } catch (error) {
        if (error instanceof InvalidArgumentError) throw error;
      }
    }
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
  }
  writeFileSync(pidfile, `${process.pid}\n`);
}
