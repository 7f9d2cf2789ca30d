// Full resync after an agent restart on a host holding N bound, idle ports: how long from the process's
// start to converged, how many flows, the agent's memory — and beside it the physical limit, the time
// `ovs-ofctl --bundle add-flows` takes to load the same flows into empty bridges of the same switch.
import { access, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { StartupReport } from "../src/agent/index.ts";
import { waitFor } from "../src/base/index.ts";
import { deleteBridge, ensureBridge, openVswitchDb } from "../src/ovs/index.ts";
import { OvsdbClient } from "../src/ovsdb/index.ts";
import { type HostInfo, ovsPaths, run, startAgent, waitInstalledCount } from "../src/testbed/index.ts";
import type { BenchLab } from "./bench-lab.ts";

export interface ResyncResult {
  readonly ports: number;
  readonly flows: Record<string, number>;
  readonly totalFlows: number;
  /** From spawning `weir agent` to its start-up report (node start-up included). */
  readonly processToConvergedMs: number;
  /** The agent's own measure: from its start() to converged. */
  readonly agentConvergeMs: number;
  /** `ovs-ofctl --bundle add-flows` of the same flows, summed over the bridges. */
  readonly rawBundleMs: number;
  /** The agent's start-up steps (ms since its start() when each ended). */
  readonly stepsMs: Record<string, number>;
  readonly rssMiB: number;
  readonly peakRssMiB: number;
  readonly report: StartupReport;
}

const socket = (host: HostInfo, bridge: string) => `unix:${join(host.runDir, `${bridge}.mgmt`)}`;

/**
 * Restarts h1's agent, which holds `ports` bound idle ports (all installed), and measures the resync;
 * waits `startupTimeoutMs` for its start-up report (lab.startAgent waits 60 s).
 */
export async function measureResync(
  lab: BenchLab,
  ports: number,
  startupTimeoutMs = 60_000,
  /** Called once the agent has converged, before the raw bundles (to read counters there). */
  onConverged?: (agentPid: number) => Promise<void>,
): Promise<ResyncResult> {
  const host = lab.testbed.host("h1");
  await waitInstalledCount(lab, "h1", ports, 900_000);
  await lab.agents.get("h1")?.stop();
  const spawnedAt = Date.now();
  // What lab.startAgent does, with a longer wait for the report.
  const agent = await startAgent(lab.testbed.info.name, host, lab.setup());
  lab.agents.set("h1", agent);
  const report = await agent.startupReport(startupTimeoutMs);
  await onConverged?.(agent.pid);
  const line = (await agent.logLines()).find((l) => String(l.msg).startsWith("start-up report"));
  const processToConvergedMs = Number(line?.time) - spawnedAt;
  const status = await readFile(`/proc/${agent.pid}/status`, "utf8");
  const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  const flows: Record<string, number> = {};
  let rawBundleMs = 0;
  for (const bridge of ["br-int", "br-tun", "br-phys"]) {
    const dump = await run("ovs-ofctl", [
      "-O",
      "OpenFlow15",
      "--no-stats",
      "--no-names",
      "dump-flows",
      socket(host, bridge),
    ]);
    const lines = dump.split("\n").filter((l) => l.trim().startsWith("cookie=") || l.includes("table="));
    flows[bridge] = lines.length;
    rawBundleMs += await rawBundle(host, bridge, lines);
  }
  return {
    ports,
    flows,
    totalFlows: Object.values(flows).reduce((a, b) => a + b, 0),
    processToConvergedMs,
    agentConvergeMs: report.convergeMs,
    rawBundleMs,
    stepsMs: report.stepsMs,
    rssMiB: kib("VmRSS") / 1024,
    peakRssMiB: kib("VmHWM") / 1024,
    report,
  };
}

/** Loads `lines` into a new empty bridge with one bundle; returns the ovs-ofctl wall time. */
async function rawBundle(host: HostInfo, bridge: string, lines: readonly string[]): Promise<number> {
  const scratch = `raw-${bridge.slice(3)}`;
  const file = join(host.runDir, `${scratch}.flows`);
  await writeFile(file, `${lines.join("\n")}\n`);
  // Weir's OVSDB client, not ovs-vsctl: vsctl reads the whole database and times out past 5,000 ports.
  const client = await OvsdbClient.connect({ endpoint: ovsPaths(host.runDir).ovsdb, probeIntervalMs: 0 });
  try {
    const db = await openVswitchDb(client);
    await ensureBridge(db, { name: scratch, datapathType: host.datapathType, failMode: "secure" });
    await waitFor(
      () =>
        access(join(host.runDir, `${scratch}.mgmt`)).then(
          () => true,
          () => undefined,
        ),
      {
        timeoutMs: 60_000,
        what: `${scratch}'s management socket`,
      },
    );
    try {
      const started = performance.now();
      await run(
        "ovs-ofctl",
        ["-O", "OpenFlow15", "--no-names", "--bundle", "add-flows", socket(host, scratch), file],
        {
          timeoutMs: 600_000,
        },
      );
      return performance.now() - started;
    } finally {
      await deleteBridge(db, scratch);
    }
  } finally {
    client.close();
  }
}
