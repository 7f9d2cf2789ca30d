// What wiring one more port costs the agent, on a host that already holds N bound ports: its CPU time
// (user + system, from /proc) and its convergence passes (weir_agent_passes_total) per new port. Ports are
// created and bound on the server, then plugged as Nova plugs them (one OVSDB transaction), one after
// another, each waited for (weir-installed) before the next.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { openVswitchDb, selectRows, transact, WeirKeys } from "../src/ovs/index.ts";
import { OvsdbClient } from "../src/ovsdb/index.ts";
import { ovsPaths, randomNeutronMac } from "../src/testbed/index.ts";
import type { BenchLab } from "./bench-lab.ts";

export interface WiringCost {
  readonly bound: number;
  readonly ports: number;
  readonly cpuMsPerPort: number;
  /** Passes that changed something, per new port. */
  readonly passesPerPort: number;
  /** Passes that looked and found nothing to do (echoes), per new port. */
  readonly idlePassesPerPort: number;
  readonly wallMsPerPort: number;
}

const CLOCK_TICKS_PER_S = 100;

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
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // let the host settle
    const cpuBefore = await cpuMs(agent.pid);
    const passesBefore = await passes(metricsUrl);
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      const mac = randomNeutronMac();
      const { id } = await lab.api.createPort({
        networkId,
        host: lab.hostName("h1"),
        mac,
        name: `cost-${i}`,
      });
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
        db.ops.mutate("Bridge", [["name", "==", host.integrationBridge]], [["ports", "insert", ["p"]]]),
      ]);
      for (const deadline = Date.now() + 30_000; ; ) {
        const [row] = await selectRows(
          db,
          "Interface",
          db.ops.select("Interface", [["name", "==", name]], ["external_ids"]),
        );
        if (row?.external_ids[WeirKeys.installed] !== undefined) break;
        if (Date.now() > deadline) throw new Error(`${name} not installed within 30 s`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    }
    const wallMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 500)); // the last port's status report and echoes
    const cpu = (await cpuMs(agent.pid)) - cpuBefore;
    const after = await passes(metricsUrl);
    return {
      bound,
      ports: count,
      cpuMsPerPort: cpu / count,
      passesPerPort: (after.changed - passesBefore.changed) / count,
      idlePassesPerPort: (after.idle - passesBefore.idle) / count,
      wallMsPerPort: wallMs / count,
    };
  } finally {
    client.close();
  }
}
