import { access, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { WeirError, waitFor } from "../base/index.ts";
import { vswitchSchemaPath } from "../ovsdb/index.ts";
import { run } from "./exec.ts";
import { isAlive, isOurProcess, readPidfile, stopProcess } from "./processes.ts";

/**
 * A private Open vSwitch: its own ovsdb-server and (optionally) ovs-vswitchd, with every file — database,
 * sockets, pidfiles, logs, and the bridges' `<bridge>.mgmt` OpenFlow sockets (via OVS_RUNDIR) — in one
 * directory. Daemons may run inside a network namespace: the userspace (netdev) datapath creates tap
 * devices named after its bridges, which collide between instances sharing a namespace, and it reaches
 * system ports through AF_PACKET in its own namespace. Unix sockets work from any namespace.
 */
export interface OvsPaths {
  readonly dir: string;
  readonly db: string;
  /** `unix:<dir>/db.sock` */
  readonly ovsdb: string;
  readonly ovsdbServerCtl: string;
  readonly vswitchdCtl: string;
}

export function ovsPaths(dir: string): OvsPaths {
  return {
    dir,
    db: join(dir, "conf.db"),
    ovsdb: `unix:${join(dir, "db.sock")}`,
    ovsdbServerCtl: join(dir, "ovsdb-server.ctl"),
    vswitchdCtl: join(dir, "ovs-vswitchd.ctl"),
  };
}

export class OvsStartError extends WeirError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("WEIR_OVS_START", message, options);
  }
}

const ovsEnv = (dir: string) => ({ OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir });

/** Creates the database (if new) and starts ovsdb-server; extra remotes such as `ptcp:0:127.0.0.1`. */
export async function startOvsdbServer(
  paths: OvsPaths,
  options: { netns?: string; remotes?: readonly string[] } = {},
): Promise<number> {
  await mkdir(paths.dir, { recursive: true });
  const exists = await access(paths.db).then(
    () => true,
    () => false,
  );
  if (!exists) await run("ovsdb-tool", ["create", paths.db, vswitchSchemaPath]);
  const pidfile = join(paths.dir, "ovsdb-server.pid");
  await startDaemon("ovsdb-server", pidfile, paths, options.netns, [
    paths.db,
    `--remote=p${paths.ovsdb}`,
    ...(options.remotes ?? []).map((remote) => `--remote=${remote}`),
    `--unixctl=${paths.ovsdbServerCtl}`,
  ]);
  await run("ovs-vsctl", [`--db=${paths.ovsdb}`, "--no-wait", "init"]);
  return (await readPidfile(pidfile))!;
}

/** Starts ovs-vswitchd against the instance's ovsdb-server. */
export async function startVswitchd(paths: OvsPaths, options: { netns?: string } = {}): Promise<number> {
  const pidfile = join(paths.dir, "ovs-vswitchd.pid");
  await startDaemon("ovs-vswitchd", pidfile, paths, options.netns, [
    paths.ovsdb,
    `--unixctl=${paths.vswitchdCtl}`,
    // Registers the "dummy" port type beside the real ones (not "=override": system ports stay real).
    // Benchmarks plug thousands of idle ports as dummies: in the userspace datapath the main thread polls
    // every tap device, and past a few thousand taps forwarding itself collapses (idle-ports.ts).
    "--enable-dummy",
  ]);
  return (await readPidfile(pidfile))!;
}

async function startDaemon(
  program: string,
  pidfile: string,
  paths: OvsPaths,
  netns: string | undefined,
  args: readonly string[],
): Promise<void> {
  const log = join(paths.dir, `${program}.log`);
  try {
    await run(
      program,
      [
        ...args,
        `--pidfile=${pidfile}`,
        `--log-file=${log}`,
        "--detach",
        "--no-chdir",
        "-vconsole:off",
        "-vsyslog:off",
      ],
      { ...(netns === undefined ? {} : { netns }), env: ovsEnv(paths.dir), timeoutMs: 20_000 },
    );
    // --detach returns once the daemon is initialised; the pidfile names it.
    await waitFor(async () => ((await readPidfile(pidfile)) !== undefined ? true : undefined), {
      timeoutMs: 5_000,
      what: `${program} pidfile ${pidfile}`,
    });
  } catch (cause) {
    const tail = await readFile(log, "utf8").then(
      (text) => text.trim().split("\n").slice(-5).join("\n"),
      () => "",
    );
    throw new OvsStartError(
      `cannot start ${program} in ${paths.dir}${tail ? `; its log ends:\n${tail}` : ""}`,
      {
        cause,
      },
    );
  }
}

/** Stops this instance's daemons (vswitchd first), only by the pids in its own pidfiles; says which. */
export async function stopOvs(paths: OvsPaths): Promise<string[]> {
  const stopped: string[] = [];
  for (const program of ["ovs-vswitchd", "ovsdb-server"]) {
    const pid = await readPidfile(join(paths.dir, `${program}.pid`));
    if (pid !== undefined && (await isAlive(pid)) && (await isOurProcess(pid, program, paths.dir))) {
      await stopProcess(pid);
      stopped.push(`${program} ${pid}`);
    }
  }
  return stopped;
}

/** Pid of a running daemon of this instance, if any. */
export async function daemonPid(paths: OvsPaths, program: "ovsdb-server" | "ovs-vswitchd") {
  const pid = await readPidfile(join(paths.dir, `${program}.pid`));
  return pid !== undefined && (await isAlive(pid)) && (await isOurProcess(pid, program, paths.dir))
    ? pid
    : undefined;
}

/** The port of a `ptcp:0:…` remote, which ovsdb-server logs as "listening on port N". */
export async function ovsdbTcpPort(paths: OvsPaths): Promise<number> {
  return waitFor(
    async () => {
      const log = await readFile(join(paths.dir, "ovsdb-server.log"), "utf8").catch(() => "");
      const match = /listening on port (\d+)/.exec(log);
      return match === null ? undefined : Number(match[1]);
    },
    { timeoutMs: 5_000, what: `ovsdb-server TCP port in ${paths.dir}` },
  );
}

/** Runs ovs-vsctl against the instance (always --db; never the system's database). */
export function vsctl(paths: OvsPaths, args: readonly string[], options: { noWait?: boolean } = {}) {
  return run("ovs-vsctl", [
    `--db=${paths.ovsdb}`,
    "--timeout=10",
    ...(options.noWait ? ["--no-wait"] : []),
    ...args,
  ]);
}
