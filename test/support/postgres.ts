// A private PostgreSQL cluster for tests, under the testbed run root (owner "test") so crashed runs are
// swept. Debian's binaries; initdb refuses to run as root, so the cluster runs as the postgres user.
import { execFile } from "node:child_process";
import { chmod, chown, mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { defaultRunRoot, removeTestbed } from "../../src/testbed/index.ts";
import { testName, testOwner } from "./ovs.ts";

const run = promisify(execFile);
const bin = "/usr/lib/postgresql/15/bin";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface PostgresCluster {
  readonly port: number;
  /** A fresh, empty database; returns its URL. */
  database(): Promise<string>;
}

/** Starts a cluster; `cleanup` registers its removal (t.after, or node:test's after for a whole file). */
export async function postgresCluster(
  cleanup: (fn: () => Promise<unknown>) => void,
): Promise<PostgresCluster> {
  const name = testName();
  const root = join(defaultRunRoot, name);
  cleanup(() => removeTestbed(defaultRunRoot, name));
  await mkdir(root, { recursive: true });
  await writeFile(join(root, "owner"), `${testOwner}\n`);
  const dir = join(root, "postgres");
  await mkdir(dir, { recursive: true });
  const { stdout } = await run("id", ["-u", "postgres"]);
  const uid = Number(stdout.trim());
  await chown(dir, uid, uid);
  await chmod(root, 0o755);
  const port = await freePort();
  const asPostgres = (program: string, args: string[]) =>
    run("runuser", ["-u", "postgres", "--", join(bin, program), ...args]);
  await asPostgres("initdb", [
    "-D",
    join(dir, "data"),
    "-A",
    "trust",
    "-U",
    "weir",
    "--no-sync",
    "-E",
    "UTF8",
  ]);
  await asPostgres("pg_ctl", [
    "-D",
    join(dir, "data"),
    "-l",
    join(dir, "postgres.log"),
    "-w",
    "-t",
    "30",
    "-o",
    `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=300`,
    "start",
  ]);
  let n = 0;
  return {
    port,
    database: async () => {
      const db = `t${++n}`;
      const admin = new pg.Client({ connectionString: `postgres://weir@127.0.0.1:${port}/postgres` });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${db}`);
      await admin.end();
      return `postgres://weir@127.0.0.1:${port}/${db}`;
    },
  };
}
