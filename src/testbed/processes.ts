import { readdir, readFile, readlink, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { sleep } from "../base/index.ts";

/**
 * Processes are only ever signalled by a pid we started (from its pidfile) after checking that the pid
 * still belongs to that program — a pid can be reused once the process is gone.
 */

/** Alive means present and not a zombie: PID 1 here may reap orphans seconds late, and a zombie forwards
 * nothing (see shared/reference/ovn-measured.md, "Zombies"). */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The state follows the parenthesised command name, which may itself contain spaces or ")".
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

export async function readPidfile(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(path, "utf8")).trim(), 10);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True if `pid` runs `program` and its command line mentions `marker` (e.g. the run directory). */
export async function isOurProcess(pid: number, program: string, marker: string): Promise<boolean> {
  try {
    const comm = (await readFile(`/proc/${pid}/comm`, "utf8")).trim();
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").join(" ");
    return comm === program.slice(0, 15) && cmdline.includes(marker);
  } catch {
    return false;
  }
}

/** `first` (SIGTERM), then SIGKILL after `graceMs`; resolves when the process is gone (or a zombie). */
export async function stopProcess(
  pid: number,
  graceMs = 3_000,
  first: NodeJS.Signals = "SIGTERM",
): Promise<void> {
  if (!(await isAlive(pid))) return;
  signal(pid, first);
  const deadline = performance.now() + graceMs;
  while (performance.now() < deadline) {
    if (!(await isAlive(pid))) return;
    await sleep(10);
  }
  signal(pid, "SIGKILL");
  for (let i = 0; i < 200 && (await isAlive(pid)); i++) await sleep(10);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** Pids of processes whose network namespace is the named one (what `ip netns pids` reports). */
export async function pidsInNamespace(namespace: string): Promise<number[]> {
  let inode: number;
  try {
    inode = (await stat(`/run/netns/${namespace}`)).ino;
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const link = await readlink(`/proc/${entry}/ns/net`);
      if (link === `net:[${inode}]`) pids.push(Number(entry));
    } catch {
      // Gone, or a kernel thread we may not inspect.
    }
  }
  return pids;
}

/**
 * Stops the Node.js process (a `weir` agent or server) whose pidfile is `dir/pidfile`, if it is still
 * ours: alive, and its command line names `dir`. Returns e.g. ["agent 1234"], or [] when nothing ran.
 */
export async function stopWeirProcessIn(dir: string, pidfile: string, label: string): Promise<string[]> {
  const path = join(dir, pidfile);
  const pid = await readPidfile(path);
  if (pid === undefined || !(await isAlive(pid))) return [];
  // Node names its main thread "MainThread", so comm may be either.
  if (!(await isOurProcess(pid, "node", dir)) && !(await isOurProcess(pid, "MainThread", dir))) return [];
  await stopProcess(pid, 3_000);
  await rm(path, { force: true });
  return [`${label} ${pid}`];
}
