// npm run bench -- restarts: the restart-disruption matrix, with a timeline plot per scenario.
import { mkdirSync, writeFileSync } from "node:fs";
import { describeMachine, machine, saveResult, updateBenchmarksDoc } from "./report.ts";
import { runRestartMatrix, type ScenarioResult } from "./restart-matrix.ts";
import { ms } from "./stats.ts";
import { timelineSvg } from "./timeline-svg.ts";

const plotsDir = new URL("../docs/bench/", import.meta.url);

export async function runRestartsBench(): Promise<void> {
  const m = machine();
  const results = await runRestartMatrix({
    variants: [0, 1000],
    tcpMbps: 20,
    log: (line) => console.log(`restarts: ${line}`),
  });
  const file = saveResult("restarts", {
    machine: m,
    results: results.map(({ pairs, tcp, ...rest }) => ({
      ...rest,
      pairs: pairs.map((p) => ({ name: p.name, ...p.result, timeline: undefined })),
      tcpIntervals: tcp?.intervals,
    })),
  });
  mkdirSync(plotsDir, { recursive: true });
  for (const r of results) {
    if (r.error !== undefined) continue;
    writeFileSync(
      new URL(plotName(r), plotsDir),
      timelineSvg({
        title: `${r.title} — ×${r.runs}, ${r.idlePorts} idle ports on h1`,
        pairs: r.pairs,
        tcp: r.tcp,
        markers: r.markers,
      }),
    );
  }
  updateBenchmarksDoc("restarts", render(results, describeMachine(m), file));
}

const plotName = (r: ScenarioResult) => `restarts-${r.scenario}-${r.idlePorts}.svg`;

function render(results: readonly ScenarioResult[], machineLine: string, file: string): string {
  const rows = results.map((r) => {
    if (r.error !== undefined)
      return `| ${r.title}${r.agentRestart ? "" : " *"} | ${r.idlePorts} | ${r.runs} | could not run: ${r.error.replaceAll("|", "/").replaceAll("\n", " ")} | | | | |`;
    const tcp =
      r.tcpMedianMbps === undefined || r.tcpMinMbps === undefined
        ? "–"
        : `${r.tcpMedianMbps.toFixed(0)} → ${r.tcpMinMbps.toFixed(0)}`;
    const lostPerPath = r.pairs.map((p) => p.result.lost).join(" / ");
    return `| ${r.title}${r.agentRestart ? "" : " *"} | ${r.idlePorts} | ${r.runs} | ${r.sent} | **${r.lost}** (${lostPerPath}) | ${ms(r.longestGapMs)} | ${tcp} | [plot](bench/${plotName(r)}) |`;
  });
  return [
    `Measured ${machineLine}. Raw data: \`${file.replace(/^.*\/bench\//, "bench/")}\` (not committed).`,
    "",
    "| scenario | idle ports | runs | packets sent | lost (same host / VLAN / VXLAN) | longest gap (ms) | TCP Mbit/s steady → lowest 100 ms | timeline |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rows,
    "",
    "\\* not a restart of the agent: shown for contrast (what Neutron's behaviour, an operator's change, or the switch itself costs).",
  ].join("\n");
}
