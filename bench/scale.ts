// npm run bench -- scale: full resync with 1,000/5,000/10,000 ports, and port wiring latency on an idle
// host and on a host holding 1,000 bound ports.
import { addIdlePorts, waitInstalledCount } from "../src/testbed/index.ts";
import { withBenchLab } from "./bench-lab.ts";
import { describeMachine, machine, saveResult, updateBenchmarksDoc } from "./report.ts";
import { measureResync, type ResyncResult } from "./scale-resync.ts";
import { ms, summary } from "./stats.ts";
import { measureWiring, type WiringSample } from "./wiring.ts";

const resyncSizes = [1000, 5000, 10000];
const wiringCount = 200;
const floorCount = 50;
const wiringBound = [0, 1000];

export async function runScaleBench(): Promise<void> {
  const m = machine();
  const log = (line: string) => console.log(`scale: ${line}`);
  const resync: ResyncResult[] = [];
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
      const samples = await measureWiring(lab, net, target, wiringCount, (i) => `198.19.1.${i + 1}`);
      const s = summary(samples.map((x) => x.firstReplyMs));
      log(
        `wiring with ${bound} bound ports: first reply p50 ${ms(s.p50)} p99 ${ms(s.p99)} max ${ms(s.max)} ms`,
      );
      const tag = (await lab.vifState(target)).tag!;
      const floor = await measureWiring(lab, net, target, floorCount, (i) => `198.19.2.${i + 1}`, tag);
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
    wiring,
  });
  updateBenchmarksDoc("scale", render(resync, wiring, describeMachine(m), file));
}

function render(
  resync: readonly ResyncResult[],
  wiring: readonly { bound: number; samples: readonly WiringSample[]; floor: readonly WiringSample[] }[],
  machineLine: string,
  file: string,
): string {
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
    `**Port wiring latency**, ${wiringCount} ports plugged one after another (p50 / p99 / max, ms from the add-port):`,
    "",
    "| host | ports | first ICMP reply through the port | weir-installed | server shows ACTIVE |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...wiringRows,
  ].join("\n");
}
