import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { WeirError, withTimeout } from "../base/index.ts";
import { isAlive } from "./processes.ts";
import type { VmInfo } from "./vm.ts";

const script = fileURLToPath(new URL("./probe/udp-probe-main.ts", import.meta.url));
export const PROBE_PORT = 7777;

export interface ProbeResult {
  /** Wall-clock time (ms since the epoch) of sequence number 0: seq N was sent at startedAtMs + N × interval. */
  readonly startedAtMs: number;
  readonly intervalUs: number;
  readonly sent: number;
  readonly received: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly lostRanges: readonly [number, number][];
  readonly longestGapMs: number;
  readonly timelineBucketMs: number;
  readonly timeline: readonly number[];
}

interface Running {
  readonly child: ChildProcess;
  readonly output: Promise<string[]>;
}

/** Starts `node udp-probe-main.ts ARGS` inside the VM's namespace; resolves once it says "ready". */
async function startInVm(vm: VmInfo, args: readonly string[]): Promise<Running> {
  const child = spawn("ip", ["netns", "exec", vm.namespace, process.execPath, script, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += String(chunk);
  });
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line === "ready") resolve();
      else lines.push(line);
    });
    child.once("exit", (code) =>
      reject(new WeirError("WEIR_PROBE", `prober in ${vm.name} exited (${code}): ${stderr.trim()}`)),
    );
  });
  const output = new Promise<string[]>((resolve) => child.once("exit", () => resolve(lines)));
  await withTimeout(ready, 10_000, `prober start in ${vm.name}`);
  return { child, output };
}

/** A UDP echo responder in `vm`; stop() ends it. Bounded by maxSeconds whatever happens. */
export async function startEchoResponder(vm: VmInfo, maxSeconds = 600): Promise<{ stop(): Promise<void> }> {
  const running = await startInVm(vm, [
    "echo",
    "--port",
    String(PROBE_PORT),
    "--max-seconds",
    String(maxSeconds),
  ]);
  return {
    stop: async () => {
      await stopChild(running.child);
    },
  };
}

/**
 * Probes `targetIp` from `from` every `intervalUs` until stop(), which returns what was lost. The prober
 * also stops by itself after maxSeconds (traffic loops are bounded in count and time).
 */
export async function startProbe(
  from: VmInfo,
  targetIp: string,
  options: { intervalUs?: number; maxSeconds?: number } = {},
): Promise<{ stop(): Promise<ProbeResult> }> {
  const running = await startInVm(from, [
    "probe",
    "--target",
    `${targetIp}:${PROBE_PORT}`,
    "--interval-us",
    String(options.intervalUs ?? 1000),
    "--max-seconds",
    String(options.maxSeconds ?? 300),
  ]);
  return {
    stop: async () => {
      running.child.kill("SIGTERM");
      const lines = await withTimeout(running.output, 10_000, "prober result");
      const json = lines.find((line) => line.startsWith("{"));
      if (json === undefined) throw new WeirError("WEIR_PROBE", `prober in ${from.name} printed no result`);
      return JSON.parse(json) as ProbeResult;
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 2_000))]);
  if (await isAlive(child.pid)) child.kill("SIGKILL");
}
