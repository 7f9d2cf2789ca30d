/**
 * A TCP stream between two VMs (iperf3), capped at a bit rate, whose throughput is recorded every 100 ms —
 * what a restart costs a long-lived connection, beside the UDP probes' loss. Bounded in time like every
 * traffic loop here.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { WeirError, waitFor } from "../base/index.ts";
import type { VmInfo } from "./vm.ts";

const IPERF_PORT = 5201;

export interface TcpInterval {
  /** Seconds since the stream started (the interval's start). */
  readonly atS: number;
  readonly mbps: number;
}

export interface TcpStreamResult {
  readonly startedAtMs: number;
  readonly intervals: readonly TcpInterval[];
}

function inVm(vm: VmInfo, args: readonly string[]): ChildProcess {
  return spawn("ip", ["netns", "exec", vm.namespace, "iperf3", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** iperf3 interval lines: "[  5]   0.10-0.20   sec  1.19 MBytes  99.6 Mbits/sec ...". */
const intervalLine = /^\[\s*\d+\]\s+([\d.]+)-([\d.]+)\s+sec\s+[\d.]+\s+\w?Bytes\s+([\d.]+)\s+(\w?)bits\/sec/;
const unit: Record<string, number> = { "": 1e-6, K: 1e-3, M: 1, G: 1e3 };

export async function startTcpStream(
  from: VmInfo,
  to: VmInfo,
  options: { mbps: number; maxSeconds: number },
): Promise<{ stop(): Promise<TcpStreamResult> }> {
  const server = inVm(to, ["-s", "-1", "-p", String(IPERF_PORT)]);
  const serverExited = once(server, "exit");
  // iperf3 -s prints its banner once it listens.
  await waitFor(() => (server.stdout?.readableLength ?? 0) > 0 || undefined, {
    timeoutMs: 5_000,
    what: `iperf3 server in ${to.name}`,
  }).catch(() => undefined);
  const client = inVm(from, [
    "-c",
    to.ip,
    "-p",
    String(IPERF_PORT),
    "-t",
    String(options.maxSeconds),
    "-b",
    `${options.mbps}M`,
    "-i",
    "0.1",
    "--forceflush",
  ]);
  const startedAtMs = Date.now();
  const clientExited = once(client, "exit");
  const intervals: TcpInterval[] = [];
  let stderr = "";
  client.stderr?.on("data", (chunk) => {
    stderr += String(chunk);
  });
  createInterface({ input: client.stdout! }).on("line", (line) => {
    const m = intervalLine.exec(line);
    // The summary line spans the whole run; only 100 ms intervals are kept.
    if (m && Number(m[2]) - Number(m[1]) < 0.15)
      intervals.push({ atS: Number(m[1]), mbps: Number(m[3]) * (unit[m[4]!] ?? 1) });
  });
  return {
    stop: async () => {
      if (client.exitCode === null && client.signalCode === null) client.kill("SIGINT");
      await clientExited;
      if (server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
      await serverExited;
      if (intervals.length === 0)
        throw new WeirError("WEIR_TCP_STREAM", `iperf3 from ${from.name} recorded nothing: ${stderr.trim()}`);
      return { startedAtMs, intervals };
    },
  };
}

/**
 * One TCP transfer of `seconds` (uncapped) from `from` to `to`: the receiver's rate in Mbit/s, over the
 * whole run (iperf3's own summary), to compare with a bandwidth limit.
 */
export async function measureThroughput(from: VmInfo, to: VmInfo, seconds: number): Promise<number> {
  const server = inVm(to, ["-s", "-1", "-p", String(IPERF_PORT)]);
  const serverExited = once(server, "exit");
  await waitFor(() => (server.stdout?.readableLength ?? 0) > 0 || undefined, {
    timeoutMs: 5_000,
    what: `iperf3 server in ${to.name}`,
  }).catch(() => undefined);
  const client = inVm(from, ["-c", to.ip, "-p", String(IPERF_PORT), "-t", String(seconds), "-J"]);
  let out = "";
  client.stdout?.on("data", (chunk) => {
    out += String(chunk);
  });
  const [code] = await once(client, "exit");
  if (server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
  await serverExited;
  const report = JSON.parse(out || "{}") as {
    end?: { sum_received?: { bits_per_second?: number } };
    error?: string;
  };
  const bps = report.end?.sum_received?.bits_per_second;
  if (code !== 0 || bps === undefined)
    throw new WeirError(
      "WEIR_TCP_STREAM",
      `iperf3 from ${from.name} failed (${code}): ${report.error ?? out.slice(0, 300)}`,
    );
  return bps / 1e6;
}
