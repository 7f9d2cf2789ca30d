// Security groups on the agent channel (server-api-*.test.ts run it per backend): what an agent that runs
// the openvswitch firewall is sent — its ports' groups, rules as the firewall applies them, the members
// and address groups those rules name, and the events that keep them current, to the hosts that need
// them only — and that every other agent is sent none of it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { agentConfig, network, port, registerAgent, subnet } from "./api-suite.ts";
import { drain, first, kinds, streamFrom, untilMarker } from "./qos-agent-suite.ts";
import { type Backend, startServer, type TestServer } from "./server.ts";
import { group, rule } from "./sg-suite.ts";
import type { SseEvent, SseStream } from "./sse.ts";

const firewall = (ip: string) =>
  agentConfig({ tunneling_ip: ip, firewall_driver: "openvswitch", extensions: [] });

const SG_KINDS = new Set([
  "security_group.updated",
  "security_group.deleted",
  "group_members.set",
  "group_members.changed",
  "address_group.updated",
]);
const sgEvents = (events: readonly SseEvent[]) => events.filter((e) => SG_KINDS.has(e.event));

async function addressGroup(s: TestServer, addresses: string[]) {
  const r = await s.api("POST", "/v2.0/address-groups", { address_group: { name: "ag", addresses } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.address_group;
}

async function update(s: TestServer, portId: string, body: object) {
  const r = await s.api("PUT", `/v2.0/ports/${portId}`, { port: body });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.port;
}

interface Member {
  ip_address: string;
  mac_address: string;
}
const memberKey = (m: Member) => `${m.ip_address} ${m.mac_address}`;
const sortMembers = (members: readonly Member[]) =>
  [...members].sort((a, b) => (memberKey(a) < memberKey(b) ? -1 : memberKey(a) > memberKey(b) ? 1 : 0));
/** A port's addresses as a group member, from its API view: fixed IPs with its MAC, its address pairs. */
const membersOf = (p: any): Member[] =>
  sortMembers([
    ...p.fixed_ips.map((f: any) => ({ ip_address: f.ip_address, mac_address: p.mac_address })),
    ...p.allowed_address_pairs,
  ]);

const byId = <T extends { id: string }>(items: readonly T[]) =>
  [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
/** A section with each group's rules by id (rules made in the same second have no other order). */
const rulesById = (section: any) => ({
  ...section,
  groups: section.groups.map((g: any) => ({ ...g, rules: byId(g.rules) })),
});

function hasKey(value: unknown, key: string): boolean {
  if (Array.isArray(value)) return value.some((v) => hasKey(v, key));
  if (value === null || typeof value !== "object") return false;
  return Object.entries(value).some(([k, v]) => k === key || hasKey(v, key));
}

const anyRule = { protocol: null, port_range_min: null, port_range_max: null, remote_ip_prefix: null };
const noRemote = { remote_group_id: null, remote_address_group_id: null };

/** Streams of these hosts, each drained, so what follows is the next change's events only. */
async function streams(t: import("node:test").TestContext, s: TestServer, hosts: readonly string[]) {
  const open: Record<string, SseStream> = {};
  for (const host of hosts) open[host] = await streamFrom(t, s, host);
  return {
    /** Marks where each stream is, runs `change`, returns each host's events from it. */
    async around(change: () => Promise<unknown>): Promise<Record<string, SseEvent[]>> {
      const from: Record<string, number> = {};
      for (const host of hosts) from[host] = await drain(s, open[host]!);
      await change();
      const events: Record<string, SseEvent[]> = {};
      for (const host of hosts) events[host] = await untilMarker(s, open[host]!, from[host]!);
      return events;
    },
    all: (host: string) => open[host]!.events,
  };
}

/** Three firewall agents (fw1–fw3) and one that runs noop. */
async function registerFourAgents(s: TestServer): Promise<void> {
  for (const i of [1, 2, 3]) await registerAgent(s, `fw${i}`, firewall(`198.18.0.${i}`));
  await registerAgent(s, "noop", agentConfig({ tunneling_ip: "198.18.0.4", extensions: [] }));
}

export function defineSecurityGroupAgentSuite(backend: Backend): void {
  const b = backend.kind;

  test(`[${b}] a firewall agent's sync and details carry its ports' groups, rules as the firewall applies them, members and address groups; other agents get none of it`, async (t) => {
    const s = await startServer(t, backend);
    await registerAgent(s, "fw1", firewall("198.18.0.1"));
    await registerAgent(s, "noop", agentConfig({ tunneling_ip: "198.18.0.2", extensions: [] }));
    // Runs the openvswitch firewall but speaks the first protocol (no extensions): nothing new for it.
    await registerAgent(s, "v1", agentConfig({ tunneling_ip: "198.18.0.3", firewall_driver: "openvswitch" }));
    const n = await network(s);
    await subnet(s, n.id, "198.19.110.0/24");
    const ag = await addressGroup(s, ["10.9.0.0/16", "10.8.1.5/32"]);
    const web = await group(s, { name: "web" });
    const peers = await group(s, { name: "peers" });
    const ssh = await rule(s, web.id, {
      protocol: "tcp",
      port_range_min: 22,
      port_range_max: 22,
      remote_ip_prefix: "10.0.0.34/24",
    });
    const http = await rule(s, web.id, {
      protocol: "6",
      port_range_min: 80,
      port_range_max: 80,
      remote_ip_prefix: "0.0.0.0/0",
    });
    const fromPeers = await rule(s, web.id, { remote_group_id: peers.id });
    const dns = await rule(s, web.id, {
      protocol: "udp",
      port_range_min: 53,
      port_range_max: 53,
      remote_address_group_id: ag.id,
    });
    const ping6 = await rule(s, web.id, {
      ethertype: "IPv6",
      protocol: "icmp",
      port_range_min: 128,
      port_range_max: 0,
      remote_ip_prefix: "::/0",
    });
    const pw = await port(s, n.id, { "binding:host_id": "fw1", security_groups: [web.id] });
    const open = await port(s, n.id, { "binding:host_id": "fw1", port_security_enabled: false });
    // Members of the remote group: unbound or on another host, with their address pairs.
    const pa = await port(s, n.id, {
      security_groups: [peers.id],
      allowed_address_pairs: [
        { ip_address: "198.19.111.0/24" },
        { ip_address: "198.19.110.250", mac_address: "fa:16:3e:00:00:99" },
      ],
    });
    const pb = await port(s, n.id, { "binding:host_id": "noop", security_groups: [peers.id] });
    const pNoop = await port(s, n.id, { "binding:host_id": "noop", security_groups: [web.id] });
    const pV1 = await port(s, n.id, { "binding:host_id": "v1", security_groups: [web.id] });

    const templates = web.security_group_rules.map((r: any) => ({
      id: r.id,
      direction: "egress",
      ethertype: r.ethertype,
      ...anyRule,
      ...noRemote,
    }));
    assert.equal(templates.length, 2);
    const revision = (await s.api("GET", `/v2.0/security-groups/${web.id}`)).body.security_group
      .revision_number;
    const expected = {
      groups: [
        {
          group_id: web.id,
          stateful: true,
          revision_number: revision,
          rules: byId([
            ...templates,
            {
              id: ssh.id,
              direction: "ingress",
              ethertype: "IPv4",
              protocol: 6,
              port_range_min: 22,
              port_range_max: 22,
              remote_ip_prefix: "10.0.0.0/24",
              ...noRemote,
            },
            {
              id: http.id,
              direction: "ingress",
              ethertype: "IPv4",
              protocol: 6,
              port_range_min: 80,
              port_range_max: 80,
              remote_ip_prefix: null,
              ...noRemote,
            },
            {
              id: fromPeers.id,
              direction: "ingress",
              ethertype: "IPv4",
              ...anyRule,
              remote_group_id: peers.id,
              remote_address_group_id: null,
            },
            {
              id: dns.id,
              direction: "ingress",
              ethertype: "IPv4",
              protocol: 17,
              port_range_min: 53,
              port_range_max: 53,
              remote_ip_prefix: null,
              remote_group_id: null,
              remote_address_group_id: ag.id,
            },
            {
              id: ping6.id,
              direction: "ingress",
              ethertype: "IPv6",
              protocol: 58,
              port_range_min: 128,
              port_range_max: 0,
              remote_ip_prefix: null,
              ...noRemote,
            },
          ]),
        },
      ],
      members: [{ group_id: peers.id, members: sortMembers([...membersOf(pa), ...membersOf(pb)]) }],
      address_groups: [{ address_group_id: ag.id, addresses: ["10.8.1.5/32", "10.9.0.0/16"] }],
    };
    assert.equal(expected.members[0]!.members.length, 4, "pa's fixed IP and two pairs, pb's fixed IP");

    const sync = (await s.api("POST", "/agent/v1/sync", { host: "fw1" })).body;
    assert.deepEqual(
      Object.fromEntries(sync.ports.map((p: any) => [p.port_id, p.security_groups])),
      { [pw.id]: [web.id], [open.id]: [] },
      "each port's groups; none with port security off",
    );
    assert.deepEqual(rulesById(sync.security_groups), expected);
    const details = (await s.api("POST", "/agent/v1/devices/details", { host: "fw1", devices: [pw.id] }))
      .body;
    assert.deepEqual(details.devices[0].security_groups, [web.id]);
    assert.deepEqual(rulesById(details.security_groups), expected);
    const openDetails = (
      await s.api("POST", "/agent/v1/devices/details", { host: "fw1", devices: [open.id] })
    ).body;
    assert.deepEqual(
      [openDetails.devices[0].security_groups, openDetails.security_groups],
      [[], { groups: [], members: [], address_groups: [] }],
    );

    // The noop agent and the first-protocol agent: the same ports, nothing of security groups.
    for (const [host, own] of [
      ["noop", [pb.id, pNoop.id]],
      ["v1", [pV1.id]],
    ] as const) {
      const theirSync = (await s.api("POST", "/agent/v1/sync", { host })).body;
      assert.deepEqual(theirSync.ports.map((p: any) => p.port_id).sort(), [...own].sort());
      assert.equal(hasKey(theirSync, "security_groups"), false, `${host}: ${JSON.stringify(theirSync)}`);
      const theirDetails = (await s.api("POST", "/agent/v1/devices/details", { host, devices: [...own] }))
        .body;
      assert.equal(theirDetails.devices.length, own.length);
      assert.equal(
        hasKey(theirDetails, "security_groups"),
        false,
        `${host}: ${JSON.stringify(theirDetails)}`,
      );
    }
    first.SyncResponse.parse((await s.api("POST", "/agent/v1/sync", { host: "v1" })).body);
    first.DeviceDetailsResponse.parse(
      (await s.api("POST", "/agent/v1/devices/details", { host: "v1", devices: [pV1.id] })).body,
    );
  });

  test(`[${b}] rule changes reach the firewall hosts with ports in the group, with the remotes new rules name; a deleted group reaches every firewall agent`, async (t) => {
    const s = await startServer(t, backend);
    await registerFourAgents(s);
    const n = await network(s);
    await subnet(s, n.id, "198.19.120.0/24");
    const web = await group(s, { name: "web" });
    const other = await group(s, { name: "other" });
    const peers = await group(s, { name: "peers" });
    const gone = await group(s, { name: "gone" });
    const ag = await addressGroup(s, ["10.30.0.0/16"]);
    const toGone = await rule(s, web.id, { protocol: "tcp", remote_group_id: gone.id });
    await port(s, n.id, { "binding:host_id": "fw1", security_groups: [web.id] });
    await port(s, n.id, { "binding:host_id": "fw2", security_groups: [other.id] });
    await port(s, n.id, { "binding:host_id": "noop", security_groups: [web.id] });
    const member = await port(s, n.id, { security_groups: [peers.id] });
    const hosts = ["fw1", "fw2", "fw3", "noop"];
    const st = await streams(t, s, hosts);
    const nothingElse = (events: Record<string, SseEvent[]>, except: string[]) => {
      for (const host of hosts.filter((h) => !except.includes(h)))
        assert.deepEqual(kinds(events[host]!), [], `${host} hears nothing`);
    };
    const ruleIds = (event: SseEvent) => event.data.event.group.rules.map((r: any) => r.id);

    let https: any;
    let events = await st.around(async () => {
      https = await rule(s, web.id, { protocol: "tcp", port_range_min: 443, port_range_max: 443 });
    });
    assert.deepEqual(kinds(events.fw1!), ["security_group.updated"]);
    assert.equal(events.fw1![0]!.data.event.group.group_id, web.id);
    assert.ok(ruleIds(events.fw1![0]!).includes(https.id));
    nothingElse(events, ["fw1"]);

    // Rules naming a remote group and an address group (in bulk): those first, then the group.
    events = await st.around(async () => {
      const r = await s.api("POST", "/v2.0/security-group-rules", {
        security_group_rules: [
          { security_group_id: web.id, direction: "ingress", protocol: "udp", remote_group_id: peers.id },
          {
            security_group_id: web.id,
            direction: "ingress",
            protocol: "icmp",
            remote_address_group_id: ag.id,
          },
        ],
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    });
    assert.deepEqual(kinds(events.fw1!), [
      "group_members.set",
      "address_group.updated",
      "security_group.updated",
    ]);
    assert.deepEqual(events.fw1![0]!.data.event, {
      kind: "group_members.set",
      group_id: peers.id,
      members: membersOf(member),
    });
    assert.deepEqual(events.fw1![1]!.data.event.address_group, {
      address_group_id: ag.id,
      addresses: ["10.30.0.0/16"],
    });
    assert.equal(ruleIds(events.fw1![2]!).length, 6, "two templates, two rules before, two new");
    nothingElse(events, ["fw1"]);

    // Another rule naming the same remote: the host holds its members already.
    events = await st.around(() => rule(s, web.id, { protocol: "tcp", remote_group_id: peers.id }));
    assert.deepEqual(kinds(events.fw1!), ["security_group.updated"]);
    nothingElse(events, ["fw1"]);

    events = await st.around(async () => {
      assert.equal((await s.api("DELETE", `/v2.0/security-group-rules/${https.id}`)).status, 204);
    });
    assert.deepEqual(kinds(events.fw1!), ["security_group.updated"]);
    assert.equal(ruleIds(events.fw1![0]!).includes(https.id), false);
    nothingElse(events, ["fw1"]);

    // A group named as a remote is deleted: the rules naming it go, and every firewall agent forgets it.
    events = await st.around(async () => {
      assert.equal((await s.api("DELETE", `/v2.0/security-groups/${gone.id}`)).status, 204);
    });
    assert.deepEqual(kinds(events.fw1!), ["security_group.updated", "security_group.deleted"]);
    assert.equal(events.fw1![0]!.data.event.group.group_id, web.id);
    assert.equal(ruleIds(events.fw1![0]!).includes(toGone.id), false);
    for (const host of ["fw1", "fw2", "fw3"])
      assert.deepEqual(events[host]!.at(-1)!.data.event, {
        kind: "security_group.deleted",
        group_id: gone.id,
      });
    for (const host of ["fw2", "fw3"]) assert.deepEqual(kinds(events[host]!), ["security_group.deleted"]);
    assert.deepEqual(kinds(events.noop!), []);
    assert.deepEqual(sgEvents(st.all("noop")), [], "the noop agent heard nothing of security groups");
  });

  test(`[${b}] a port joining, changing in or leaving a remote group: exactly its added and removed addresses, to the firewall hosts holding the group only`, async (t) => {
    const s = await startServer(t, backend);
    for (const [host, ip] of [
      ["fw1", "198.18.0.1"],
      ["fw2", "198.18.0.2"],
      ["fw3", "198.18.0.3"],
    ] as const)
      await registerAgent(s, host, firewall(ip));
    await registerAgent(s, "noop", agentConfig({ tunneling_ip: "198.18.0.4", extensions: [] }));
    const n = await network(s);
    const sub = await subnet(s, n.id, "198.19.130.0/24");
    const web = await group(s, { name: "web" });
    const peers = await group(s, { name: "peers" });
    const other = await group(s, { name: "other" });
    await rule(s, web.id, { protocol: "tcp", remote_group_id: peers.id });
    await port(s, n.id, { "binding:host_id": "fw1", security_groups: [web.id] }); // fw1 holds peers
    await port(s, n.id, { "binding:host_id": "fw2", security_groups: [peers.id] }); // a member, not a holder
    await port(s, n.id, { "binding:host_id": "fw3", security_groups: [other.id] });
    await port(s, n.id, { "binding:host_id": "noop", security_groups: [web.id] }); // holds it, no firewall
    const hosts = ["fw1", "fw2", "fw3", "noop"];
    const st = await streams(t, s, hosts);
    const VIP = { ip_address: "198.19.130.100", mac_address: "fa:16:3e:00:00:aa" };
    /** The one event fw1 got (and nobody else anything), as {added, removed}. */
    const changeOf = (events: Record<string, SseEvent[]>) => {
      for (const host of ["fw2", "fw3", "noop"]) assert.deepEqual(kinds(events[host]!), [], host);
      assert.deepEqual(kinds(events.fw1!), ["group_members.changed"]);
      const { kind: _, group_id, ...change } = events.fw1![0]!.data.event;
      assert.equal(group_id, peers.id);
      return change;
    };

    let pj: any;
    let events = await st.around(async () => {
      pj = await port(s, n.id, {
        security_groups: [peers.id],
        allowed_address_pairs: [{ ip_address: "198.19.131.10" }],
      });
    });
    assert.equal(membersOf(pj).length, 2);
    assert.deepEqual(changeOf(events), { added: membersOf(pj), removed: [] });
    const fixed = { ip_address: pj.fixed_ips[0].ip_address, mac_address: pj.mac_address };
    const pair = (ip: string) => ({ ip_address: ip, mac_address: pj.mac_address });

    events = await st.around(() =>
      update(s, pj.id, { allowed_address_pairs: [{ ip_address: "198.19.131.11" }] }),
    );
    assert.deepEqual(changeOf(events), { added: [pair("198.19.131.11")], removed: [pair("198.19.131.10")] });

    events = await st.around(() =>
      update(s, pj.id, { fixed_ips: [{ subnet_id: sub.id, ip_address: "198.19.130.77" }] }),
    );
    assert.deepEqual(changeOf(events), { added: [pair("198.19.130.77")], removed: [fixed] });

    events = await st.around(() => update(s, pj.id, { name: "renamed" }));
    for (const host of hosts)
      assert.deepEqual(kinds(events[host]!), [], `${host}: a rename changes no member`);

    events = await st.around(() => update(s, pj.id, { security_groups: [other.id] }));
    const now = sortMembers([pair("198.19.130.77"), pair("198.19.131.11")]);
    assert.deepEqual(changeOf(events), { added: [], removed: now });
    events = await st.around(() => update(s, pj.id, { security_groups: [peers.id] }));
    assert.deepEqual(changeOf(events), { added: now, removed: [] });

    // Two VRRP peers share a virtual address and MAC: it stays a member while either has it.
    events = await st.around(() =>
      update(s, pj.id, { allowed_address_pairs: [{ ip_address: "198.19.131.11" }, VIP] }),
    );
    assert.deepEqual(changeOf(events), { added: [VIP], removed: [] });
    let pk: any;
    events = await st.around(async () => {
      pk = await port(s, n.id, { security_groups: [peers.id], allowed_address_pairs: [VIP] });
    });
    assert.deepEqual(changeOf(events), { added: membersOf(pk), removed: [] });
    events = await st.around(async () => {
      assert.equal((await s.api("DELETE", `/v2.0/ports/${pk.id}`)).status, 204);
    });
    const pkOwn = { ip_address: pk.fixed_ips[0].ip_address, mac_address: pk.mac_address };
    assert.deepEqual(changeOf(events), { added: [], removed: [pkOwn] }, "the VIP stays: pj has it");
    events = await st.around(async () => {
      assert.equal((await s.api("DELETE", `/v2.0/ports/${pj.id}`)).status, 204);
    });
    assert.deepEqual(changeOf(events), { added: [], removed: sortMembers([...now, VIP]) });
  });

  test(`[${b}] a port new to a firewall host brings its groups, their members and address groups before its port.updated, once per host`, async (t) => {
    const s = await startServer(t, backend);
    await registerFourAgents(s);
    const n = await network(s);
    await subnet(s, n.id, "198.19.140.0/24");
    const web = await group(s, { name: "web" });
    const peers = await group(s, { name: "peers" });
    const other = await group(s, { name: "other" });
    const ag = await addressGroup(s, ["10.40.0.0/16"]);
    await rule(s, web.id, { protocol: "tcp", remote_group_id: peers.id });
    await rule(s, web.id, { protocol: "udp", remote_address_group_id: ag.id });
    await rule(s, other.id, { protocol: "udp", remote_group_id: peers.id });
    const member = await port(s, n.id, { security_groups: [peers.id] });
    const st = await streams(t, s, ["fw1", "fw2", "fw3", "noop"]);

    let p1: any;
    let events = await st.around(async () => {
      p1 = await port(s, n.id, { "binding:host_id": "fw1", security_groups: [web.id] });
    });
    assert.deepEqual(kinds(events.fw1!), [
      "group_members.set",
      "address_group.updated",
      "security_group.updated",
      "port.updated",
      "fdb.updated",
      "endpoints.changed",
    ]);
    const [set, address, updated, portUpdated] = events.fw1!.map((e) => e.data.event);
    assert.deepEqual(set, { kind: "group_members.set", group_id: peers.id, members: membersOf(member) });
    assert.deepEqual(address.address_group, { address_group_id: ag.id, addresses: ["10.40.0.0/16"] });
    assert.equal(updated.group.group_id, web.id);
    assert.deepEqual([portUpdated.port.port_id, portUpdated.port.security_groups], [p1.id, [web.id]]);
    assert.deepEqual(sgEvents(events.fw2!), [], "fw2 has no port in web");

    // Another port in the same group on the same host: the host holds it all.
    let p2: any;
    events = await st.around(async () => {
      p2 = await port(s, n.id, { "binding:host_id": "fw1", security_groups: [web.id] });
    });
    assert.deepEqual(kinds(events.fw1!), ["port.updated", "fdb.updated"]);
    events = await st.around(() =>
      s.api("POST", "/agent/v1/devices/status", { host: "fw1", up: [p1.id], down: [] }),
    );
    assert.deepEqual(kinds(events.fw1!), ["port.updated"]);
    assert.deepEqual(events.fw1![0]!.data.event.port.security_groups, [web.id]);

    // A group added to a port: that group alone (the host holds the members its rule names), then the port.
    events = await st.around(() => update(s, p2.id, { security_groups: [web.id, other.id] }));
    assert.deepEqual(kinds(events.fw1!), ["security_group.updated", "port.updated"]);
    assert.equal(events.fw1![0]!.data.event.group.group_id, other.id);
    assert.deepEqual(events.fw1![1]!.data.event.port.security_groups, [web.id, other.id].sort());

    // The same on a host where that port is the only one: it held the members through the port's groups.
    const q3 = await port(s, n.id, { "binding:host_id": "fw3", security_groups: [web.id] });
    events = await st.around(() => update(s, q3.id, { security_groups: [web.id, other.id] }));
    assert.deepEqual(kinds(events.fw3!), ["security_group.updated", "port.updated"]);
    assert.equal(events.fw3![0]!.data.event.group.group_id, other.id);

    // Moved to another firewall host: that host gets all of it, its groups in id order.
    events = await st.around(() => update(s, p2.id, { "binding:host_id": "fw2" }));
    const before = events.fw2!.slice(
      0,
      events.fw2!.findIndex((e) => e.event === "port.updated"),
    );
    assert.deepEqual(kinds(before), [
      "group_members.set",
      "address_group.updated",
      "security_group.updated",
      "security_group.updated",
    ]);
    assert.deepEqual(
      before.slice(2).map((e) => e.data.event.group.group_id),
      [web.id, other.id].sort(),
    );
    assert.deepEqual(sgEvents(events.fw1!), [], "the host it left is told nothing of groups");

    // A non-firewall host: the port, nothing of groups.
    events = await st.around(() => port(s, n.id, { "binding:host_id": "noop", security_groups: [web.id] }));
    const noopPort = events.noop!.find((e) => e.event === "port.updated")!;
    assert.equal("security_groups" in noopPort.data.event.port, false);
    assert.deepEqual(sgEvents(st.all("noop")), []);

    // The default group names itself: hosts holding it hear a new member; the new port's host, new to
    // the group, gets the full list instead.
    const def = (await s.api("GET", "/v2.0/security-groups?name=default")).body.security_groups[0];
    const d1 = await port(s, n.id, { "binding:host_id": "fw1" });
    const d2 = await port(s, n.id, { "binding:host_id": "fw2" });
    assert.deepEqual([d1.security_groups, d2.security_groups], [[def.id], [def.id]]);
    let d3: any;
    events = await st.around(async () => {
      d3 = await port(s, n.id, { "binding:host_id": "fw3" });
    });
    for (const host of ["fw1", "fw2"])
      assert.deepEqual(
        sgEvents(events[host]!).map((e) => e.data.event),
        [{ kind: "group_members.changed", group_id: def.id, added: membersOf(d3), removed: [] }],
      );
    assert.deepEqual(kinds(sgEvents(events.fw3!)), ["group_members.set", "security_group.updated"]);
    assert.deepEqual(
      sgEvents(events.fw3!)[0]!.data.event.members,
      sortMembers([d1, d2, d3].flatMap(membersOf)),
    );
  });

  test(`[${b}] address-group changes reach the firewall hosts whose ports' rules name it`, async (t) => {
    const s = await startServer(t, backend);
    await registerFourAgents(s);
    const n = await network(s);
    await subnet(s, n.id, "198.19.150.0/24");
    const web = await group(s, { name: "web" });
    const other = await group(s, { name: "other" });
    const ag = await addressGroup(s, ["10.50.0.0/16"]);
    const unused = await addressGroup(s, ["10.60.0.0/16"]);
    await rule(s, web.id, { protocol: "tcp", remote_address_group_id: ag.id });
    await port(s, n.id, { "binding:host_id": "fw1", security_groups: [web.id] });
    await port(s, n.id, { "binding:host_id": "fw2", security_groups: [other.id] });
    await port(s, n.id, { "binding:host_id": "noop", security_groups: [web.id] });
    const hosts = ["fw1", "fw2", "fw3", "noop"];
    const st = await streams(t, s, hosts);
    const change = (id: string, action: string, addresses: string[]) => async () => {
      const r = await s.api("PUT", `/v2.0/address-groups/${id}/${action}`, { addresses });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    };

    let events = await st.around(change(ag.id, "add_addresses", ["10.1.2.3/8"]));
    assert.deepEqual(
      events.fw1!.map((e) => e.data.event),
      [
        {
          kind: "address_group.updated",
          address_group: { address_group_id: ag.id, addresses: ["10.0.0.0/8", "10.50.0.0/16"] },
        },
      ],
    );
    for (const host of ["fw2", "fw3", "noop"]) assert.deepEqual(kinds(events[host]!), [], host);

    events = await st.around(change(ag.id, "remove_addresses", ["10.50.0.0/16"]));
    assert.deepEqual(
      events.fw1!.map((e) => e.data.event),
      [
        {
          kind: "address_group.updated",
          address_group: { address_group_id: ag.id, addresses: ["10.0.0.0/8"] },
        },
      ],
    );
    for (const host of ["fw2", "fw3", "noop"]) assert.deepEqual(kinds(events[host]!), [], host);

    events = await st.around(change(unused.id, "add_addresses", ["10.61.0.0/16"]));
    for (const host of hosts) assert.deepEqual(kinds(events[host]!), [], `${host}: no rule names it`);
  });
}
