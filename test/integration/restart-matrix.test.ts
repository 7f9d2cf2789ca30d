// The short restart matrix (the benchmark's own code, bench/restart-matrix.ts), with QoS and the firewall on: every kind of restart of
// the agent — and of the server it depends on — 3 times each, on a host holding 100 idle
// bound ports, while three paths are probed at 1 ms. Zero loss is the promise and is asserted; the
// timings are printed, never asserted (npm run bench -- restarts measures them).
import assert from "node:assert/strict";
import { test } from "node:test";
import { runRestartMatrix } from "../../bench/restart-matrix.ts";
import { scenarios } from "../../bench/restart-scenarios.ts";
import { testName, testOwner } from "../support/ovs.ts";

test("3 restarts of each kind, with QoS and the firewall on every probed port and 100 idle ports on the host, lose no packet", async (t) => {
  const agentScenarios = scenarios.filter((s) => s.agentRestart && (s.idlePorts ?? 0) <= 100);
  assert.ok(agentScenarios.length >= 5, "SIGTERM, SIGKILL, upgrades, server restart, server away");
  const results = await runRestartMatrix({
    variants: [100],
    only: agentScenarios.map((s) => s.name),
    repeats: 3,
    skipHeavy: true,
    tcpMbps: 0, // the TCP stream is the benchmark's; here only loss is asserted
    log: (line) => t.diagnostic(line),
    testbed: { name: testName(), owner: testOwner },
  });
  assert.deepEqual(
    results.map((r) => r.scenario),
    agentScenarios.map((s) => s.name),
  );
  for (const r of results) {
    for (const p of r.pairs) {
      assert.ok(p.result.sent > 2000, `${r.scenario}, ${p.name}: the probe ran (${p.result.sent} sent)`);
      assert.equal(
        p.result.lost,
        0,
        `${r.scenario}, ${p.name}: lost ${p.result.lost} of ${p.result.sent} (seq ranges ${JSON.stringify(p.result.lostRanges)}; events ${JSON.stringify(r.markers)})`,
      );
    }
  }
});
