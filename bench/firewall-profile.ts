// Where the agent's CPU goes while it applies security-group changes: the agent restarted with
// `--cpu-prof` (NODE_OPTIONS), the changes made again, and the profile (written when the agent exits)
// summed over the window of those changes — self time by source file and by function, and the time
// inside a few functions of interest (everything they call included).
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAgent } from "../src/testbed/index.ts";
import type { BenchLab } from "./bench-lab.ts";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  /** The window's wall time and the CPU samples in it (idle excluded), ms. */
  readonly windowMs: number;
  readonly busyMs: number;
  readonly gcMs: number;
  readonly byFile: readonly { readonly file: string; readonly selfMs: number }[];
  readonly byFunction: readonly { readonly fn: string; readonly selfMs: number }[];
  readonly inclusive: readonly { readonly fn: string; readonly ms: number }[];
}

const shortFile = (url: string) =>
  url === ""
    ? "(native / V8)"
    : url.replace(/^file:\/\/.*?\/(src|node_modules)\//, "$1/").replace(/^node:/, "node:");

const fnName = (n: ProfileNode) =>
  `${n.callFrame.functionName || "(anonymous)"} ${shortFile(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

/**
 * Restarts h1's agent with the CPU profiler on (and debug logs) and sums up the samples taken during
 * `work`, which runs once it has converged and settled for 2 s — or, without `work`, during its start-up
 * (from the process's start to its start-up report). The agent is stopped at the end (the profile is
 * written as it exits) and started again without the profiler.
 */
export async function profileAgent(
  lab: BenchLab,
  interesting: readonly string[],
  work?: () => Promise<void>,
): Promise<ProfileSummary> {
  const dir = await mkdtemp(join(tmpdir(), "weir-bench-prof-"));
  try {
    await lab.agents.get("h1")?.stop();
    const spawned = performance.now();
    // What lab.startAgent does, with a longer wait: a profiled start-up of thousands of ports is slow.
    const agent = await startAgent(lab.testbed.info.name, lab.testbed.host("h1"), lab.setup(), {
      env: { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}`, WEIR_LOG_LEVEL: "debug" },
    });
    lab.agents.set("h1", agent);
    await agent.startupReport(900_000);
    let from = 0;
    if (work !== undefined) {
      await new Promise((r) => setTimeout(r, 2_000));
      from = performance.now() - spawned;
      await work();
    }
    const to = performance.now() - spawned;
    await lab.agents.get("h1")!.stop();
    const names = (await readdir(dir)).filter((n) => n.endsWith(".cpuprofile"));
    if (names.length === 0) throw new Error("the agent wrote no CPU profile");
    const profile = JSON.parse(await readFile(join(dir, names[0]!), "utf8")) as CpuProfile;
    const again = await startAgent(lab.testbed.info.name, lab.testbed.host("h1"), lab.setup(), {
      env: { WEIR_LOG_LEVEL: "debug" },
    });
    lab.agents.set("h1", again);
    await again.startupReport(900_000);
    return summarize(profile, from, to, interesting);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Sums the samples between `fromMs` and `toMs` after the profile's start (the process's start, within a
 * few ms: Node starts the profiler as it boots).
 */
export function summarize(
  profile: CpuProfile,
  fromMs: number,
  toMs: number,
  interesting: readonly string[],
): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const files = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  let gc = 0;
  let t = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]! / 1000;
    if (t < fromMs || t > toMs) continue;
    // A sample's weight is the time to the next one.
    const weight = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const node = byId.get(profile.samples[i]!)!;
    const name = node.callFrame.functionName;
    if (name === "(idle)" || name === "(program)" || name === "(root)") continue;
    busy += weight;
    if (name === "(garbage collector)") gc += weight;
    self.set(fnName(node), (self.get(fnName(node)) ?? 0) + weight);
    const file = name === "(garbage collector)" ? "(garbage collector)" : shortFile(node.callFrame.url);
    files.set(file, (files.get(file) ?? 0) + weight);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const fn = byId.get(id)!.callFrame.functionName;
      for (const wanted of interesting)
        if (fn === wanted && !seen.has(wanted)) {
          seen.add(wanted);
          inclusive.set(wanted, (inclusive.get(wanted) ?? 0) + weight);
        }
    }
  }
  const top = (m: Map<string, number>, n: number) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
  return {
    windowMs: toMs - fromMs,
    busyMs: busy,
    gcMs: gc,
    byFile: top(files, 12).map(([file, selfMs]) => ({ file, selfMs })),
    byFunction: top(self, 15).map(([fn, selfMs]) => ({ fn, selfMs })),
    inclusive: interesting.map((fn) => ({ fn, ms: inclusive.get(fn) ?? 0 })),
  };
}
