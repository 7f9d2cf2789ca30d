// The firewall (firewall_driver = openvswitch) with real packets between VMs on two hosts, through real
// agents and a real server: a rule matrix (TCP, UDP, ICMP, egress rules, remote groups, address groups,
// allowed address pairs, IPv6, stateless groups, port security off), anti-spoofing, revocation of an
// established connection, and agent restarts that lose no probe and keep every TCP connection.
import assert from "node:assert/strict";
import { test } from "node:test";
import { sleep, waitFor } from "../../src/base/index.ts";
import {
  captureFrames,
  holdTcp,
  ip,
  ovsPaths,
  probePairs,
  reaches,
  restartVswitchd,
  run,
  startL4Servers,
  tcpConnects,
  udpAnswers,
  type VmInfo,
} from "../../src/testbed/index.ts";
import { type Lab, lab } from "../support/lab.ts";
import { openstackNoAuth } from "../support/openstack.ts";

const firewallOn = { firewallDriver: "openvswitch" as const };

async function twoHosts(t: import("node:test").TestContext): Promise<{ l: Lab; net: string }> {
  const l = await lab(t, { hosts: 2, agent: firewallOn });
  await l.startAgent("h1");
  await l.startAgent("h2");
  const net = await l.network({ name: "fw", type: "vxlan", segmentationId: 4100 });
  return { l, net };
}

interface Cell {
  readonly what: string;
  readonly expected: boolean;
  readonly check: () => Promise<boolean>;
}

/** Runs every cell (a few at a time) and fails once, listing each cell whose outcome was not expected. */
async function assertMatrix(cells: readonly Cell[]): Promise<void> {
  const wrong: string[] = [];
  for (let i = 0; i < cells.length; i += 4) {
    const batch = cells.slice(i, i + 4);
    const got = await Promise.all(batch.map((c) => c.check()));
    batch.forEach((c, j) => {
      if (got[j] !== c.expected)
        wrong.push(
          `${c.what}: expected ${c.expected ? "pass" : "blocked"}, got ${got[j] ? "pass" : "blocked"}`,
        );
    });
  }
  assert.deepEqual(wrong, [], `cells not as the rules say:\n${wrong.join("\n")}`);
}

/** Waits until from → ip:port connects over TCP (the rules' flows land a little after an API call). */
const untilConnects = (from: VmInfo, ip: string, port: number, what: string, timeoutMs = 15_000) =>
  waitFor(async () => ((await tcpConnects(from, ip, port)) ? true : undefined), { timeoutMs, what });

const allow = (what: string, check: () => Promise<boolean>): Cell => ({ what, expected: true, check });
const deny = (what: string, check: () => Promise<boolean>): Cell => ({ what, expected: false, check });

/** Sends one ping from `vm` with a source address it does not own (added to its eth0 for the purpose). */
async function pingFrom(vm: VmInfo, source: string, to: string): Promise<boolean> {
  try {
    await run("ping", ["-n", "-q", "-c", "2", "-i", "0.2", "-W", "1", "-I", source, to], {
      netns: vm.namespace,
      timeoutMs: 5_000,
    });
    return true;
  } catch {
    return false;
  }
}

test("rule matrix on two hosts: TCP, UDP, ICMP, egress, remote and address groups, address pairs, IPv6, stateless, port security off", async (t) => {
  const { l, net } = await twoHosts(t);
  await l.ipv6Subnet(net);
  const api = l.api;
  const web = await api.createSecurityGroup("web");
  await api.addRule(web, {
    direction: "ingress",
    protocol: "tcp",
    port_range_min: 80,
    port_range_max: 80,
    remote_ip_prefix: "0.0.0.0/0",
  });
  await api.addRule(web, {
    direction: "ingress",
    ethertype: "IPv6",
    protocol: "tcp",
    port_range_min: 80,
    port_range_max: 80,
  });
  await api.addRule(web, {
    direction: "ingress",
    protocol: "udp",
    port_range_min: 5353,
    port_range_max: 5353,
  });
  await api.addRule(web, { direction: "ingress", protocol: "icmp" });
  await api.addRule(web, { direction: "ingress", ethertype: "IPv6", protocol: "ipv6-icmp" });
  const clients = await api.createSecurityGroup("clients");
  const trusted = await api.createSecurityGroup("trusted");
  await api.addRule(trusted, {
    direction: "ingress",
    protocol: "tcp",
    port_range_min: 8080,
    port_range_max: 8080,
    remote_group_id: clients,
  });
  const other = await api.createSecurityGroup("other");
  const locked = await api.createSecurityGroup("locked");
  for (const rule of await api.rulesOf(locked)) await api.deleteRule(rule.id);
  await api.addRule(locked, { direction: "egress", protocol: "tcp", port_range_min: 80, port_range_max: 80 });
  const stateless = await api.createSecurityGroup("stateless", { stateful: false });
  await api.addRule(stateless, {
    direction: "ingress",
    protocol: "tcp",
    port_range_min: 7000,
    port_range_max: 7000,
  });

  const s = await l.vm("h2", net, "s", "198.19.10.1", {
    securityGroups: [web, trusted],
    ipv6: "2001:db8:1::1",
  });
  const a = await l.vm("h1", net, "a", "198.19.10.2", { securityGroups: [clients], ipv6: "2001:db8:1::2" });
  const b = await l.vm("h1", net, "b", "198.19.10.3", { securityGroups: [other] });
  const d = await l.vm("h2", net, "d", "198.19.10.4", { securityGroups: [other] });
  const e = await l.vm("h1", net, "e", "198.19.10.5", { securityGroups: [locked] });
  const f = await l.vm("h1", net, "f", "198.19.10.6", { portSecurity: false, securityGroups: [] });
  const g = await l.vm("h1", net, "g", "198.19.10.7", {
    securityGroups: [clients],
    allowedAddressPairs: [{ ip_address: "198.19.50.50" }],
  });
  const st = await l.vm("h2", net, "st", "198.19.10.8", { securityGroups: [stateless] });
  const near = await l.vm("h2", net, "near", "198.19.10.9", { securityGroups: [clients] });
  // Another network (another tenant's, say): the firewall on changes nothing of L2 isolation.
  const net2 = await l.network({ name: "fw2", type: "vxlan", segmentationId: 4101 });
  const z = await l.vm("h1", net2, "z", "198.19.10.99", { securityGroups: [web] });
  // An address group naming d alone, allowed to TCP 9090 of s.
  const ag = await api.createAddressGroup("d-only", ["198.19.10.4/32"]);
  await api.addRule(trusted, {
    direction: "ingress",
    protocol: "tcp",
    port_range_min: 9090,
    port_range_max: 9090,
    remote_address_group_id: ag,
  });

  const servers = await Promise.all([
    startL4Servers(s, { tcp: [80, 81, 8080, 9090], udp: [5353, 5354] }),
    startL4Servers(a, { tcp: [80] }),
    startL4Servers(st, { tcp: [7000, 7001] }),
    startL4Servers(f, { tcp: [80] }),
    startL4Servers(z, { tcp: [80] }),
  ]);
  t.after(() => Promise.all(servers.map((x) => x.stop())));
  // The rules' flows land after the ports are wired; wait for the first allowed path before judging.
  await untilConnects(a, s.ip, 80, "a → s tcp 80");

  await assertMatrix([
    allow("a → s tcp 80 (rule, across hosts)", () => tcpConnects(a, s.ip, 80)),
    allow("near → s tcp 80 (rule, same host)", () => tcpConnects(near, s.ip, 80)),
    deny("a → s tcp 81 (no rule)", () => tcpConnects(a, s.ip, 81)),
    allow("a → s udp 5353 (rule)", () => udpAnswers(a, s.ip, 5353)),
    deny("a → s udp 5354 (no rule)", () => udpAnswers(a, s.ip, 5354)),
    allow("a → s icmp (rule)", () => reaches(a, s.ip, 2)),
    deny("s → a icmp (a allows no ingress)", () => reaches(s, a.ip, 2)),
    deny("s → a tcp 80 (a allows no ingress)", () => tcpConnects(s, a.ip, 80)),
    allow("a → s tcp 8080 (a is in the remote group)", () => tcpConnects(a, s.ip, 8080)),
    deny("b → s tcp 8080 (b is not)", () => tcpConnects(b, s.ip, 8080)),
    allow("d → s tcp 9090 (d is in the address group)", () => tcpConnects(d, s.ip, 9090)),
    deny("b → s tcp 9090 (b is not)", () => tcpConnects(b, s.ip, 9090)),
    allow("e → s tcp 80 (e's one egress rule)", () => tcpConnects(e, s.ip, 80)),
    deny("e → s udp 5353 (e's egress allows tcp 80 only)", () => udpAnswers(e, s.ip, 5353)),
    deny("e → s icmp (egress)", () => reaches(e, s.ip, 2)),
    allow("a → s tcp 80 over IPv6", () => tcpConnects(a, s.ipv6!, 80)),
    deny("a → s tcp 81 over IPv6", () => tcpConnects(a, s.ipv6!, 81)),
    allow("a → s icmpv6", () => reaches(a, s.ipv6!, 2)),
    allow("a → st tcp 7000 (stateless group's rule; replies by its egress rule)", () =>
      tcpConnects(a, st.ip, 7000),
    ),
    deny("a → st tcp 7001 (stateless, no rule)", () => tcpConnects(a, st.ip, 7001)),
    deny("f → s tcp 81 (f has port security off; s's rules still apply)", () => tcpConnects(f, s.ip, 81)),
    allow("f → s tcp 80", () => tcpConnects(f, s.ip, 80)),
    allow("s → f tcp 80 (f is not filtered)", () => tcpConnects(s, f.ip, 80)),
    deny("z → s tcp 80 (z is on another network, though s allows tcp 80 from anywhere)", () =>
      tcpConnects(z, s.ip, 80),
    ),
    deny("a → z tcp 80 (another network)", () => tcpConnects(a, z.ip, 80)),
  ]);

  // The binding says what the host does: this host's agent filters, with no hybrid plugging.
  const binding = ((await (await fetch(`${l.server.url}/v2.0/ports/${s.portId}`)).json()) as any).port;
  assert.deepEqual(
    [binding["binding:vif_details"].port_filter, binding["binding:vif_details"].ovs_hybrid_plug],
    [true, false],
  );

  // Address pairs and spoofing: g may use 198.19.50.50; a may not use an address it does not own.
  await ip(["addr", "add", "198.19.50.50/16", "dev", "eth0"], g.namespace);
  await ip(["addr", "add", "198.19.60.60/16", "dev", "eth0"], a.namespace);
  assert.ok(await pingFrom(g, "198.19.50.50", s.ip), "g's allowed address pair reaches s");
  const capture = await captureFrames(s, { seconds: 3, maxFrames: 200 });
  assert.equal(await pingFrom(a, "198.19.60.60", s.ip), false, "a spoofing 198.19.60.60 gets no answer");
  const seen = await capture.frames;
  const spoofed = seen.filter((fr) => {
    const type = fr.readUInt16BE(12);
    if (type === 0x0806) return fr.subarray(28, 32).join(".") === "198.19.60.60";
    return type === 0x0800 && fr.subarray(26, 30).join(".") === "198.19.60.60";
  });
  assert.equal(spoofed.length, 0, "no ARP or IP frame from the spoofed address reaches s");
  assert.ok(await reaches(a, s.ip, 2), "a's own address still works");
  // A spoofed MAC: nothing from a gets through while its MAC is not its port's.
  await ip(["link", "set", "eth0", "address", "fa:16:3e:99:99:99"], a.namespace);
  await ip(["neigh", "flush", "all"], a.namespace);
  assert.equal(await reaches(a, s.ip, 2), false, "a with a spoofed MAC is cut off");
  await ip(["link", "set", "eth0", "address", a.mac], a.namespace);
});

test("revocation: removing the rule cuts an established TCP connection; adding it back lets a new one through", async (t) => {
  const { l, net } = await twoHosts(t);
  const api = l.api;
  const srv = await api.createSecurityGroup("srv");
  const rule = { direction: "ingress" as const, protocol: "tcp", port_range_min: 80, port_range_max: 80 };
  const ruleId = await api.addRule(srv, rule);
  const s = await l.vm("h2", net, "s", "198.19.11.1", { securityGroups: [srv] });
  const a = await l.vm("h1", net, "a", "198.19.11.2", { securityGroups: [srv] });
  const server = await startL4Servers(s, { tcp: [80] });
  t.after(() => server.stop());
  await untilConnects(a, s.ip, 80, "a → s tcp 80");
  const held = await holdTcp(a, s.ip, 80, { intervalMs: 50 });
  t.after(() => held.stop());
  await waitFor(async () => (held.echoes >= 10 ? true : undefined), {
    timeoutMs: 5_000,
    what: "echoes before revocation",
  });

  await api.deleteRule(ruleId);
  await waitFor(async () => (held.sinceLastEchoMs() > 2_000 ? true : undefined), {
    timeoutMs: 10_000,
    what: "the established connection cut after its rule went",
  });
  const cutAt = held.echoes;
  assert.equal(await tcpConnects(a, s.ip, 80), false, "no new connection without the rule");
  await sleep(1_000);
  assert.equal(held.echoes, cutAt, "nothing of the old connection passes meanwhile");

  await api.addRule(srv, rule);
  await untilConnects(a, s.ip, 80, "a new connection once the rule is back", 10_000);
  // The blocked connection's next retransmission is checked against the rules again, and allowed: it
  // is unblocked without anyone flushing conntrack (OVN's behaviour; Neutron deletes the entries).
  await waitFor(async () => (held.echoes > cutAt ? true : undefined), {
    timeoutMs: 30_000,
    what: "the old connection flowing again once its rule is back",
  });
  assert.equal(held.ended, undefined, "the old connection was never reset");
});

/** The conntrack entries of a host's datapath (userspace: inside ovs-vswitchd), as dumped, sorted. */
async function conntrack(l: Lab, host: string): Promise<string[]> {
  const paths = ovsPaths(l.testbed.host(host).runDir);
  const out = await run("ovs-appctl", ["-t", paths.vswitchdCtl, "dpctl/dump-conntrack"]);
  return (
    out
      .split("\n")
      .filter((line) => line.includes("zone="))
      // Timeouts and TCP window state move on by themselves; the tuple, zone, mark and state must not.
      .map((line) => line.replace(/,timeout=\d+/, "").replace(/,protoinfo=\(state=\w+\)/, ""))
      .sort()
  );
}

test("agent restarts with the firewall on (SIGTERM, SIGKILL) lose no 1 ms probe, keep TCP connections, change no conntrack entry", async (t) => {
  const { l, net } = await twoHosts(t);
  const api = l.api;
  const srv = await api.createSecurityGroup("srv");
  await api.addRule(srv, { direction: "ingress", protocol: "tcp", port_range_min: 80, port_range_max: 80 });
  await api.addRule(srv, { direction: "ingress", protocol: "udp" });
  const a = await l.vm("h1", net, "a", "198.19.12.1", { securityGroups: [srv] });
  const b = await l.vm("h2", net, "b", "198.19.12.2", { securityGroups: [srv] });
  const c = await l.vm("h1", net, "c", "198.19.12.3", { securityGroups: [srv] });
  const servers = await Promise.all([startL4Servers(b, { tcp: [80] }), startL4Servers(c, { tcp: [80] })]);
  t.after(() => Promise.all(servers.map((x) => x.stop())));
  await untilConnects(a, b.ip, 80, "a → b tcp 80");
  const busy = await holdTcp(a, b.ip, 80, { intervalMs: 20 });
  const idle = await holdTcp(a, c.ip, 80, { intervalMs: 2_000 });
  t.after(() => Promise.all([busy.stop(), idle.stop()]));
  await waitFor(async () => (busy.echoes >= 20 && idle.echoes >= 1 ? true : undefined), {
    timeoutMs: 10_000,
    what: "echoes",
  });
  const before = { h1: await conntrack(l, "h1"), h2: await conntrack(l, "h2") };
  assert.ok(
    before.h1.some((e) => e.includes("dport=80")),
    "the held connections are tracked on h1",
  );

  const results = await probePairs(
    [
      { name: "a→b across hosts", from: a, to: b },
      { name: "a→c same host", from: a, to: c },
    ],
    async () => {
      for (const how of ["term", "kill"] as const)
        for (const host of ["h1", "h2"]) {
          await l.restartAgent(host, how);
          await sleep(300);
        }
    },
    { intervalUs: 1000 },
  );
  for (const { name, result } of results) {
    assert.ok(result.sent > 1000, `${name}: the probe ran`);
    assert.equal(
      result.lost,
      0,
      `${name}: lost ${result.lost} of ${result.sent} (${JSON.stringify(result.lostRanges)})`,
    );
  }
  assert.equal(busy.ended, undefined, "the busy connection lives");
  assert.equal(idle.ended, undefined, "the idle connection lives");
  assert.ok(
    busy.longestGapMs < 1_000,
    `the busy connection never stalled (longest gap ${busy.longestGapMs} ms)`,
  );
  const echoes = busy.echoes;
  await waitFor(async () => (busy.echoes > echoes + 10 ? true : undefined), {
    timeoutMs: 5_000,
    what: "echoes after",
  });
  const after = { h1: await conntrack(l, "h1"), h2: await conntrack(l, "h2") };
  const held = (list: string[]) => list.filter((e) => e.includes("dport=80"));
  assert.deepEqual(
    held(after.h1),
    held(before.h1),
    "h1: the TCP connections' entries are as they were (same zone, mark)",
  );
  assert.deepEqual(held(after.h2), held(before.h2), "h2: likewise");
  assert.equal(
    [...after.h1, ...after.h2].filter((e) => e.includes("mark=1")).length,
    0,
    "no connection was marked blocked by a restart",
  );
});

test("ovs-vswitchd restarting (flows and conntrack lost): the firewall is reprogrammed with the rest; connections re-establish, denied stays denied", async (t) => {
  const { l, net } = await twoHosts(t);
  const api = l.api;
  const srv = await api.createSecurityGroup("srv");
  await api.addRule(srv, { direction: "ingress", protocol: "tcp", port_range_min: 80, port_range_max: 80 });
  const a = await l.vm("h1", net, "a", "198.19.13.1", { securityGroups: [srv] });
  const b = await l.vm("h2", net, "b", "198.19.13.2", { securityGroups: [srv] });
  const server = await startL4Servers(b, { tcp: [80, 81] });
  t.after(() => server.stop());
  await untilConnects(a, b.ip, 80, "a → b tcp 80");
  const held = await holdTcp(a, b.ip, 80, { intervalMs: 50 });
  t.after(() => held.stop());
  await waitFor(async () => (held.echoes >= 5 ? true : undefined), { timeoutMs: 5_000, what: "echoes" });

  await restartVswitchd(l.testbed.host("h2"), { kill: true });
  await untilConnects(a, b.ip, 80, "a → b tcp 80 once h2's switch is reprogrammed", 30_000);
  const echoes = held.echoes;
  await waitFor(async () => (held.echoes > echoes + 5 ? true : undefined), {
    timeoutMs: 30_000,
    what: "the held connection flowing again (userspace conntrack re-learns it)",
  });
  assert.equal(held.ended, undefined, "the held connection was not reset");
  assert.equal(await tcpConnects(a, b.ip, 81), false, "tcp 81 is still denied after the restart");
});

const openstack = (l: Lab, ...args: string[]) => openstackNoAuth(l.server.url, ...args);

test("through the openstack CLI: security group create, rule create, port set --security-group open TCP 22 on real packets; rule delete closes it", async (t) => {
  const { l, net } = await twoHosts(t);
  const a = await l.vm("h1", net, "a", "198.19.14.1");
  const b = await l.vm("h2", net, "b", "198.19.14.2");
  const server = await startL4Servers(b, { tcp: [22] });
  t.after(() => server.stop());
  // Both in the default group: b accepts what comes from the group, so open a to b… but nothing from
  // outside the group. a leaves the default group for one with egress only; b allows nothing from a.
  await openstack(l, "security", "group", "create", "egress-only");
  await openstack(l, "port", "set", "--no-security-group", "--security-group", "egress-only", a.portId);
  await waitFor(async () => ((await tcpConnects(a, b.ip, 22)) ? undefined : true), {
    timeoutMs: 15_000,
    what: "a outside b's group: tcp 22 blocked",
  });
  await openstack(l, "security", "group", "create", "ssh");
  const rule = JSON.parse(
    await openstack(
      l,
      "security",
      "group",
      "rule",
      "create",
      "--protocol",
      "tcp",
      "--dst-port",
      "22",
      "ssh",
      "-f",
      "json",
    ),
  );
  await openstack(l, "port", "set", "--security-group", "ssh", b.portId);
  await untilConnects(a, b.ip, 22, "tcp 22 open once b is in ssh");
  assert.equal(await reaches(a, b.ip, 2), false, "ssh opens tcp 22, not ICMP");
  await openstack(l, "security", "group", "rule", "delete", rule.id);
  await waitFor(async () => ((await tcpConnects(a, b.ip, 22)) ? undefined : true), {
    timeoutMs: 15_000,
    what: "tcp 22 closed once the rule is deleted",
  });
});
