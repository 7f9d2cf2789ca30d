// QoS on the agent channel, and what each kind of agent is sent (server-api-*.test.ts run it per backend):
// an agent of the first protocol (no `extensions` in its report) must get exactly the first protocol's
// shapes — checked against a frozen copy of that protocol's strict schemas — and a qos agent the policies.
import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { agentConfig, network, port, registerAgent, subnet } from "./api-suite.ts";
import { policy, rule } from "./qos-suite.ts";
import { type Backend, startServer, type TestServer } from "./server.ts";
import { openSse, type SseEvent, type SseStream } from "./sse.ts";

// The first protocol (commit 34b3916, src/protocol/agent-messages.ts and events.ts), frozen: every object
// strict, as its agents parse what they are sent. Do not update this copy when the protocol evolves.
export const first = (() => {
  const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const host = z.string().min(1).max(255);
  const ipAddress = z.string().min(2).max(45);
  const NetworkType = z.enum(["flat", "vlan", "vxlan", "gre", "geneve"]);
  const FixedIp = z.object({ subnet_id: uuid, ip_address: ipAddress }).strict();
  const DeviceDetails = z
    .object({
      port_id: uuid,
      network_id: uuid,
      network_type: NetworkType,
      physical_network: z.string().nullable(),
      segmentation_id: z.number().int().nullable(),
      mtu: z.number().int(),
      mac_address: z.string(),
      fixed_ips: z.array(FixedIp),
      admin_state_up: z.boolean(),
      network_admin_state_up: z.boolean(),
      port_security_enabled: z.boolean(),
      allowed_address_pairs: z.array(z.object({ ip_address: z.string(), mac_address: z.string() }).strict()),
      device_owner: z.string(),
      device_id: z.string(),
      host,
      status: z.enum(["ACTIVE", "DOWN", "BUILD", "ERROR"]),
      vif_type: z.string(),
      revision_number: z.number().int(),
    })
    .strict();
  const DeviceDetailsResponse = z
    .object({
      devices: z.array(DeviceDetails),
      failed: z.array(z.object({ port_id: z.string(), reason: z.string() }).strict()),
    })
    .strict();
  const NetworkInfo = z
    .object({
      network_id: uuid,
      network_type: NetworkType,
      physical_network: z.string().nullable(),
      segmentation_id: z.number().int().nullable(),
      mtu: z.number().int(),
      admin_state_up: z.boolean(),
    })
    .strict();
  const Endpoint = z.object({ host, tunneling_ip: ipAddress.nullable() }).strict();
  const NetworkEndpoints = z.object({ network_id: uuid, endpoints: z.array(Endpoint) }).strict();
  const FdbEntry = z
    .object({
      port_id: uuid,
      network_id: uuid,
      host,
      mac_address: z.string(),
      ip_addresses: z.array(ipAddress),
    })
    .strict();
  const SyncResponse = z
    .object({
      revision: z.number().int().min(0),
      ports: z.array(DeviceDetails),
      networks: z.array(NetworkInfo),
      endpoints: z.array(NetworkEndpoints),
      fdb: z.array(FdbEntry),
    })
    .strict();
  const gone = { port_id: z.string(), network_id: z.string(), host: z.string() };
  const EventPayload = z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("port.updated"), port: DeviceDetails }).strict(),
    z.object({ kind: z.literal("port.deleted"), ...gone }).strict(),
    z.object({ kind: z.literal("port.unbound"), ...gone }).strict(),
    z.object({ kind: z.literal("network.updated"), network: NetworkInfo }).strict(),
    z.object({ kind: z.literal("network.deleted"), network_id: z.string() }).strict(),
    z.object({ kind: z.literal("endpoints.changed"), endpoints: NetworkEndpoints }).strict(),
    z.object({ kind: z.literal("fdb.updated"), entry: FdbEntry }).strict(),
    z.object({ kind: z.literal("fdb.removed"), port_id: z.string(), network_id: z.string() }).strict(),
  ]);
  const StreamEvent = z.object({ revision: z.number().int().positive(), event: EventPayload }).strict();
  return { DeviceDetailsResponse, SyncResponse, StreamEvent };
})();

const qosConfig = (ip: string) => agentConfig({ tunneling_ip: ip, extensions: ["qos"] });

export async function streamFrom(t: import("node:test").TestContext, s: TestServer, host: string) {
  const stream = openSse(`${s.url}/agent/v1/stream?host=${host}&since=${await s.store.currentRevision()}`);
  t.after(() => stream.close());
  return stream;
}

/**
 * Everything the stream delivers up to a marker: a network created now (network.updated goes to every
 * agent), so "nothing else came" is known rather than waited for.
 */
export async function untilMarker(s: TestServer, stream: SseStream, from: number): Promise<SseEvent[]> {
  const marker = await network(s, { name: "marker" });
  markers.add(marker.id);
  for (let i = 0; i < 100; i++) {
    const at = stream.events.findIndex(
      (e, index) =>
        index >= from && e.event === "network.updated" && e.data.event.network.network_id === marker.id,
    );
    if (at >= 0) return stream.events.slice(from, at).filter((e) => !isMarker(e));
    await stream.waitFor(stream.events.length + 1);
  }
  throw new Error("the marker did not arrive");
}

/** Waits until everything committed so far has reached the stream; returns where the next event will be. */
export async function drain(s: TestServer, stream: SseStream): Promise<number> {
  await untilMarker(s, stream, 0);
  return stream.events.length;
}

/** Marker networks made so far (other streams' markers reach every agent too). */
const markers = new Set<string>();
const isMarker = (e: SseEvent) =>
  e.event === "network.updated" && markers.has(e.data.event.network.network_id);

export const kinds = (events: readonly SseEvent[]) => events.map((e) => e.event);

export function defineQosAgentSuite(backend: Backend): void {
  const b = backend.kind;

  test(`[${b}] a first-protocol agent gets the first protocol's shapes and no QoS; a qos agent gets policies`, async (t) => {
    const s = await startServer(t, backend);
    await registerAgent(s, "v1", agentConfig({ tunneling_ip: "198.18.0.1" }));
    await registerAgent(s, "q1", qosConfig("198.18.0.2"));
    await registerAgent(s, "none", agentConfig({ tunneling_ip: "198.18.0.3", extensions: [] }));
    const pol = await policy(s, { name: "limit" });
    const limit = await rule(s, pol.id, "bandwidth_limit", { max_kbps: 10000, max_burst_kbps: 1000 });
    const mark = await rule(s, pol.id, "dscp_marking", { dscp_mark: 26 });
    const n = await network(s, { qos_policy_id: pol.id });
    await subnet(s, n.id, "198.19.100.0/24");
    const streams = {
      v1: await streamFrom(t, s, "v1"),
      q1: await streamFrom(t, s, "q1"),
      none: await streamFrom(t, s, "none"),
    };
    const onV1 = await port(s, n.id, { "binding:host_id": "v1" });
    const onQ1 = await port(s, n.id, { "binding:host_id": "q1" });
    const onNone = await port(s, n.id, { "binding:host_id": "none" });
    const dhcp = await port(s, n.id, { "binding:host_id": "q1", device_owner: "network:dhcp" });
    const gateway = await port(s, n.id, { "binding:host_id": "q1", device_owner: "network:router_gateway" });

    const expectedPolicy = {
      policy_id: pol.id,
      revision_number: 3,
      rules: [
        { type: "bandwidth_limit", id: limit.id, max_kbps: 10000, max_burst_kbps: 1000, direction: "egress" },
        { type: "dscp_marking", id: mark.id, dscp_mark: 26 },
      ],
    };
    for (const host of ["v1", "none"] as const) {
      const sync = await s.api("POST", "/agent/v1/sync", { host });
      first.SyncResponse.parse(sync.body);
      assert.equal(sync.body.ports.length, 1);
      const details = await s.api("POST", "/agent/v1/devices/details", {
        host,
        devices: [host === "v1" ? onV1.id : onNone.id, onQ1.id],
      });
      first.DeviceDetailsResponse.parse(details.body);
      assert.equal(details.body.failed.length, 1);
    }
    const sync = (await s.api("POST", "/agent/v1/sync", { host: "q1" })).body;
    assert.deepEqual(
      Object.fromEntries(sync.ports.map((p: any) => [p.port_id, p.qos_policy_id])),
      { [onQ1.id]: pol.id, [dhcp.id]: null, [gateway.id]: pol.id },
      "the network's policy applies to VM ports and router gateways, not to DHCP ports",
    );
    assert.deepEqual(sync.qos, { policies: [expectedPolicy] });
    const details = (await s.api("POST", "/agent/v1/devices/details", { host: "q1", devices: [dhcp.id] }))
      .body;
    assert.deepEqual([details.devices[0].qos_policy_id, details.qos], [null, { policies: [] }]);

    // Rules change: the qos agent enforcing the policy hears it; the others hear nothing of it.
    const from = {
      v1: await drain(s, streams.v1),
      q1: await drain(s, streams.q1),
      none: await drain(s, streams.none),
    };
    await s.api("PUT", `/v2.0/qos/policies/${pol.id}/dscp_marking_rules/${mark.id}`, {
      dscp_marking_rule: { dscp_mark: 46 },
    });
    const q1Events = await untilMarker(s, streams.q1, from.q1);
    assert.deepEqual(kinds(q1Events), ["qos.policy.updated"]);
    assert.deepEqual(q1Events[0]!.data.event.policy, {
      ...expectedPolicy,
      revision_number: 4,
      rules: [expectedPolicy.rules[0], { type: "dscp_marking", id: mark.id, dscp_mark: 46 }],
    });
    for (const host of ["v1", "none"] as const) {
      const events = await untilMarker(s, streams[host], from[host]);
      assert.deepEqual(kinds(events), [], `${host} hears nothing of QoS`);
    }
    // Every event a first-protocol agent got parses with the first protocol's strict schemas.
    for (const host of ["v1", "none"] as const) {
      assert.ok(streams[host].events.length > 5);
      for (const event of streams[host].events) first.StreamEvent.parse(event.data);
    }
    for (const event of streams.q1.events.filter((e) => e.event === "port.updated"))
      assert.ok("qos_policy_id" in event.data.event.port);
  });

  test(`[${b}] a qos agent hears a policy before the port that uses it, and port.updated when its network's policy changes`, async (t) => {
    const s = await startServer(t, backend);
    await registerAgent(s, "q1", qosConfig("198.18.0.2"));
    await registerAgent(s, "v1", agentConfig({ tunneling_ip: "198.18.0.1" }));
    const a = await policy(s, { name: "a" });
    await rule(s, a.id, "bandwidth_limit", { max_kbps: 1000 });
    const bPol = await policy(s, { name: "b" });
    await rule(s, bPol.id, "dscp_marking", { dscp_mark: 10 });
    const n = await network(s, { qos_policy_id: a.id });
    const q1 = await streamFrom(t, s, "q1");
    const v1 = await streamFrom(t, s, "v1");

    // Two ports in one create each: the policy comes first, then the port naming it.
    const p1 = await port(s, n.id, { "binding:host_id": "q1" });
    const created = await untilMarker(s, q1, 0);
    assert.deepEqual(kinds(created), [
      "qos.policy.updated",
      "port.updated",
      "fdb.updated",
      "endpoints.changed",
    ]);
    assert.equal(created[0]!.data.event.policy.policy_id, a.id);
    assert.equal(created[1]!.data.event.port.qos_policy_id, a.id);
    assert.ok(Number(created[0]!.id) < Number(created[1]!.id));

    // A status change of a port whose policy the host holds: no policy event, and no fdb.updated anywhere.
    let at = await drain(s, q1);
    const atV1 = await drain(s, v1);
    await s.api("POST", "/agent/v1/devices/status", { host: "q1", up: [p1.id], down: [] });
    assert.deepEqual(kinds(await untilMarker(s, q1, at)), ["port.updated"]);
    assert.deepEqual(
      kinds(await untilMarker(s, v1, atV1)),
      [],
      "the other host hears nothing of a status change",
    );

    // The network's policy changes: the port's effective policy does; the host gets the new policy, then the port.
    at = await drain(s, q1);
    const v1At = await drain(s, v1);
    await s.api("PUT", `/v2.0/networks/${n.id}`, { network: { qos_policy_id: bPol.id } });
    const changed = await untilMarker(s, q1, at);
    assert.deepEqual(kinds(changed), ["network.updated", "qos.policy.updated", "port.updated"]);
    assert.equal(changed[1]!.data.event.policy.policy_id, bPol.id);
    assert.deepEqual(
      [changed[2]!.data.event.port.port_id, changed[2]!.data.event.port.qos_policy_id],
      [p1.id, bPol.id],
    );
    assert.deepEqual(kinds(await untilMarker(s, v1, v1At)), ["network.updated"]);

    // A port policy of its own overrides the network's; detaching it falls back to the network's.
    at = await drain(s, q1);
    await s.api("PUT", `/v2.0/ports/${p1.id}`, { port: { qos_policy_id: a.id } });
    await s.api("PUT", `/v2.0/ports/${p1.id}`, { port: { qos_policy_id: null } });
    const own = await untilMarker(s, q1, at);
    // Each change names a policy the host may not hold any more, so each brings it along.
    assert.deepEqual(kinds(own), [
      "qos.policy.updated",
      "port.updated",
      "qos.policy.updated",
      "port.updated",
    ]);
    assert.deepEqual(
      own.map((e) => e.data.event.policy?.policy_id ?? e.data.event.port.qos_policy_id),
      [a.id, a.id, bPol.id, bPol.id],
    );
    // Rules of a policy nobody here uses any more: q1 hears nothing.
    at = await drain(s, q1);
    await rule(s, a.id, "dscp_marking", { dscp_mark: 8 });
    assert.deepEqual(kinds(await untilMarker(s, q1, at)), []);
    // A policy deleted: every qos agent is told to forget it.
    at = await drain(s, q1);
    assert.equal((await s.api("DELETE", `/v2.0/qos/policies/${a.id}`)).status, 204);
    const deleted = await untilMarker(s, q1, at);
    assert.deepEqual(kinds(deleted), ["qos.policy.deleted"]);
    assert.equal(deleted[0]!.data.event.policy_id, a.id);
    for (const event of v1.events) first.StreamEvent.parse(event.data);
  });
}
