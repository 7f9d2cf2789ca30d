// What wiring one more port costs the agent, on a host that already holds N bound ports: its CPU time
// (user + system, from /proc) and its convergence passes (weir_agent_passes_total) per new port. Ports are
// created and bound on the server, then plugged as Nova plugs them (one OVSDB transaction), one after
// another, each waited for (weir-installed) before the next. Then a fixed reference work runs while more
// ports are plugged the same way: with thousands of ports ovs-vswitchd works hard on each add, on the
// other core, and the same code takes more CPU time meanwhile — the figures are read against that.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { openVswitchDb, selectRows, transact, type VswitchDb, WeirKeys } from "../src/ovs/index.ts";
import { OvsdbClient } from "../src/ovsdb/index.ts";
import { daemonPid, ovsPaths, randomNeutronMac } from "../src/testbed/index.ts";
import type { BenchLab } from "./bench-lab.ts";
import { referenceCpuMs } from "./reference-work.ts";

export interface WiringCost {
  readonly bound: number;
  readonly ports: number;
  readonly cpuMsPerPort: number;
  /** The same, less what the idle agent spent in that time (idleCpuMsPerS × wall time). */
  readonly netCpuMsPerPort: number;
  /** Agent CPU ms per second with nothing to wire, measured before. */
  readonly idleCpuMsPerS: number;
  /** Passes that changed something, per new port. */
  readonly passesPerPort: number;
  /** Passes that looked and found nothing to do (echoes), per new port. */
  readonly idlePassesPerPort: number;
  readonly wallMsPerPort: number;
  /** ovs-vswitchd's CPU ms per new port in the same time: where the wall time goes. */
  readonly vswitchdCpuMsPerPort: number;
  /** Ports plugged after the measurement, while the reference work ran. */
  readonly extraPorts: number;
  /** CPU ms of the reference work (reference-work.ts) while ports are plugged on this host. */
  readonly referenceCpuMs: number;
}

const CLOCK_TICKS_PER_S = 100;
const IDLE_SAMPLE_MS = 10_000;

/** utime + stime of a process, in ms (/proc/<pid>/stat fields 14 and 15, in clock ticks). */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

async function passes(metricsUrl: string): Promise<{ changed: number; idle: number }> {
  const text = await (await fetch(metricsUrl)).text();
  const value = (result: string) =>
    Number(new RegExp(`weir_agent_passes_total\\{result="${result}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  return { changed: value("changed"), idle: value("idle") };
}

export async function measureWiringCost(
  lab: BenchLab,
  networkId: string,
  count: number,
  bound: number,
  metricsUrl: string,
): Promise<WiringCost> {
  const agent = lab.agents.get("h1")!;
  const host = lab.testbed.host("h1");
  const client = await OvsdbClient.connect({ endpoint: ovsPaths(host.runDir).ovsdb, probeIntervalMs: 0 });
  try {
    const db = await openVswitchDb(client);
    const plugOne = (i: number) => plug(lab, db, host.integrationBridge, networkId, `cost-${bound}-${i}`);
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // let the host settle
    // What the agent spends doing nothing new (keep-alives, state reports), per second: at 10,000 ports one
    // add takes long enough for that to matter, so the per-port figure is given with it taken out too.
    const idleFrom = await cpuMs(agent.pid);
    await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_MS));
    const idleCpuMsPerS = (((await cpuMs(agent.pid)) - idleFrom) * 1000) / IDLE_SAMPLE_MS;
    const vswitchd = await daemonPid(ovsPaths(host.runDir), "ovs-vswitchd");
    if (vswitchd === undefined) throw new Error("ovs-vswitchd of h1 is not running");
    const cpuBefore = await cpuMs(agent.pid);
    const vswitchdBefore = await cpuMs(vswitchd);
    const passesBefore = await passes(metricsUrl);
    const started = performance.now();
    for (let i = 0; i < count; i++) await plugOne(i);
    const wallMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 500)); // the last port's status report and echoes
    const cpu = (await cpuMs(agent.pid)) - cpuBefore;
    const vswitchdCpu = (await cpuMs(vswitchd)) - vswitchdBefore;
    const after = await passes(metricsUrl);
    // The reference work, in the same conditions: while ports are plugged one after another.
    const reference = referenceCpuMs();
    let extraPorts = 0;
    let done = false;
    void reference.finally(() => {
      done = true;
    });
    while (!done) await plugOne(count + extraPorts++);
    return {
      bound,
      ports: count,
      extraPorts,
      cpuMsPerPort: cpu / count,
      netCpuMsPerPort: (cpu - (idleCpuMsPerS * wallMs) / 1000) / count,
      idleCpuMsPerS,
      passesPerPort: (after.changed - passesBefore.changed) / count,
      idlePassesPerPort: (after.idle - passesBefore.idle) / count,
      wallMsPerPort: wallMs / count,
      vswitchdCpuMsPerPort: vswitchdCpu / count,
      referenceCpuMs: await reference,
    };
  } finally {
    client.close();
  }
}

/** Creates and binds a port on the server, plugs it as Nova does (one transaction), waits for its mark. */
async function plug(
  lab: BenchLab,
  db: VswitchDb,
  bridge: string,
  networkId: string,
  portName: string,
): Promise<void> {
  const mac = randomNeutronMac();
  const { id } = await lab.api.createPort({ networkId, host: lab.hostName("h1"), mac, name: portName });
  const name = `tap${id.slice(0, 11)}`;
  await transact(db, [
    db.ops.insert(
      "Interface",
      {
        name,
        type: "dummy",
        external_ids: {
          "iface-id": id,
          "attached-mac": mac,
          "iface-status": "active",
          "vm-uuid": randomUUID(),
        },
      },
      "i",
    ),
    db.ops.insert("Port", { name, interfaces: ["i"] }, "p"),
    db.ops.mutate("Bridge", [["name", "==", bridge]], [["ports", "insert", ["p"]]]),
  ]);
  // With 10,000 ports ovs-vswitchd needs tens of seconds for one add (it reconfigures every port).
  for (const deadline = Date.now() + 300_000; ; ) {
    const [row] = await selectRows(
      db,
      "Interface",
      db.ops.select("Interface", [["name", "==", name]], ["external_ids"]),
    );
    if (row?.external_ids[WeirKeys.installed] !== undefined) return;
    if (Date.now() > deadline) throw new Error(`${name} not installed within 300 s`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
