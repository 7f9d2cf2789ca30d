// The headline promise: restarting the agent — SIGTERM, SIGKILL at any moment, with its server away —
// loses no packet. Measured with 1 ms UDP probes between VMs on the same host, across hosts over a VLAN
// provider network, and across hosts over VXLAN. Also: what happens when an operator (or the agent's own
// drop_flows_on_start) does disturb the data plane, and when ovs-vswitchd restarts.
import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { test } from "node:test";
import { probedPaths } from "../../bench/bench-lab.ts";
import { sleep, waitFor } from "../../src/base/index.ts";
import {
  ovsPaths,
  type PairResult,
  type ProbePair,
  type ProbeResult,
  probePairs,
  reaches,
  restartVswitchd,
  run,
  startAgent,
  type VmInfo,
  vsctl,
} from "../../src/testbed/index.ts";
import { type Lab, lab } from "../support/lab.ts";

interface Probed {
  readonly lab: Lab;
  readonly pairs: readonly ProbePair[];
}

/** Two hosts; a VXLAN and a VLAN network; VMs so that three kinds of path carry traffic (the benchmark's). */
async function probedLab(t: Parameters<typeof lab>[0]): Promise<Probed> {
  const l = await lab(t, { hosts: 2, physical: true });
  const { pairs } = await probedPaths(l, 0);
  for (const p of pairs) assert.ok(await reaches(p.from, p.to.ip), `${p.name} works before any restart`);
  return { lab: l, pairs };
}

/** Runs `during` while every pair is probed at 1 ms; returns each pair's result. */
const probing = (probed: Probed, during: () => Promise<void>): Promise<PairResult[]> =>
  probePairs(probed.pairs, during, { intervalUs: 1000 });

/** What the test did when, so that a loss can be placed among the events that may have caused it. */
const events: { at: number; what: string }[] = [];
const note = (what: string) => events.push({ at: Date.now(), what });

function assertNoLoss(results: readonly { name: string; result: ProbeResult }[]): void {
  for (const { name, result } of results) {
    assert.ok(result.sent > 1000, `${name}: the probe ran (${result.sent} sent)`);
    const losses = result.lostRanges.map(([a, b]) => {
      const at = result.startedAtMs + (a * result.intervalUs) / 1000;
      const before = events
        .filter((e) => e.at <= at)
        .slice(-3)
        .map((e) => `${e.what} ${Math.round(at - e.at)} ms before`);
      return `seq ${a}-${b} at ${new Date(at).toISOString()} (after: ${before.join("; ")})`;
    });
    assert.equal(result.lost, 0, `${name}: lost ${result.lost} of ${result.sent}: ${losses.join(" | ")}`);
  }
}

async function tags(l: Lab, vms: readonly VmInfo[]): Promise<number[]> {
  return Promise.all(vms.map(async (vm) => (await l.vifState(vm)).tag!));
}

test("10 SIGTERM and 10 SIGKILL restarts (some mid-sync) lose no packet; local VLANs are kept", async (t) => {
  const probed = await probedLab(t);
  const l = probed.lab;
  const vms = probed.pairs.flatMap((p) => [p.from, p.to]);
  const tagsBefore = await tags(l, vms);
  const generations: number[] = [];
  const results = await probing(probed, async () => {
    for (let i = 0; i < 10; i++) {
      const host = i % 2 === 0 ? "h1" : "h2";
      note(`SIGTERM ${host}`);
      const report = await l.restartAgent(host, "term");
      note(`${host} converged`);
      assert.equal(report.server, "synced");
      assert.deepEqual(report.disruptions, [], "a restart disrupts nothing");
      assert.ok(
        Object.values(report.features).every((f) => f.status === "ok"),
        `every feature works: ${JSON.stringify(report.features)}`,
      );
      // The report says where the start-up time went, step by step, in order.
      const steps = Object.values(report.stepsMs);
      assert.deepEqual(Object.keys(report.stepsMs), [
        "ovsdb",
        "pipeline",
        "bridges",
        "replica",
        "openflow",
        "restore",
        "server",
        "flows",
        "settled",
      ]);
      assert.deepEqual(
        steps,
        steps.toSorted((a, b) => a - b),
      );
      assert.ok(report.sinceProcessStartMs > report.convergeMs);
      if (host === "h1") generations.push(report.generation);
    }
    for (let i = 0; i < 10; i++) {
      const host = i % 2 === 0 ? "h1" : "h2";
      if (i % 2 === 1) {
        // Killed mid-sync: a fresh agent killed at a random moment of its start-up.
        note(`SIGKILL ${host}`);
        await l.agents.get(host)!.kill();
        const doomed = await startAgent(l.testbed.info.name, l.testbed.host(host), l.setup());
        await sleep(randomInt(0, 700));
        note(`SIGKILL ${host} mid-start`);
        await doomed.kill();
      }
      note(`SIGKILL ${host}`);
      await l.restartAgent(host, "kill");
      note(`${host} converged`);
    }
  });
  assertNoLoss(results);
  assert.deepEqual(await tags(l, vms), tagsBefore, "no port was re-tagged");
  for (let i = 1; i < generations.length; i++)
    assert.equal(generations[i], generations[i - 1]! + 1, "one generation per run");
});

test("an operator's fail_mode change is repaired at restart and reported as a disruption", async (t) => {
  const probed = await probedLab(t);
  const l = probed.lab;
  await l.agents.get("h1")!.stop();
  await vsctl(ovsPaths(l.testbed.host("h1").runDir), ["set-fail-mode", "br-int", "standalone"]);
  const report = await l.startAgent("h1");
  assert.equal(report.disruptions.length, 1, JSON.stringify(report.disruptions));
  assert.match(report.disruptions[0]!, /fail_mode of br-int was standalone/);
  const mode = await vsctl(ovsPaths(l.testbed.host("h1").runDir), ["get-fail-mode", "br-int"]);
  assert.equal(mode.trim(), "secure");
  for (const p of probed.pairs) assert.ok(await reaches(p.from, p.to.ip), `${p.name} works again`);
});

test("drop_flows_on_start=true is disruptive: a restart with it loses packets", async (t) => {
  const probed = await probedLab(t);
  const l = probed.lab;
  const results = await probing(probed, async () => {
    const report = await l.restartAgent("h1", "term", { dropFlowsOnStart: true });
    assert.ok(report.disruptions.some((d) => d.startsWith("drop_flows_on_start")));
  });
  const lost = results.reduce((n, r) => n + r.result.lost, 0);
  assert.ok(
    lost > 0,
    `expected loss with drop_flows_on_start, got ${JSON.stringify(results.map((r) => [r.name, r.result.lost]))}`,
  );
});

test("the server down during an agent restart loses nothing; the agent catches up when it returns", async (t) => {
  const probed = await probedLab(t);
  const l = probed.lab;
  let generation = 0;
  const results = await probing(probed, async () => {
    await l.stopServer();
    const report = await l.restartAgent("h1", "term");
    assert.equal(report.server, "unreachable");
    generation = report.generation;
    await l.restartAgent("h2", "kill");
    await sleep(500);
    await l.startServerAgain(t);
    // Back: the previous generation is swept only now, after a full sync.
    await waitFor(
      async () =>
        (await l.agents.get("h1")!.logLines()).some(
          (line) => line.msg === "server back: previous generation replaced",
        )
          ? true
          : undefined,
      { timeoutMs: 20_000, what: "h1's agent resyncing with the returned server" },
    );
  });
  assertNoLoss(results);
  const flows = await ofctlCookies(l, "h1", "br-int");
  assert.ok(flows.length > 0);
  for (const cookie of flows)
    assert.equal(Number((cookie >> 40n) & 0xffffn), generation, `flow cookie 0x${cookie.toString(16)}`);
});

test("ovs-vswitchd restarting (flows lost) is detected and everything reprogrammed", async (t) => {
  const probed = await probedLab(t);
  const l = probed.lab;
  const before = await ofctlCookies(l, "h1", "br-tun");
  await restartVswitchd(l.testbed.host("h1"), { kill: true });
  await waitFor(
    async () =>
      (await l.agents.get("h1")!.logLines()).some((line) =>
        String(line.msg).startsWith("OpenFlow session re-established"),
      )
        ? true
        : undefined,
    { timeoutMs: 20_000, what: "the agent noticing the restart" },
  );
  await waitFor(
    async () => ((await ofctlCookies(l, "h1", "br-tun")).length === before.length ? true : undefined),
    {
      timeoutMs: 20_000,
      what: "br-tun reprogrammed",
    },
  );
  for (const p of probed.pairs)
    assert.ok(await reaches(p.from, p.to.ip, 10), `${p.name} works after the restart`);
});

/** Cookies of the agent's flows (not learned ones) on a bridge, read with ovs-ofctl. */
async function ofctlCookies(l: Lab, host: string, bridge: string): Promise<bigint[]> {
  const mgmt = `unix:${l.testbed.host(host).runDir}/${bridge}.mgmt`;
  const text = await run("ovs-ofctl", ["-O", "OpenFlow15", "dump-flows", mgmt]);
  return [...text.matchAll(/cookie=0x([0-9a-f]+)/g)]
    .map((m) => BigInt(`0x${m[1]}`))
    .filter((c) => c >> 56n === 0x57n && Number((c >> 32n) & 0xffn) !== 0x7f);
}
