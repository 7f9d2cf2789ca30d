// QoS with real packets, through real agents and a real server: the DSCP mark seen in the receiving VM's
// namespace, bandwidth limits measured by iperf3 within ±20 % in each direction, policy changes and
// removal taking effect, an invalid rule refused with nothing applied, and restarts with QoS on losing
// nothing and keeping every mark and limit in place.
import assert from "node:assert/strict";
import { test } from "node:test";
import { waitFor } from "../../src/base/index.ts";
import {
  captureFrames,
  ipv4Dscp,
  measureThroughput,
  ovsPaths,
  probePairs,
  run,
  type VmInfo,
  vsctl,
} from "../../src/testbed/index.ts";
import { type Lab, lab } from "../support/lab.ts";
import { openstackNoAuth } from "../support/openstack.ts";

async function qosLab(t: import("node:test").TestContext): Promise<{ l: Lab; a: VmInfo; b: VmInfo }> {
  const l = await lab(t, { hosts: 1, agent: { extensions: ["qos"] } });
  await l.startAgent("h1");
  const net = await l.network({ name: "q", type: "vxlan", segmentationId: 3100 });
  const a = await l.vm("h1", net, "a", "198.19.1.1");
  const b = await l.vm("h1", net, "b", "198.19.1.2");
  return { l, a, b };
}

/** The DSCP values of the ICMP echo requests `to` received from `from` while `from` pinged it. */
async function dscpSeen(from: VmInfo, to: VmInfo): Promise<Set<number>> {
  const capture = await captureFrames(to, { seconds: 3, maxFrames: 40 });
  await run("ip", ["netns", "exec", from.namespace, "ping", "-c", "5", "-i", "0.05", "-W", "1", to.ip]).catch(
    () => "",
  );
  const frames = await capture.frames;
  const requests = frames.filter((f) => f.readUInt16BE(12) === 0x0800 && f[23] === 1 && f[34] === 8);
  return new Set(requests.map((f) => ipv4Dscp(f)!));
}

const openstack = (l: Lab, ...args: string[]) => openstackNoAuth(l.server.url, ...args);

const within = (measured: number, limitMbps: number) =>
  measured > limitMbps * 0.8 && measured < limitMbps * 1.2;

test("DSCP marking through the openstack CLI: the mark is on the packets the other VM receives; changing and removing it takes effect", async (t) => {
  const { l, a, b } = await qosLab(t);
  assert.deepEqual([...(await dscpSeen(a, b))], [0], "unmarked before");
  await openstack(l, "network", "qos", "policy", "create", "mark");
  await openstack(
    l,
    "network",
    "qos",
    "rule",
    "create",
    "--type",
    "dscp-marking",
    "--dscp-mark",
    "26",
    "mark",
  );
  await openstack(l, "port", "set", "--qos-policy", "mark", a.portId);
  await waitFor(async () => ((await dscpSeen(a, b)).has(26) ? true : undefined), {
    timeoutMs: 15_000,
    what: "DSCP 26 at b",
  });
  assert.deepEqual([...(await dscpSeen(a, b))], [26], "every echo request a sends is marked 26");
  assert.deepEqual([...(await dscpSeen(b, a))], [0], "b has no policy: its packets are not marked");
  const rule = JSON.parse(await openstack(l, "network", "qos", "rule", "list", "mark", "-f", "json"))[0]
    .ID as string;
  await openstack(l, "network", "qos", "rule", "set", "--dscp-mark", "46", "mark", rule);
  await waitFor(async () => ((await dscpSeen(a, b)).has(46) ? true : undefined), {
    timeoutMs: 15_000,
    what: "DSCP 46 at b",
  });
  await openstack(l, "port", "unset", "--qos-policy", a.portId);
  await waitFor(async () => ((await dscpSeen(a, b)).has(0) ? true : undefined), {
    timeoutMs: 15_000,
    what: "DSCP 0 again",
  });
  assert.deepEqual([...(await dscpSeen(a, b))], [0]);
});

test("bandwidth limits: egress and ingress measured within ±20 %, changed and removed as the policy says", async (t) => {
  const { l, a, b } = await qosLab(t);
  const unlimited = await measureThroughput(a, b, 3);
  t.diagnostic(`unlimited: ${unlimited.toFixed(0)} Mbit/s`);
  assert.ok(unlimited > 60, `the path carries more than the limits tested (${unlimited.toFixed(0)} Mbit/s)`);

  const egress = await l.api.createQosPolicy("egress");
  const rule = await l.api.addQosRule(egress, "bandwidth_limit", { max_kbps: 10_000, direction: "egress" });
  await l.api.setPortQosPolicy(a.portId, egress);
  const limited = await waitFor(
    async () => {
      const mbps = await measureThroughput(a, b, 4);
      return mbps < 15 ? mbps : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 0, what: "a's egress limited" },
  );
  t.diagnostic(`egress 10 Mbit/s: ${limited.toFixed(1)} Mbit/s`);
  assert.ok(within(limited, 10), `egress limit 10 Mbit/s measured ${limited.toFixed(1)}`);

  await l.api.updateQosRule(egress, "bandwidth_limit", rule, { max_kbps: 20_000 });
  const raised = await waitFor(
    async () => {
      const mbps = await measureThroughput(a, b, 4);
      return mbps > 15 ? mbps : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 0, what: "a's egress limit raised" },
  );
  t.diagnostic(`egress 20 Mbit/s: ${raised.toFixed(1)} Mbit/s`);
  assert.ok(within(raised, 20), `egress limit raised to 20 Mbit/s measured ${raised.toFixed(1)}`);
  await l.api.setPortQosPolicy(a.portId, null);
  const unlimitedAgain = await waitFor(
    async () => {
      const mbps = await measureThroughput(a, b, 3);
      return mbps > 30 ? mbps : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 0, what: "a's egress limit removed" },
  );
  t.diagnostic(`egress limit removed: ${unlimitedAgain.toFixed(0)} Mbit/s`);
  const meters = await run("ovs-ofctl", [
    "-O",
    "OpenFlow15",
    "dump-meters",
    `unix:${l.testbed.host("h1").runDir}/br-int.mgmt`,
  ]);
  assert.doesNotMatch(meters, /meter=/, "a's meter went with its limit");

  const ingress = await l.api.createQosPolicy("ingress");
  await l.api.addQosRule(ingress, "bandwidth_limit", { max_kbps: 8_000, direction: "ingress" });
  await l.api.setPortQosPolicy(b.portId, ingress);
  const toB = await waitFor(
    async () => {
      const mbps = await measureThroughput(a, b, 4);
      return mbps < 12 ? mbps : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 0, what: "b's ingress limited" },
  );
  t.diagnostic(`ingress 8 Mbit/s: ${toB.toFixed(1)} Mbit/s`);
  assert.ok(within(toB, 8), `ingress limit 8 Mbit/s measured ${toB.toFixed(1)}`);
  const qos = (await vsctl(ovsPaths(l.testbed.host("h1").runDir), ["get", "Port", b.port, "qos"])).trim();
  assert.match(qos, /^[0-9a-f-]{36}$/, "b's port has a QoS row");

  await l.api.setPortQosPolicy(b.portId, null);
  await waitFor(
    async () =>
      (await vsctl(ovsPaths(l.testbed.host("h1").runDir), ["get", "Port", b.port, "qos"])).trim() === "[]"
        ? true
        : undefined,
    { timeoutMs: 10_000, what: "b's QoS row gone" },
  );
  const free = await measureThroughput(a, b, 3);
  assert.ok(free > 30, `no limit any more: ${free.toFixed(0)} Mbit/s`);
});

test("a policy with an invalid rule is refused by the API, and nothing of it reaches the switch", async (t) => {
  const { l, a } = await qosLab(t);
  const policy = await l.api.createQosPolicy("partly-bad");
  await l.api.addQosRule(policy, "dscp_marking", { dscp_mark: 26 });
  await assert.rejects(l.api.addQosRule(policy, "dscp_marking", { dscp_mark: 27 }), /HTTP 400/);
  await assert.rejects(l.api.addQosRule(policy, "bandwidth_limit", { max_kbps: -1 }), /HTTP 400/);
  await l.api.setPortQosPolicy(a.portId, policy);
  const host = l.testbed.host("h1");
  const ofctl = (...args: string[]) =>
    run("ovs-ofctl", [
      "-O",
      "OpenFlow15",
      ...args.slice(0, 1),
      `unix:${host.runDir}/br-int.mgmt`,
      ...args.slice(1),
    ]);
  // The valid rule arrives: the agent processed the policy.
  const rules = await waitFor(
    async () => {
      const lines = (await ofctl("dump-flows", "table=59"))
        .split("\n")
        .filter((line) => line.includes("table=59"));
      const applied = lines.filter((line) => !/priority=0\b/.test(line));
      return applied.length > 0 ? applied : undefined;
    },
    { timeoutMs: 15_000, what: "the valid DSCP rule in table 59" },
  );
  // The DSCP rule's flows (IPv4 and IPv6), and nothing else.
  assert.deepEqual(
    rules.map((line) => /priority=\d+,(ipv6|ip),/.exec(line)?.[1]).sort(),
    ["ip", "ipv6"],
    rules.join(" | "),
  );
  for (const line of rules) {
    assert.match(line, /set_field:26->ip_dscp/, "it marks DSCP 26");
    assert.doesNotMatch(line, /meter:/, "no limit applied");
  }
  assert.doesNotMatch(await ofctl("dump-meters"), /meter=/, "no meter");
  const qos = (await vsctl(ovsPaths(host.runDir), ["get", "Port", a.port, "qos"])).trim();
  assert.equal(qos, "[]", "no QoS row");
  const policing = (
    await vsctl(ovsPaths(host.runDir), ["get", "Interface", a.port, "ingress_policing_rate"])
  ).trim();
  assert.equal(policing, "0", "no policing");
});

test("restarts with QoS on lose nothing and keep every mark and limit in place", async (t) => {
  const { l, a, b } = await qosLab(t);
  const policy = await l.api.createQosPolicy("both");
  await l.api.addQosRule(policy, "dscp_marking", { dscp_mark: 26 });
  await l.api.addQosRule(policy, "bandwidth_limit", { max_kbps: 50_000, direction: "egress" });
  await l.api.addQosRule(policy, "bandwidth_limit", { max_kbps: 50_000, direction: "ingress" });
  await l.api.setPortQosPolicy(a.portId, policy);
  await l.api.setPortQosPolicy(b.portId, policy);
  await waitFor(async () => ((await dscpSeen(a, b)).has(26) ? true : undefined), {
    timeoutMs: 15_000,
    what: "marked",
  });
  const paths = ovsPaths(l.testbed.host("h1").runDir);
  const rowsBefore = await vsctl(paths, ["--columns=_uuid,type,other_config", "list", "QoS"]);
  const meters = () =>
    run("ovs-ofctl", [
      "-O",
      "OpenFlow15",
      "dump-meters",
      `unix:${l.testbed.host("h1").runDir}/br-int.mgmt`,
    ]).then((s) =>
      s
        .split("\n")
        .filter((x) => x.includes("meter="))
        .sort(),
    );
  const metersBefore = await meters();
  assert.equal(metersBefore.length, 2, "one egress meter per port (userspace datapath)");
  const results = await probePairs([{ name: "a → b", from: a, to: b }], async () => {
    for (const how of ["term", "kill", "term", "kill"] as const) {
      const report = await l.restartAgent("h1", how);
      assert.equal(report.features.qos?.status, "ok");
    }
  });
  for (const r of results)
    assert.equal(r.result.lost, 0, `${r.name}: lost ${r.result.lost} of ${r.result.sent}`);
  assert.equal(
    await vsctl(paths, ["--columns=_uuid,type,other_config", "list", "QoS"]),
    rowsBefore,
    "the QoS rows were not rewritten",
  );
  assert.deepEqual(await meters(), metersBefore, "the meters are as they were");
  assert.deepEqual([...(await dscpSeen(a, b))], [26], "still marked");
});

test("qos removed at a restart: its meters, QoS rows and Port.qos go after the swap, and the ports still forward (B11)", async (t) => {
  const { l, a, b } = await qosLab(t);
  const runDir = l.testbed.host("h1").runDir;
  const paths = ovsPaths(runDir);
  const policy = await l.api.createQosPolicy("limits");
  await l.api.addQosRule(policy, "bandwidth_limit", { max_kbps: 50_000, direction: "egress" });
  await l.api.addQosRule(policy, "bandwidth_limit", { max_kbps: 50_000, direction: "ingress" });
  await l.api.setPortQosPolicy(a.portId, policy);
  await l.api.setPortQosPolicy(b.portId, policy);
  const meters = async () =>
    (await run("ovs-ofctl", ["-O", "OpenFlow15", "dump-meters", `unix:${runDir}/br-int.mgmt`]))
      .split("\n")
      .filter((x) => x.includes("meter="));
  const portQos = async (port: string) => (await vsctl(paths, ["get", "Port", port, "qos"])).trim();
  const rows = async (table: string) =>
    (await vsctl(paths, ["--columns=_uuid", "--bare", "list", table])).split("\n").filter((x) => x !== "");
  await waitFor(
    async () =>
      (await meters()).length === 2 && (await portQos(a.port)) !== "[]" && (await portQos(b.port)) !== "[]"
        ? true
        : undefined,
    { timeoutMs: 15_000, what: "a meter and a QoS row per port" },
  );
  const record = () => vsctl(paths, ["get", "Open_vSwitch", ".", "external_ids:weir-extension-classes"]);
  assert.equal((await record()).trim(), '"qos=80:65536-131071"', "the record keeps qos's meter ids");

  const results = await probePairs([{ name: "a → b", from: a, to: b }], async () => {
    const report = await l.restartAgent("h1", "term", { extensions: [] });
    assert.equal(report.features.qos, undefined);
    assert.equal(report.server, "synced");
  });
  for (const r of results)
    assert.equal(r.result.lost, 0, `${r.name}: lost ${r.result.lost} of ${r.result.sent}`);
  assert.deepEqual(await meters(), [], "qos's meters were deleted after the swap removed their flows");
  assert.deepEqual([await portQos(a.port), await portQos(b.port)], ["[]", "[]"], "Port.qos cleared");
  assert.deepEqual([await rows("QoS"), await rows("Queue")], [[], []], "the QoS and Queue rows deleted");
  assert.equal((await record()).trim(), '""', "qos left the record once cleaned up");
  const free = await measureThroughput(a, b, 3);
  assert.ok(free > 60, `the ports forward, unlimited: ${free.toFixed(0)} Mbit/s`);
});
