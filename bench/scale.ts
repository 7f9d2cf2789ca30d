// npm run bench -- scale: full resync with 1,000 and 10,000 ports (and where the agent's memory goes at
// 10,000), what wiring one more port costs the agent on a host with 0, 1,000 and 10,000 bound ports, and
// port wiring latency on an idle host and on a host holding 1,000 bound ports.
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep, waitFor } from "../src/base/index.ts";
import { addIdlePorts, installedCount, waitInstalledCount } from "../src/testbed/index.ts";
import { type BenchLab, withBenchLab } from "./bench-lab.ts";
import { type HeapGroup, summarizeHeap } from "./heap-summary.ts";
import { type MemorySplit, memorySplit, renderMemorySplit } from "./memory-split.ts";
import { referenceCpuMs } from "./reference-work.ts";
import { describeMachine, machine, saveResult, updateBenchmarksDoc } from "./report.ts";
import { measureResync, type ResyncResult } from "./scale-resync.ts";
import { ms, summary } from "./stats.ts";
import { measureWiring, type WiringSample } from "./wiring.ts";
import { measureWiringCost, type WiringCost } from "./wiring-cost.ts";

const resyncSizes = [1000, 10000];
const costBound = [0, 1000, 10000];
/** Ports wired per cost measurement: at 10,000 bound ports one add takes ovs-vswitchd tens of seconds. */
const costPorts = (bound: number) => (bound >= 10_000 ? 10 : 100);
const wiringCount = 200;
const floorCount = 50;
const wiringBound = [0, 1000];

export async function runScaleBench(): Promise<void> {
  const m = machine();
  const log = (line: string) => console.log(`scale: ${line}`);
  const resync: ResyncResult[] = [];
  let heap: HeapProfile | undefined;
  await withBenchLab("benchscl", 1, async (lab) => {
    await lab.startAgent("h1");
    const networks = [
      await lab.network({ name: "v201", type: "vlan", segmentationId: 201 }),
      await lab.network({ name: "v202", type: "vlan", segmentationId: 202 }),
      await lab.network({ name: "x2001", type: "vxlan", segmentationId: 2001 }),
      await lab.network({ name: "x2002", type: "vxlan", segmentationId: 2002 }),
    ];
    let have = 0;
    for (const size of resyncSizes) {
      const started = performance.now();
      await addIdlePorts(lab, "h1", networks, size - have, "internal");
      have = size;
      await waitInstalledCount(lab, "h1", size, 1_800_000);
      log(
        `${size} ports bound, plugged and installed (${((performance.now() - started) / 1000).toFixed(0)} s)`,
      );
      const r = await measureResync(lab, size);
      log(
        `${size} ports: process start → converged ${r.processToConvergedMs} ms (agent ${r.agentConvergeMs} ms), ${r.totalFlows} flows, raw bundle ${ms(r.rawBundleMs)} ms, RSS ${r.rssMiB.toFixed(0)} MiB (peak ${r.peakRssMiB.toFixed(0)})`,
      );
      resync.push(r);
      if (size === resyncSizes.at(-1)) heap = await heapProfile(lab);
    }
  });
  const costs: WiringCost[] = [];
  let referenceIdleMs = Number.NaN;
  await withBenchLab("benchcost", 1, async (lab) => {
    const metrics = "127.0.0.1:19477";
    await lab.startAgent("h1", { metricsListen: metrics });
    const net = await lab.network({ name: "cost", type: "vxlan", segmentationId: 3002 });
    referenceIdleMs = await referenceCpuMs();
    log(`reference work on the idle host: ${referenceIdleMs.toFixed(0)} ms CPU`);
    let bound = 0;
    let wired = 0;
    for (const want of costBound) {
      if (want > bound) {
        await addIdlePorts(lab, "h1", [net], want - bound, "dummy");
        await waitInstalledCount(lab, "h1", want + wired, 1_800_000);
        bound = want;
      }
      const cost = await measureWiringCost(lab, net, costPorts(bound), bound, `http://${metrics}/metrics`);
      log(
        `wiring cost with ${bound} bound ports: ${cost.cpuMsPerPort.toFixed(2)} ms CPU (net ${cost.netCpuMsPerPort.toFixed(2)}; ovs-vswitchd ${cost.vswitchdCpuMsPerPort.toFixed(0)}), ${cost.passesPerPort.toFixed(2)} passes (+${cost.idlePassesPerPort.toFixed(2)} idle) per port; reference work ${cost.referenceCpuMs.toFixed(0)} ms CPU meanwhile`,
      );
      costs.push(cost);
      wired += cost.ports + cost.extraPorts;
    }
  });
  const wiring: { bound: number; samples: WiringSample[]; floor: WiringSample[] }[] = [];
  for (const bound of wiringBound) {
    await withBenchLab("benchwire", 1, async (lab) => {
      await lab.startAgent("h1");
      const net = await lab.network({ name: "wire", type: "vxlan", segmentationId: 3001 });
      const target = await lab.vm("h1", net, "target", "198.19.0.1");
      if (bound > 0) {
        await addIdlePorts(lab, "h1", [net], bound, "internal");
        await waitInstalledCount(lab, "h1", bound + 1, 900_000);
      }
      // Fixed IPs in the lab's subnet: anti-spoofing (with any firewall driver) passes only a port's own.
      const subnet = await lab.subnetOf(net);
      const samples = await measureWiring(
        lab,
        net,
        target,
        wiringCount,
        (i) => `198.19.1.${i + 1}`,
        undefined,
        subnet,
      );
      const s = summary(samples.map((x) => x.firstReplyMs));
      log(
        `wiring with ${bound} bound ports: first reply p50 ${ms(s.p50)} p99 ${ms(s.p99)} max ${ms(s.max)} ms`,
      );
      const tag = (await lab.vifState(target)).tag!;
      const floor = await measureWiring(
        lab,
        net,
        target,
        floorCount,
        (i) => `198.19.2.${i + 1}`,
        tag,
        subnet,
      );
      const f = summary(floor.map((x) => x.firstReplyMs));
      log(
        `OVS floor with ${bound} bound ports: first reply p50 ${ms(f.p50)} p99 ${ms(f.p99)} max ${ms(f.max)} ms`,
      );
      wiring.push({ bound, samples, floor });
    });
  }
  const file = saveResult("scale", {
    machine: m,
    resync: resync.map(({ report, ...rest }) => ({ ...rest, flowsReport: report.flows })),
    heap,
    costs,
    referenceIdleMs,
    wiring,
  });
  updateBenchmarksDoc(
    "scale",
    render({ resync, heap, costs, referenceIdleMs, wiring }, describeMachine(m), file),
  );
}

interface HeapProfile {
  readonly ports: number;
  readonly rssMiB: number;
  readonly heapMiB: number;
  /** The process's memory by kind (the agent's own metrics: Node.js's process.memoryUsage and V8). */
  readonly split: MemorySplit;
  readonly groups: readonly HeapGroup[];
}

/** Restarts the agent with heap snapshots on SIGUSR2, takes one once converged, and sums it up. */
async function heapProfile(lab: BenchLab): Promise<HeapProfile> {
  const dir = await mkdtemp(join(tmpdir(), "weir-bench-heap-"));
  try {
    await lab.agents.get("h1")?.stop();
    const metrics = "127.0.0.1:19478";
    await lab.startAgent(
      "h1",
      { metricsListen: metrics },
      { env: { NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir}` } },
    );
    await sleep(3_000);
    const agent = lab.agents.get("h1")!;
    const rssMiB = await rss(agent.pid);
    const split = await memorySplit(`http://${metrics}/metrics`);
    process.kill(agent.pid, "SIGUSR2");
    const file = await waitFor(
      async () => {
        const names = (await readdir(dir)).filter((n) => n.endsWith(".heapsnapshot"));
        if (names.length === 0) return undefined;
        // Written as the process goes: done when its size holds still for two seconds.
        const path = join(dir, names[0]!);
        const before = (await stat(path)).size;
        await sleep(2_000);
        return (await stat(path)).size === before && before > 0 ? path : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: "the agent's heap snapshot" },
    );
    const { total, groups } = await summarizeHeap(file);
    const ports = await installedCount(lab, "h1");
    return { ports, rssMiB, heapMiB: total / 2 ** 20, split, groups };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

function render(
  r: {
    resync: readonly ResyncResult[];
    heap: HeapProfile | undefined;
    costs: readonly WiringCost[];
    referenceIdleMs: number;
    wiring: readonly { bound: number; samples: readonly WiringSample[]; floor: readonly WiringSample[] }[];
  },
  machineLine: string,
  file: string,
): string {
  const { resync, heap, costs, referenceIdleMs, wiring } = r;
  const zero = costs.find((c) => c.bound === 0);
  const costRows = costs.map((c) => {
    const ratio = zero ? c.netCpuMsPerPort / zero.netCpuMsPerPort : Number.NaN;
    const slowdown = c.referenceCpuMs / referenceIdleMs;
    // When one add takes minutes, what the idle agent spends meanwhile (measured before, in 10 ms ticks)
    // can exceed the whole: the per-port work is then below what this method resolves.
    const resolved = c.netCpuMsPerPort > 0;
    const net = resolved ? `**${c.netCpuMsPerPort.toFixed(2)}**` : "below the idle share";
    const ratios = resolved
      ? `${ratio.toFixed(2)}× | ${slowdown.toFixed(2)}× | **${(ratio / slowdown).toFixed(2)}×**`
      : `– | ${slowdown.toFixed(2)}× | –`;
    return `| ${c.bound.toLocaleString("en")} | ${c.ports} | ${c.cpuMsPerPort.toFixed(2)} | ${c.idleCpuMsPerS.toFixed(2)} | ${net} | ${ratios} | **${c.passesPerPort.toFixed(2)}** | ${c.idlePassesPerPort.toFixed(2)} | ${c.wallMsPerPort.toFixed(0)} | ${c.vswitchdCpuMsPerPort.toFixed(0)} |`;
  });
  const heapRows = (heap?.groups ?? []).map(
    (g) =>
      `| ${g.what.replace(/\|/g, "\\|")} | ${g.count.toLocaleString("en")} | ${(g.bytes / 2 ** 20).toFixed(1)} |`,
  );
  const resyncRows = resync.map(
    (r) =>
      `| ${r.ports.toLocaleString("en")} | ${r.totalFlows.toLocaleString("en")} (${r.flows["br-int"]} / ${r.flows["br-tun"]} / ${r.flows["br-phys"]}) | **${r.processToConvergedMs}** | ${r.agentConvergeMs} | ${ms(r.rawBundleMs)} | ${(r.agentConvergeMs / r.rawBundleMs).toFixed(1)}× | ${r.rssMiB.toFixed(0)} (${r.peakRssMiB.toFixed(0)}) |`,
  );
  const cell = (values: number[]) => {
    const s = summary(values.filter((v) => Number.isFinite(v)));
    const missing = values.filter((v) => !Number.isFinite(v)).length;
    return `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)}${missing > 0 ? ` (${missing} missing)` : ""}`;
  };
  const wiringRows = wiring.flatMap(({ bound, samples, floor }) => {
    const host = bound === 0 ? "idle host" : `${bound.toLocaleString("en")} bound ports`;
    return [
      `| ${host} | ${samples.length} | **${cell(samples.map((s) => s.firstReplyMs))}** | ${cell(samples.map((s) => s.installedMs))} | ${cell(samples.map((s) => s.activeMs))} |`,
      `| ${host}, OVS floor (tag set in the add-port) | ${floor.length} | ${cell(floor.map((s) => s.firstReplyMs))} | – | – |`,
    ];
  });
  return [
    `Measured ${machineLine}. Raw data: \`${file.replace(/^.*\/bench\//, "bench/")}\` (not committed).`,
    "",
    "**Full resync after an agent restart** (SIGTERM, then start; bound idle ports on one host, over 2 VLAN and 2 VXLAN networks):",
    "",
    "| ports | flows (br-int / br-tun / br-phys) | process start → converged (ms) | agent start() → converged (ms) | raw `ovs-ofctl --bundle add-flows` (ms) | agent ÷ raw | agent RSS MiB (peak) |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...resyncRows,
    "",
    ...resync.map(
      (r) =>
        `Start-up steps at ${r.ports.toLocaleString("en")} ports (ms since the agent's start() when each ended): ${Object.entries(
          r.stepsMs ?? {},
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}.`,
    ),
    "",
    ...(heap === undefined
      ? []
      : [
          `**Where the agent's memory goes** at ${heap.ports.toLocaleString("en")} ports: RSS ${heap.rssMiB.toFixed(0)} MiB — ${renderMemorySplit(heap.split)}. The live JavaScript objects (a heap snapshot, their own sizes by constructor) hold ${heap.heapMiB.toFixed(0)} MiB:`,
          "",
          "| what | objects | MiB |",
          "| --- | ---: | ---: |",
          ...heapRows,
          "",
        ]),
    `**What one more port costs the agent** (CPU time and convergence passes per port; ${costPorts(0)} ports plugged one after another as OVS dummy ports, each waited for, ${costPorts(10_000)} at 10,000 bound ports; "net" takes out what the idle agent spends in the same wall time). The reference work (bench/reference-work.ts: the same amount of JSON, map and string work each time, ${referenceIdleMs.toFixed(0)} ms CPU on the idle host) runs in its own process while more ports are plugged: how much slower this machine runs such code while ovs-vswitchd adds ports beside it.`,
    "",
    "| bound ports on the host | ports wired | agent CPU ms per port | idle agent CPU ms/s | net agent CPU ms per port | net ÷ idle host | reference work ÷ idle host | net ÷ idle host, for the same speed | passes per port | idle passes per port (echoes) | wall ms per port | ovs-vswitchd CPU ms per port |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...costRows,
    "",
    `**Port wiring latency**, ${wiringCount} ports plugged one after another (p50 / p99 / max, ms from the add-port):`,
    "",
    "| host | ports | first ICMP reply through the port | weir-installed | server shows ACTIVE |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...wiringRows,
  ].join("\n");
}
