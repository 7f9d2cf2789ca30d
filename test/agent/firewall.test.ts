// The firewall's pure parts: port ranges as masks, rules as flows, conjunctions and their ids.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  antiSpoofingOnly,
  ClauseMemos,
  collisions,
  conjunctionFlows,
  conjunctionId,
  firewallPort,
  keyOf,
  l4Matches,
  linkLocalOf,
  PortRenders,
  portMasks,
  ruleFlows,
  rulePriority,
} from "../../src/agent/internal.ts";
import { type Flow, formatFlow } from "../../src/openflow/index.ts";
import type { DeviceDetails, SecurityGroupInfo, SecurityGroupRuleInfo } from "../../src/protocol/index.ts";
import { details as fixtureDetails, ruleInfo, uuid } from "./fixtures.ts";

const id = uuid;

const rule = (over: Partial<SecurityGroupRuleInfo>) => ruleInfo(0x999, over);

/** A port with port security, one IPv4 address (198.19.0.5) and one group. */
const details = (over: Partial<DeviceDetails> = {}): DeviceDetails =>
  fixtureDetails(id(1), id(2), {
    fixed_ips: [{ subnet_id: id(3), ip_address: "198.19.0.5" }],
    port_security_enabled: true,
    security_groups: [id(0xaa)],
    ...over,
  });

test("a port range becomes value/mask pieces that cover exactly the range, each port once", () => {
  for (const [min, max, pieces] of [
    [22, 22, 1],
    [80, 443, 8],
    [1, 1024, 11],
    [1000, 2000, undefined],
    [1, 65535, 16],
    [65535, 65535, 1],
  ] as const) {
    const masks = portMasks(min, max);
    const covered = new Map<number, number>();
    for (const [value, mask] of masks)
      for (let p = 0; p <= 0xffff; p++) if ((p & mask) === value) covered.set(p, (covered.get(p) ?? 0) + 1);
    assert.equal(covered.size, max - min + 1, `${min}-${max}: every port in the range`);
    for (const [p, n] of covered) {
      assert.ok(p >= min && p <= max, `${min}-${max}: ${p} is outside`);
      assert.equal(n, 1, `${min}-${max}: ${p} matched by ${n} pieces`);
    }
    if (pieces !== undefined) assert.equal(masks.length, pieces, `${min}-${max}: pieces`);
  }
});

test("rules as matches: protocol numbers, ICMP type and code, prefixes by direction; Neutron's priorities", () => {
  assert.deepEqual(l4Matches(rule({ protocol: 6, port_range_min: 22, port_range_max: 22 })), [
    { eth_type: 0x0800, ip_proto: 6, tcp_dst: 22 },
  ]);
  assert.deepEqual(
    l4Matches(rule({ ethertype: "IPv6", protocol: 58, port_range_min: 128, port_range_max: 0 })),
    [{ eth_type: 0x86dd, ip_proto: 58, icmpv6_type: 128, icmpv6_code: 0 }],
  );
  assert.deepEqual(l4Matches(rule({ protocol: 1, port_range_min: 8 })), [
    { eth_type: 0x0800, ip_proto: 1, icmp_type: 8 },
  ]);
  assert.deepEqual(l4Matches(rule({ protocol: 33, port_range_min: 5, port_range_max: 6 })), [
    { eth_type: 0x0800, ip_proto: 33 },
  ]);
  assert.equal(rulePriority(rule({})), 74, "plain, any protocol");
  assert.equal(rulePriority(rule({ protocol: 1 })), 75, "ICMP without type");
  assert.equal(rulePriority(rule({ protocol: 1, port_range_min: 8 })), 76, "ICMP type only");
  assert.equal(rulePriority(rule({ protocol: 6, port_range_min: 1, port_range_max: 2 })), 77);
  assert.equal(
    rulePriority(rule({ protocol: 6, remote_group_id: id(5) })),
    73,
    "remote rules sit below plain ones",
  );
  const egress = ruleFlows(5, [rule({ direction: "egress", remote_ip_prefix: "198.19.0.0/16" })], true).map(
    (f) => formatFlow(f),
  );
  assert.deepEqual(egress, [
    "cookie=0x0,table=72,priority=74,eth_type=0x800,ip_dst=198.19.0.0/16,ct_state=0x20/0x38,reg5=0x5 actions=goto_table:73",
  ]);
  const ingress = ruleFlows(5, [rule({ remote_ip_prefix: "198.19.0.0/16" })], false).map((f) =>
    formatFlow(f),
  );
  assert.deepEqual(ingress, [
    "cookie=0x0,table=82,priority=74,eth_type=0x800,ip_src=198.19.0.0/16,reg5=0x5 actions=goto_table:92",
  ]);
});

test("rules that build the same flow are one flow; remote rules are clause 2/2 of an id per remote, shared by groups", () => {
  const r1 = rule({ id: id(1), protocol: 6, port_range_min: 80, port_range_max: 80, remote_group_id: id(7) });
  const r2 = { ...r1, id: id(2) };
  const r3 = rule({
    id: id(3),
    protocol: 6,
    port_range_min: 80,
    port_range_max: 80,
    remote_address_group_id: id(8),
  });
  const flows = ruleFlows(9, [r1, r2, r3], true);
  assert.equal(flows.length, 1, "one match, one flow");
  const text = formatFlow(flows[0]!);
  const k1 = conjunctionId(keyOf(r1)!);
  const k3 = conjunctionId(keyOf(r3)!);
  assert.notEqual(k1, k3);
  assert.match(
    text,
    new RegExp(`conjunction\\(${Math.min(k1, k3)},2/2\\),conjunction\\(${Math.max(k1, k3)},2/2\\)`),
  );
  assert.equal(
    conjunctionId(keyOf(r1)!),
    conjunctionId(keyOf({ ...r1, id: id(99) })!),
    "ids do not depend on the rule's id",
  );
});

test("members: an address in two remotes is one clause-1 flow with both ids; a /0 pair is matched on its MAC", () => {
  const keyA = keyOf(rule({ remote_group_id: id(0xa) }))!;
  const keyB = keyOf(rule({ remote_group_id: id(0xb) }))!;
  const members = (r: { id: string }) =>
    r.id === id(0xa)
      ? [
          { ip: "198.19.0.5", mac: "fa:16:3e:00:00:05" },
          { ip: "0.0.0.0/0", mac: "fa:16:3e:00:00:0f" },
        ]
      : [
          { ip: "198.19.0.5", mac: "fa:16:3e:00:00:05" },
          { ip: "2001:db8::5", mac: "fa:16:3e:00:00:05" },
        ];
  const flows = conjunctionFlows([keyA, keyB], members).map((f) => formatFlow(f));
  const idA = conjunctionId(keyA);
  const idB = conjunctionId(keyB);
  assert.ok(flows.includes(`cookie=0x0,table=82,priority=79,conj_id=${idA} actions=goto_table:92`));
  const shared = flows.filter((f) => f.includes("ip_src=198.19.0.5"));
  assert.equal(shared.length, 1);
  assert.match(shared[0]!, /conjunction\(\d+,1\/2\),conjunction\(\d+,1\/2\)/);
  assert.ok(shared[0]!.includes(`conjunction(${idA},1/2)`) && shared[0]!.includes(`conjunction(${idB},1/2)`));
  assert.ok(
    flows.some((f) => f.includes("eth_src=fa:16:3e:00:00:0f") && !f.includes("ip_src")),
    "/0 by MAC",
  );
  assert.ok(!flows.some((f) => f.includes("2001:db8::5")), "an IPv6 member is not in an IPv4 key's clause");
  assert.deepEqual(collisions([keyA, keyB, keyA]), []);
});

test("a port's flows: anti-spoofing, entry, local ingress, output; port security off gets only its entry", () => {
  const group: SecurityGroupInfo = { group_id: id(0xaa), stateful: true, revision_number: 1, rules: [] };
  const flows = firewallPort({ ofport: 5, lvid: 3, details: details() }, [group]).map((f) => formatFlow(f));
  assert.ok(flows.some((f) => f.includes("table=60,priority=100,in_port=5") && f.includes("goto_table:71")));
  assert.ok(
    flows.some((f) => f.includes("table=60,priority=90,eth_dst=fa:16:3e:00:00:01,vlan_tci=0x1003/0x1fff")),
  );
  assert.ok(flows.some((f) => f.includes("table=73,priority=100") && f.includes("reg6=0x3")));
  assert.ok(flows.some((f) => f.includes("arp_spa=198.19.0.5") && f.includes("arp_sha=fa:16:3e:00:00:01")));
  assert.ok(flows.some((f) => f.includes(`ipv6_src=${linkLocalOf("fa:16:3e:00:00:01")}`)));
  assert.ok(
    flows.some((f) => f.includes("ip_src=198.19.0.5") && f.includes("ct(zone=NXM_NX_REG6[0..15],table=72)")),
  );
  assert.equal(flows.length, 26, "docs/SECURITY-GROUPS.md says 26 flows per port before rules (Neutron: 43)");
  const off = firewallPort(
    { ofport: 5, lvid: 3, details: details({ port_security_enabled: false }) },
    [],
  ).map((f) => formatFlow(f));
  assert.deepEqual(off, [
    "cookie=0x0,table=60,priority=100,in_port=5 actions=set_field:0x5->reg5,set_field:0x3/0xffff->reg6,goto_table:73",
  ]);
  const stateless = firewallPort({ ofport: 5, lvid: 3, details: details() }, [
    { ...group, stateful: false },
  ]).map((f) => formatFlow(f));
  assert.ok(
    stateless.some((f) => f.includes("ip_src=198.19.0.5") && f.endsWith("actions=goto_table:72")),
    "no conntrack",
  );
  assert.ok(!stateless.some((f) => f.includes("ct(")), "a stateless port's flows never use conntrack");
  assert.deepEqual(
    antiSpoofingOnly({ ofport: 5, lvid: 3, details: details({ port_security_enabled: false }) }),
    [],
  );
  assert.ok(
    antiSpoofingOnly({ ofport: 5, lvid: 3, details: details() })
      .map((f) => formatFlow(f))
      .some((f) => f.includes("ip_src=198.19.0.5") && f.endsWith("goto_table:94")),
    "noop: anti-spoofing, then NORMAL",
  );
});

test("the link-local address of a MAC is its EUI-64 one", () => {
  assert.equal(linkLocalOf("fa:16:3e:00:00:01"), "fe80::f816:3eff:fe00:1");
  assert.equal(linkLocalOf("02:00:00:ab:cd:ef"), "fe80::0:ff:feab:cdef");
});

// ── Re-rendering: what a change did not touch is the same object as before ───────────────────────────

const texts = (flows: readonly Flow[]) => flows.map((f) => formatFlow(f)).sort();

test("a port re-rendered after a rule is added: equal to a fresh render, only the new rule's flow is new", () => {
  const ssh = rule({ protocol: 6, port_range_min: 22, port_range_max: 22 });
  const web = ruleInfo(0x998, { protocol: 6, port_range_min: 80, port_range_max: 81 });
  const fromA = ruleInfo(0x997, {
    protocol: 6,
    port_range_min: 8080,
    port_range_max: 8080,
    remote_group_id: id(0xa),
  });
  const group = (rules: SecurityGroupRuleInfo[]): SecurityGroupInfo => ({
    group_id: id(0xaa),
    stateful: true,
    revision_number: 1,
    rules,
  });
  const port = { ofport: 5, lvid: 3, details: details() };
  const renders = new PortRenders();
  const before = firewallPort(port, [group([ssh, fromA])], renders);
  const after = firewallPort(port, [group([ssh, fromA, web])], renders);
  assert.deepEqual(texts(after), texts(firewallPort(port, [group([ssh, fromA, web])])), "as a fresh render");
  const old = new Set(before);
  const made = after.filter((f) => !old.has(f));
  assert.equal(made.length, 1, "one new flow: TCP 80-81 is one mask piece");
  assert.match(
    formatFlow(made[0]!),
    /table=82,priority=77,.*tcp_dst=0x50\/0xfffe,ct_state=0x20\/0x38,reg5=0x5 actions=goto_table:92/,
  );
  // Removing it again gives back the flows of the first render, by identity.
  const again = firewallPort(port, [group([ssh, fromA])], renders);
  assert.deepEqual(texts(again), texts(before));
  assert.ok(again.every((f) => before.includes(f)));
});

test("a port whose address changes is rendered anew; another port (another ofport) has its own render", () => {
  const ssh = rule({ protocol: 6, port_range_min: 22, port_range_max: 22 });
  const g: SecurityGroupInfo = { group_id: id(0xaa), stateful: true, revision_number: 1, rules: [ssh] };
  const renders = new PortRenders();
  const first = firewallPort({ ofport: 5, lvid: 3, details: details() }, [g], renders);
  const moved = details({ fixed_ips: [{ subnet_id: id(3), ip_address: "198.19.0.6" }] });
  const second = firewallPort({ ofport: 5, lvid: 3, details: moved }, [g], renders);
  assert.deepEqual(texts(second), texts(firewallPort({ ofport: 5, lvid: 3, details: moved }, [g])));
  assert.ok(
    texts(second).some((f) => f.includes("198.19.0.6")) &&
      !texts(second).some((f) => f.includes("198.19.0.5")),
  );
  // The same addresses in a new details object (the server sent the port again): the same flows.
  const resent = firewallPort({ ofport: 5, lvid: 3, details: { ...moved } }, [g], renders);
  assert.ok(resent.every((f) => second.includes(f)));
  // Another VLAN, or the group turned stateless: rendered anew.
  const otherVlan = firewallPort({ ofport: 5, lvid: 4, details: moved }, [g], renders);
  assert.deepEqual(texts(otherVlan), texts(firewallPort({ ofport: 5, lvid: 4, details: moved }, [g])));
  const stateless = firewallPort(
    { ofport: 5, lvid: 4, details: moved },
    [{ ...g, stateful: false }],
    renders,
  );
  assert.ok(!texts(stateless).some((f) => f.includes("ct_state")), "no conntrack when stateless");
  const other = firewallPort({ ofport: 6, lvid: 3, details: details() }, [g], renders);
  assert.deepEqual(texts(other), texts(firewallPort({ ofport: 6, lvid: 3, details: details() }, [g])));
  assert.equal(first.length, other.length);
});

test("members re-rendered after one joins: equal to a fresh render, only that member's flow is new", () => {
  const keyA = keyOf(rule({ remote_group_id: id(0xa) }))!;
  const keyB = keyOf(rule({ remote_group_id: id(0xb) }))!;
  const a = Array.from({ length: 50 }, (_, i) => ({ ip: `198.19.1.${i}`, mac: undefined }));
  const b = [{ ip: "198.19.1.7", mac: undefined }];
  const memos = new ClauseMemos();
  const before = conjunctionFlows([keyA, keyB], (r) => (r.id === id(0xa) ? a : b), memos);
  const joined = [...a, { ip: "198.19.2.1", mac: undefined }];
  const after = conjunctionFlows([keyA, keyB], (r) => (r.id === id(0xa) ? joined : b), memos);
  assert.deepEqual(
    texts(after),
    texts(conjunctionFlows([keyA, keyB], (r) => (r.id === id(0xa) ? joined : b))),
  );
  const made = after.filter((f) => !before.includes(f));
  assert.equal(made.length, 1);
  assert.match(formatFlow(made[0]!), /ip_src=198\.19\.2\.1 /);
  // 198.19.1.7 leaves B: its flow (two conjunctions) becomes a one-conjunction flow, equal to a fresh one.
  const left = conjunctionFlows([keyA, keyB], (r) => (r.id === id(0xa) ? joined : []), memos);
  assert.deepEqual(
    texts(left),
    texts(conjunctionFlows([keyA, keyB], (r) => (r.id === id(0xa) ? joined : []))),
  );
  const seven = left.filter((f) => formatFlow(f).includes("ip_src=198.19.1.7 "));
  assert.equal(seven.length, 1);
  assert.equal(seven[0]!.actions.length, 1);
});
