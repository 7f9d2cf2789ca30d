// How long a security-group change takes to be in the switch: from the API call to the flows present
// (or absent) on br-int, seen by a flow monitor of the benchmark's own — for a rule added to and removed
// from a group that every port of the host is in (all ports' flows counted), and for a member port
// created in and deleted from a remote group (its clause flow). The agent runs with debug logs, whose
// "convergence pass" lines (end time, duration, planning part) say where each sample's time went.
import { sleep } from "../src/base/index.ts";
import type { FullFlowUpdate } from "../src/openflow/index.ts";
import type { AgentProcess } from "../src/testbed/index.ts";
import type { BenchLab } from "./bench-lab.ts";
import { type FlowWatch, fieldValue, ipValue, nextMac } from "./firewall-tools.ts";

type LogLine = Awaited<ReturnType<AgentProcess["logLines"]>>[number];

export interface ChangeSample {
  /** From sending the API request to its reply. */
  readonly apiMs: number;
  /** From sending the API request to the first expected flow update. */
  readonly firstMs: number;
  /** … to the last (every port's flow; one flow for a member). */
  readonly allMs: number;
  /** Wall-clock time the request was sent (ms since the epoch), to find the agent's passes. */
  readonly sentAt: number;
}

export interface PassTiming {
  /** From sending the request to the start of the agent's first pass after it. */
  readonly toPassMs: number;
  readonly passMs: number;
  readonly planMs: number;
  /** The passes' flow changes: the desired set's diff and the bundles, until the switch confirmed them. */
  readonly flowsMs: number;
  /** Passes that started in the sample's window. */
  readonly passes: number;
}

async function timed(
  watch: FlowWatch,
  event: "added" | "removed",
  accept: (u: FullFlowUpdate) => boolean,
  count: number,
  call: () => Promise<unknown>,
): Promise<ChangeSample> {
  const arrived = watch.expect(event, accept, count);
  const sentAt = Date.now();
  const t0 = performance.now();
  await call();
  const apiMs = performance.now() - t0;
  const { firstAt, lastAt } = await arrived;
  return { apiMs, firstMs: firstAt - t0, allMs: lastAt - t0, sentAt };
}

export interface ChangeResult {
  readonly adds: readonly ChangeSample[];
  readonly removes: readonly ChangeSample[];
}

/**
 * `samples` times: an ingress TCP rule on a port of its own added to `group`, waited for on all `ports`
 * VIFs (RULES_INGRESS, 82), then removed and waited for again.
 */
export async function measureRuleChanges(
  lab: BenchLab,
  watch: FlowWatch,
  group: string,
  ports: number,
  samples: number,
  firstPort = 20_000,
): Promise<ChangeResult> {
  const adds: ChangeSample[] = [];
  const removes: ChangeSample[] = [];
  for (let i = 0; i < samples; i++) {
    const tcp = firstPort + i;
    const dst = BigInt(tcp);
    const accept = (u: FullFlowUpdate) => u.table === 82 && fieldValue(u, "tcp_dst") === dst;
    let ruleId = "";
    adds.push(
      await timed(watch, "added", accept, ports, async () => {
        ruleId = await lab.api.addRule(group, {
          direction: "ingress",
          protocol: "tcp",
          port_range_min: tcp,
          port_range_max: tcp,
        });
      }),
    );
    await sleep(100);
    removes.push(await timed(watch, "removed", accept, ports, () => lab.api.deleteRule(ruleId)));
    await sleep(100);
  }
  return { adds, removes };
}

/**
 * `samples` times: an unbound port with address `ip(i)` created in the remote group `remote` (on
 * `networkId`), waited for as its clause flow in RULES_INGRESS (82), then deleted and waited for.
 */
export async function measureMemberChanges(
  lab: BenchLab,
  watch: FlowWatch,
  remote: string,
  network: { id: string; subnetId: string },
  ip: (i: number) => string,
  samples: number,
): Promise<ChangeResult> {
  const adds: ChangeSample[] = [];
  const removes: ChangeSample[] = [];
  for (let i = 0; i < samples; i++) {
    const address = ipValue(ip(i));
    const accept = (u: FullFlowUpdate) => u.table === 82 && fieldValue(u, "ip_src") === address;
    let portId = "";
    adds.push(
      await timed(watch, "added", accept, 1, async () => {
        portId = (
          await lab.api.createPort({
            networkId: network.id,
            host: "",
            mac: nextMac(),
            ip: ip(i),
            subnetId: network.subnetId,
            securityGroups: [remote],
          })
        ).id;
      }),
    );
    await sleep(100);
    removes.push(await timed(watch, "removed", accept, 1, () => lab.api.deletePort(portId)));
    await sleep(100);
  }
  return { adds, removes };
}

/** For each sample, the agent's convergence passes that started between its request and its last flow. */
export function passTimings(samples: readonly ChangeSample[], lines: readonly LogLine[]): PassTiming[] {
  const passes = lines
    .filter((l) => l.msg === "convergence pass")
    .map((l) => {
      const end = Number(l.time);
      const ms = Number(l.ms);
      return { start: end - ms, ms, planMs: Number(l.planMs), flowsMs: Number(l.flowsMs ?? Number.NaN) };
    });
  return samples.map((s) => {
    const end = s.sentAt + s.allMs + 1;
    const within = passes.filter((p) => p.start >= s.sentAt - 1 && p.start <= end);
    const first = within[0];
    return {
      toPassMs: first === undefined ? Number.NaN : first.start - s.sentAt,
      passMs: within.reduce((a, p) => a + p.ms, 0),
      planMs: within.reduce((a, p) => a + p.planMs, 0),
      flowsMs: within.reduce((a, p) => a + p.flowsMs, 0),
      passes: within.length,
    };
  });
}
