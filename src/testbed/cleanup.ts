import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { stopAgentIn } from "./agents.ts";
import { ip } from "./exec.ts";
import { stopKeystoneIn } from "./keystone-process.ts";
import { namespacePrefix, projectPrefix, testbedOfNamespace } from "./names.ts";
import { ovsPaths, stopOvs } from "./ovs-daemons.ts";
import { isAlive, isOurProcess, pidsInNamespace, readPidfile, stopProcess } from "./processes.ts";
import { stopServerIn } from "./server-process.ts";
import { restoreSocketBuffers } from "./socket-buffers.ts";

/** A PostgreSQL cluster a test or benchmark started under the run root (its pid heads postmaster.pid). */
async function stopPostgres(dataDir: string): Promise<string[]> {
  const pid = await readPidfile(join(dataDir, "postmaster.pid"));
  if (pid === undefined || !(await isAlive(pid)) || !(await isOurProcess(pid, "postgres", dataDir)))
    return [];
  await stopProcess(pid, 5_000, "SIGINT"); // PostgreSQL's fast shutdown: do not wait for clients
  return [`postgres ${pid}`];
}

/** Network namespaces that belong to `testbed` (or to any testbed when undefined). */
export async function ownedNamespaces(testbed?: string): Promise<string[]> {
  const output = await ip(["netns", "list"]);
  const prefix = testbed === undefined ? projectPrefix : namespacePrefix(testbed);
  return output
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((ns) => ns.startsWith(prefix) && testbedOfNamespace(ns) !== undefined);
}

/** Names of testbeds that have something left: a run directory or a namespace. */
export async function knownTestbeds(runRoot: string): Promise<string[]> {
  const names = new Set<string>();
  for (const ns of await ownedNamespaces()) names.add(testbedOfNamespace(ns)!);
  for (const entry of await readdir(runRoot, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory()) names.add(entry.name);
  }
  return [...names].sort();
}

export async function testbedOwner(runRoot: string, testbed: string): Promise<string | undefined> {
  return readFile(join(runRoot, testbed, "owner"), "utf8").then(
    (text) => text.trim(),
    () => undefined,
  );
}

/**
 * Removes everything of one testbed, also after a crash: the OVS daemons by their pidfiles (checked to be
 * ours), any other process still inside the testbed's namespaces (probes, agents — started by us, since
 * the namespaces are ours), the namespaces (which takes every veth with them) and the run directory.
 * Returns what it removed.
 */
export async function removeTestbed(runRoot: string, testbed: string): Promise<string[]> {
  const removed: string[] = [];
  const dir = join(runRoot, testbed);
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isDirectory()) continue;
    removed.push(...(await stopAgentIn(join(dir, entry.name))));
    removed.push(...(await stopServerIn(join(dir, entry.name))));
    removed.push(...(await stopOvs(ovsPaths(join(dir, entry.name)))));
    removed.push(...(await stopPostgres(join(dir, entry.name, "data"))));
    removed.push(...(await stopKeystoneIn(join(dir, entry.name))));
  }
  const namespaces = await ownedNamespaces(testbed);
  for (const ns of namespaces) {
    for (const pid of await pidsInNamespace(ns)) {
      if (pid !== process.pid && (await isAlive(pid))) {
        await stopProcess(pid, 1_000);
        removed.push(`process ${pid}`);
      }
    }
  }
  for (const ns of namespaces) {
    await ip(["netns", "del", ns]).catch(() => {});
    removed.push(`namespace ${ns}`);
  }
  await rm(dir, { recursive: true, force: true });
  if ((await knownTestbeds(runRoot)).length === 0) removed.push(...(await restoreSocketBuffers(runRoot)));
  return removed;
}
