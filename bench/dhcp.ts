// npm run bench -- dhcp: DHCP answered by the agent, on one testbed host with a real agent and server —
// DISCOVER → OFFER latency from a VM's namespace on an idle host and with 1,000 more ports (each with its
// lease in its own flow), the leases per second one host hands out (REQUESTs at rising rates, meter
// raised out of the way), and the wait a DHCP request has across agent restarts (SIGTERM, SIGKILL).
import { sleep } from "../src/base/index.ts";
import { Dhcpv4MessageType } from "../src/packet/index.ts";
import {
  addIdlePorts,
  type DhcpProbeResult,
  dhcpRequestFrame,
  startDhcpProber,
  waitInstalledCount,
} from "../src/testbed/index.ts";
import { withBenchLab } from "./bench-lab.ts";
import { describeMachine, machine, saveResult, updateBenchmarksDoc } from "./report.ts";
import { ms, summary } from "./stats.ts";

interface Latency {
  readonly n: number;
  readonly answered: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

function latencies(r: DhcpProbeResult): Latency {
  const values = r.sentMs.flatMap((s, i) => (r.answeredMs[i] == null ? [] : [r.answeredMs[i]! - s]));
  return { ...summary(values), n: r.sentMs.length, answered: values.length };
}

/** For each request, the time until the first answer to it or to any later one: what a retrying client waits. */
function waits(r: DhcpProbeResult): number[] {
  const out: number[] = new Array(r.sentMs.length);
  let next = Number.POSITIVE_INFINITY;
  for (let i = r.sentMs.length - 1; i >= 0; i--) {
    const a = r.answeredMs[i];
    if (a != null) next = Math.min(next, a);
    out[i] = next - r.sentMs[i]!;
  }
  return out;
}

interface Throughput {
  readonly offered: number;
  readonly sentPerSecond: number;
  readonly sent: number;
  readonly answered: number;
  readonly answeredPerSecond: number;
}

interface RestartWait {
  readonly how: "term" | "kill";
  readonly longestWaitMs: number;
  readonly unanswered: number;
  readonly agentRestartMs: number;
}

export async function runDhcpBench(): Promise<void> {
  const m = machine();
  const agent = { extensions: ["dhcp"], extra: "[dhcp]\nrate_limit = 100000\nburst = 100000\n" };
  const result = await withBenchLab(
    "benchdhcp",
    1,
    async (lab) => {
      await lab.startAgent("h1");
      const net = await lab.network({
        name: "d",
        type: "vxlan",
        segmentationId: 1001,
        subnet: { gateway_ip: "198.19.0.1", dns_nameservers: ["198.19.0.53"] },
      });
      const vm = await lab.vm("h1", net, "c", "198.19.1.1");
      const discover = dhcpRequestFrame(vm, Dhcpv4MessageType.discover);
      const request = dhcpRequestFrame(vm, Dhcpv4MessageType.request, { requestedIp: vm.ip });
      const paced = async (t: Buffer, count: number, intervalMs: number) =>
        (await startDhcpProber(vm, t, { count, intervalMs, lingerS: 3 })).done;
      console.log("dhcp: latency, idle host");
      const idle = latencies(await paced(discover, 1000, 10));
      console.log("dhcp: leases per second");
      // REQUESTs for the port's address at rising rates, 2 s each: what is answered, and how fast.
      const rates: Throughput[] = [];
      for (const perSecond of [500, 1000, 2000, 4000, 8000]) {
        const r = await paced(request, perSecond * 2, 1000 / perSecond);
        const answeredAt = r.answeredMs.filter((a): a is number => a != null);
        const spanS = (Math.max(...answeredAt, r.sentMs.at(-1)!) - r.sentMs[0]!) / 1000;
        rates.push({
          offered: perSecond,
          sentPerSecond: r.sentMs.length / ((r.sentMs.at(-1)! - r.sentMs[0]!) / 1000),
          answered: answeredAt.length,
          sent: r.sentMs.length,
          answeredPerSecond: answeredAt.length / spanS,
        });
      }
      console.log("dhcp: restarts");
      const restarts: RestartWait[] = [];
      for (const how of ["term", "kill"] as const) {
        const prober = await startDhcpProber(vm, discover, { count: 1500, intervalMs: 10, lingerS: 3 });
        await sleep(2_000);
        const started = performance.now();
        await lab.restartAgent("h1", how);
        const agentRestartMs = performance.now() - started;
        const r = await prober.done;
        const w = waits(r);
        restarts.push({
          how,
          longestWaitMs: Math.max(...w.filter(Number.isFinite)),
          unanswered: r.answeredMs.filter((a) => a == null).length,
          agentRestartMs,
        });
      }
      console.log("dhcp: latency with 1,000 more ports");
      await addIdlePorts(lab, "h1", [net], 1000);
      await waitInstalledCount(lab, "h1", 1001);
      const loaded = latencies(await paced(discover, 1000, 10));
      return { idle, loaded, rates, restarts };
    },
    undefined,
    agent,
  );
  const file = saveResult("dhcp", { machine: m, ...result });
  const row = (name: string, l: Latency) =>
    `| ${name} | ${l.answered} / ${l.n} | ${ms(l.p50)} | ${ms(l.p99)} | ${ms(l.max)} |`;
  updateBenchmarksDoc(
    "dhcp",
    [
      `Measured ${describeMachine(m)}; raw results in \`${file.replace(/.*\/bench\//, "bench/")}\`.`,
      "",
      "DISCOVER → OFFER, from a VM's namespace (a raw socket, one request every 10 ms) to the OFFER back in it:",
      "",
      "| host | answered | p50 ms | p99 ms | max ms |",
      "| --- | --- | --- | --- | --- |",
      row("idle (one VM)", result.idle),
      row("1,000 more ports, each with its lease flow", result.loaded),
      "",
      "Leases per second: REQUEST → ACK from one VM at rising rates for 2 s each (the VM's meter raised out of the way):",
      "",
      "| offered /s | sent /s (python's pacing) | answered | ACKs /s |",
      "| --- | --- | --- | --- |",
      ...result.rates.map(
        (r) =>
          `| ${r.offered} | ${Math.round(r.sentPerSecond)} | ${r.answered} / ${r.sent} (${((100 * r.answered) / r.sent).toFixed(1)} %) | ${Math.round(r.answeredPerSecond)} |`,
      ),
      "",
      "The wait across agent restarts: a DISCOVER every 10 ms while the agent restarts; for each request, the time",
      "until it or a later one was answered — what a client that retries at once would wait:",
      "",
      "| restart | longest wait ms | requests unanswered | agent restart (stop → start-up report) ms |",
      "| --- | --- | --- | --- |",
      ...result.restarts.map(
        (r) =>
          `| ${r.how === "term" ? "SIGTERM" : "SIGKILL"} | ${ms(r.longestWaitMs)} | ${r.unanswered} | ${ms(r.agentRestartMs)} |`,
      ),
    ].join("\n"),
  );
}
