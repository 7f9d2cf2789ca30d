// The extension API with a real agent and real packets: the example extension (contrib/extensions/
// ra-guard.ts), loaded by path, drops the router advertisements a VM sends and nothing else; its flows
// carry the cookie class the agent assigned and kept; added or removed at a restart, its table comes and
// goes without a packet lost; and a broken version of it is isolated — its flows stay as they were, every
// port is wired, the report and the metrics say which extension failed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  captureFrames,
  icmpv6ToAllNodes,
  icmpv6Type,
  ovsPaths,
  probePairs,
  run,
  sendFrames,
  type VmInfo,
  vsctl,
} from "../../src/testbed/index.ts";
import { type Lab, lab } from "../support/lab.ts";

const raGuard = fileURLToPath(new URL("../../contrib/extensions/ra-guard.ts", import.meta.url));
const broken = fileURLToPath(new URL("../fixtures/extensions/ra-guard-broken.ts", import.meta.url));

/** ICMPv6 types that reached `to` when `from` sent a router advertisement and an echo request. */
async function icmpv6Arriving(from: VmInfo, to: VmInfo): Promise<number[]> {
  const capture = await captureFrames(to, { seconds: 1.5, maxFrames: 50 });
  await sendFrames(from, [icmpv6ToAllNodes(from.mac, 134), icmpv6ToAllNodes(from.mac, 128)]);
  const types = (await capture.frames).map(icmpv6Type).filter((x): x is number => x === 128 || x === 134);
  return [...new Set(types)].sort((x, y) => x - y);
}

async function flowsIn(l: Lab, table: number): Promise<string[]> {
  const out = await run("ovs-ofctl", [
    "-O",
    "OpenFlow15",
    "dump-flows",
    `unix:${l.testbed.host("h1").runDir}/br-int.mgmt`,
    `table=${table}`,
  ]);
  return out.split("\n").filter((line) => line.includes(`table=${table}`));
}

async function guardedLab(t: import("node:test").TestContext) {
  const l = await lab(t, { hosts: 1, agent: { extensions: [raGuard] } });
  const report = await l.startAgent("h1");
  const net = await l.network({ name: "e", type: "vxlan", segmentationId: 3200 });
  // Port security off: the firewall's anti-spoofing would drop the RAs itself, and the control below
  // must show them arriving without the extension.
  const open = { portSecurity: false, securityGroups: [] };
  const a = await l.vm("h1", net, "a", "198.19.1.1", open);
  const b = await l.vm("h1", net, "b", "198.19.1.2", open);
  return { l, a, b, net, report };
}

test("the example extension, loaded by path: a VM's router advertisements are dropped, its echo requests pass", async (t) => {
  const { l, a, b, report } = await guardedLab(t);
  assert.deepEqual(report.features.ra_guard, { ownerClass: "0x80", extension: true, status: "ok" });
  assert.deepEqual(await icmpv6Arriving(a, b), [128], "the RA was dropped, the echo request was not");
  const flows = await flowsIn(l, 120);
  assert.equal(
    flows.filter((f) => f.includes("icmp_type=134") || f.includes("icmpv6_type=134")).length,
    2,
    "one drop per VIF",
  );
  assert.ok(
    flows.every((f) => /cookie=0x57[0-9a-f]{4}80/.test(f)),
    `every flow carries class 0x80: ${flows.join("\n")}`,
  );
  const record = await vsctl(ovsPaths(l.testbed.host("h1").runDir), [
    "get",
    "Open_vSwitch",
    ".",
    "external_ids:weir-extension-classes",
  ]);
  assert.equal(record.trim(), '"ra_guard=80"', "the class is kept in OVSDB");

  // Without it (the control): the same RA arrives. Removed at a restart, its flows and table are swept.
  const without = await l.restartAgent("h1", "term", { extensions: [] });
  assert.equal(without.features.ra_guard, undefined);
  assert.deepEqual(await flowsIn(l, 120), [], "table 120 swept");
  assert.deepEqual(await icmpv6Arriving(a, b), [128, 134], "without the extension the RA arrives");
});

test("an extension added and removed at restarts: its table comes and goes, and no packet is lost", async (t) => {
  const l = await lab(t, { hosts: 1 });
  await l.startAgent("h1");
  const net = await l.network({ name: "e", type: "vxlan", segmentationId: 3201 });
  const a = await l.vm("h1", net, "a", "198.19.1.1");
  const b = await l.vm("h1", net, "b", "198.19.1.2");
  const results = await probePairs([{ name: "a → b", from: a, to: b }], async () => {
    for (let i = 0; i < 2; i++) {
      const added = await l.restartAgent("h1", "term", { extensions: [raGuard] });
      assert.equal(added.features.ra_guard?.status, "ok");
      assert.ok((await flowsIn(l, 120)).length > 0, "its table is there");
      await l.restartAgent("h1", i === 0 ? "kill" : "term", { extensions: [] });
      assert.deepEqual(await flowsIn(l, 120), [], "and gone");
    }
  });
  for (const r of results)
    assert.equal(r.result.lost, 0, `${r.name}: lost ${r.result.lost} of ${r.result.sent}`);
});

test("a broken extension is isolated: its flows stay as they were, ports are wired, report and metrics name it", async (t) => {
  const { l, a, b, net } = await guardedLab(t);
  const before = await flowsIn(l, 120);
  const results = await probePairs([{ name: "a → b", from: a, to: b }], async () => {
    const report = await l.restartAgent("h1", "term", {
      extensions: [broken],
      metricsListen: "127.0.0.1:19411",
    });
    assert.equal(report.features.ra_guard?.status, "failed");
    assert.match(report.features.ra_guard?.error ?? "", /cannot plan this port/);
    assert.equal(report.features["l2-base"]?.status, "ok");
  });
  for (const r of results) assert.equal(r.result.lost, 0, `${r.name}: lost ${r.result.lost}`);
  const strip = (flows: string[]) =>
    flows
      .map((f) => f.replace(/cookie=0x\S+ |duration=\S+ |n_packets=\S+ |n_bytes=\S+ |idle_age=\S+ /g, ""))
      .sort();
  assert.deepEqual(strip(await flowsIn(l, 120)), strip(before), "its flows stayed as they were");
  assert.deepEqual(await icmpv6Arriving(a, b), [128], "and still do their job");
  const c = await l.vm("h1", net, "c", "198.19.1.3");
  assert.ok((await l.vifState(c)).installed, "a new port is wired while the extension fails");
  const metrics = await (await fetch("http://127.0.0.1:19411/metrics")).text();
  assert.match(metrics, /weir_agent_feature_failed\{feature="ra_guard"\} 1/);
  assert.match(metrics, /weir_agent_feature_failed\{feature="l2-base"\} 0/);
  assert.match(metrics, /weir_agent_feature_errors_total\{feature="ra_guard"\} [1-9]/);
});
