import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

export interface Machine {
  readonly date: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly os: string;
  readonly node: string;
  readonly ovs: string;
}

export function machine(): Machine {
  const osRelease = readFileSync("/etc/os-release", "utf8");
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: execFileSync("uname", ["-r"], { encoding: "utf8" }).trim(),
    os: /PRETTY_NAME="([^"]+)"/.exec(osRelease)?.[1] ?? "unknown",
    node: process.version,
    ovs: execFileSync("ovs-vsctl", ["--version"], { encoding: "utf8" }).split("\n")[0]!.trim(),
  };
}

export function describeMachine(m: Machine): string {
  return `${m.date.slice(0, 10)} · ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB · ${m.os}, kernel ${m.kernel} · ${m.ovs} · Node ${m.node}`;
}

const resultsDir = new URL("./results/", import.meta.url);
const benchmarksDoc = new URL("../docs/BENCHMARKS.md", import.meta.url);

/** Writes the run's JSON to bench/results/ and returns its path. */
export function saveResult(name: string, data: unknown): string {
  mkdirSync(resultsDir, { recursive: true });
  const file = new URL(`${name}-${new Date().toISOString().replaceAll(":", "-")}.json`, resultsDir);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file.pathname;
}

/** Replaces the section between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` in docs/BENCHMARKS.md. */
export function updateBenchmarksDoc(name: string, markdown: string): void {
  const doc = readFileSync(benchmarksDoc, "utf8");
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) throw new Error(`docs/BENCHMARKS.md has no ${start} … ${end} section`);
  writeFileSync(benchmarksDoc, `${doc.slice(0, from + start.length)}\n${markdown.trim()}\n${doc.slice(to)}`);
}
