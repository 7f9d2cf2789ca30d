import assert from "node:assert/strict";
import { test } from "node:test";
import { ControlState, isEmptyChange } from "../../src/agent/internal.ts";
import { details, fdbEntry, HOST, network, sync, uuid } from "./fixtures.ts";

const P1 = uuid(1);
const P2 = uuid(2);
const N1 = uuid(100);
const N2 = uuid(200);

/** A state synced with one port (P1 on N1), its network, two endpoints and one fdb entry (P2). */
function populated(): ControlState {
  const control = new ControlState(HOST);
  control.applySync(
    sync({
      revision: 10,
      ports: [details(P1, N1)],
      networks: [network(N1)],
      endpoints: [
        {
          network_id: N1,
          endpoints: [
            { host: HOST, tunneling_ip: "192.0.2.1" },
            { host: "compute-2", tunneling_ip: "192.0.2.2" },
          ],
        },
      ],
      fdb: [fdbEntry(P2, N1)],
    }),
  );
  return control;
}

test("a new state is empty, unsynced, at revision 0", () => {
  const control = new ControlState(HOST);
  assert.equal(control.host, HOST);
  assert.equal(control.synced, false);
  assert.equal(control.revision, 0);
  for (const map of [control.details, control.unknown, control.networks, control.endpoints, control.fdb]) {
    assert.equal(map.size, 0);
  }
});

test("applySync fills every map, keyed by id, and marks the state synced", () => {
  const control = populated();
  assert.equal(control.synced, true);
  assert.equal(control.revision, 10);
  assert.deepEqual([...control.details.keys()], [P1]);
  assert.deepEqual(control.details.get(P1), details(P1, N1));
  assert.deepEqual(control.networks.get(N1), network(N1));
  assert.deepEqual(control.endpoints.get(N1), [
    { host: HOST, ip: "192.0.2.1" },
    { host: "compute-2", ip: "192.0.2.2" },
  ]);
  assert.deepEqual([...control.fdb.keys()], [P2]);
});

test("applySync replaces everything, the unknown ports and the revision included", () => {
  const control = populated();
  control.applyDetails([], [{ port_id: uuid(9), reason: "no such port" }]);
  control.seedEndpoint(N2, { host: "compute-3", ip: "192.0.2.3" }); // ignored: synced
  control.applySync(
    sync({
      revision: 4,
      ports: [details(P2, N2)],
      networks: [network(N2)],
      endpoints: [{ network_id: N2, endpoints: [{ host: "compute-3", tunneling_ip: null }] }],
    }),
  );
  assert.deepEqual([...control.details.keys()], [P2]);
  assert.equal(control.unknown.size, 0);
  assert.deepEqual([...control.networks.keys()], [N2]);
  assert.deepEqual([...control.endpoints], [[N2, []]], "an endpoint without a tunnel IP is dropped");
  assert.equal(control.fdb.size, 0);
  assert.equal(control.revision, 4, "a snapshot sets the revision it is current to");
});

test("port.updated for this host records the details and clears an earlier 'unknown'", () => {
  const control = populated();
  control.applyDetails([], [{ port_id: P2, reason: "not bound here" }]);
  const port = details(P2, N1, { mac_address: "fa:16:3e:00:00:99" });
  control.applyEvent({ kind: "port.updated", port }, 11);
  assert.deepEqual(control.details.get(P2), port);
  assert.equal(control.unknown.has(P2), false);
  assert.equal(control.revision, 11);
});

test("port.updated for another host forgets the port, saying where it went", () => {
  const control = populated();
  control.applyEvent({ kind: "port.updated", port: details(P1, N1, { host: "compute-9" }) }, 11);
  assert.equal(control.details.has(P1), false);
  assert.equal(control.unknown.get(P1), "port is bound to host compute-9");
});

test("port.deleted forgets the port and drops its fdb entry", () => {
  const control = populated();
  control.applyEvent({ kind: "port.deleted", port_id: P1, network_id: N1, host: HOST }, 11);
  assert.equal(control.details.has(P1), false);
  assert.equal(control.unknown.get(P1), "port was deleted");
  control.applyEvent({ kind: "port.deleted", port_id: P2, network_id: N1, host: "compute-2" }, 12);
  assert.equal(control.fdb.has(P2), false);
  assert.equal(control.unknown.get(P2), "port was deleted");
});

test("port.unbound forgets the port but leaves the fdb alone", () => {
  const control = populated();
  control.applyEvent({ kind: "port.unbound", port_id: P1, network_id: N1, host: HOST }, 11);
  assert.equal(control.details.has(P1), false);
  assert.equal(control.unknown.get(P1), "port is no longer bound to this host");
  control.applyEvent({ kind: "port.unbound", port_id: P2, network_id: N1, host: "compute-2" }, 12);
  assert.equal(control.fdb.has(P2), true);
});

test("network.updated records or replaces the network", () => {
  const control = populated();
  const down = network(N1, { admin_state_up: false });
  control.applyEvent({ kind: "network.updated", network: down }, 11);
  assert.deepEqual(control.networks.get(N1), down);
  control.applyEvent({ kind: "network.updated", network: network(N2) }, 12);
  assert.deepEqual([...control.networks.keys()].sort(), [N1, N2]);
});

test("network.deleted drops the network and its endpoints, nothing else", () => {
  const control = populated();
  control.applyEvent({ kind: "network.deleted", network_id: N1 }, 11);
  assert.equal(control.networks.has(N1), false);
  assert.equal(control.endpoints.has(N1), false);
  assert.equal(control.details.has(P1), true);
  assert.equal(control.fdb.has(P2), true);
});

test("endpoints.changed replaces a network's endpoints, dropping those without a tunnel IP", () => {
  const control = populated();
  control.applyEvent(
    {
      kind: "endpoints.changed",
      endpoints: {
        network_id: N1,
        endpoints: [
          { host: "compute-3", tunneling_ip: "192.0.2.3" },
          { host: "compute-4", tunneling_ip: null },
          { host: "compute-5", tunneling_ip: "2001:db8::5" },
        ],
      },
    },
    11,
  );
  assert.deepEqual(control.endpoints.get(N1), [
    { host: "compute-3", ip: "192.0.2.3" },
    { host: "compute-5", ip: "2001:db8::5" },
  ]);
  control.applyEvent({ kind: "endpoints.changed", endpoints: { network_id: N2, endpoints: [] } }, 12);
  assert.deepEqual(control.endpoints.get(N2), []);
});

test("fdb.updated records or replaces an entry; fdb.removed drops it", () => {
  const control = populated();
  const moved = fdbEntry(P2, N1, { host: "compute-3", ip_addresses: ["10.0.0.7"] });
  control.applyEvent({ kind: "fdb.updated", entry: moved }, 11);
  assert.deepEqual(control.fdb.get(P2), moved);
  const other = fdbEntry(uuid(3), N1);
  control.applyEvent({ kind: "fdb.updated", entry: other }, 12);
  assert.equal(control.fdb.size, 2);
  control.applyEvent({ kind: "fdb.removed", port_id: P2, network_id: N1 }, 13);
  assert.deepEqual([...control.fdb.keys()], [uuid(3)]);
  assert.equal(control.details.has(P1), true, "the fdb is separate from this host's ports");
});

test("the revision only moves forward with events", () => {
  const control = populated();
  control.applyEvent({ kind: "fdb.removed", port_id: P2, network_id: N1 }, 15);
  assert.equal(control.revision, 15);
  control.applyEvent({ kind: "network.deleted", network_id: N2 }, 12);
  assert.equal(control.revision, 15);
});

test("events before the first sync are recorded but do not make the state synced", () => {
  const control = new ControlState(HOST);
  control.applyEvent({ kind: "port.updated", port: details(P1, N1) }, 3);
  assert.equal(control.details.has(P1), true);
  assert.equal(control.synced, false);
  assert.equal(control.revision, 3);
});

test("seedEndpoint adds endpoints remembered in OVSDB, once per IP, until the first sync", () => {
  const control = new ControlState(HOST);
  control.seedEndpoint(N1, { host: "compute-2", ip: "192.0.2.2" });
  control.seedEndpoint(N1, { host: "compute-2", ip: "192.0.2.2" });
  control.seedEndpoint(N1, { host: "compute-3", ip: "192.0.2.3" });
  control.seedEndpoint(N2, { host: "compute-2", ip: "192.0.2.2" });
  assert.deepEqual(control.endpoints.get(N1), [
    { host: "compute-2", ip: "192.0.2.2" },
    { host: "compute-3", ip: "192.0.2.3" },
  ]);
  assert.deepEqual(control.endpoints.get(N2), [{ host: "compute-2", ip: "192.0.2.2" }]);
  assert.equal(control.synced, false);

  control.applySync(sync({ endpoints: [{ network_id: N1, endpoints: [] }] }));
  control.seedEndpoint(N1, { host: "compute-4", ip: "192.0.2.4" });
  control.seedEndpoint(N2, { host: "compute-4", ip: "192.0.2.4" });
  assert.deepEqual(control.endpoints.get(N1), []);
  assert.equal(control.endpoints.has(N2), false);
});

test("applyDetails records devices and failures, each undoing the other", () => {
  const control = new ControlState(HOST);
  control.applyDetails([details(P1, N1), details(P2, N1)], [{ port_id: uuid(3), reason: "no such port" }]);
  assert.deepEqual([...control.details.keys()], [P1, P2]);
  assert.deepEqual([...control.unknown], [[uuid(3), "no such port"]]);

  control.applyDetails([details(uuid(3), N1)], [{ port_id: P1, reason: "bound to compute-9" }]);
  assert.deepEqual([...control.details.keys()].sort(), [P2, uuid(3)]);
  assert.deepEqual([...control.unknown], [[P1, "bound to compute-9"]]);
  assert.equal(control.synced, false, "details alone are not a sync");
  assert.equal(control.revision, 0);
});

test("each change says what it changed, and only what the agent's forwarding reads", () => {
  const control = populated();
  const same = control.applyEvent(
    { kind: "port.updated", port: details(P1, N1, { status: "ACTIVE", revision_number: 7 }) },
    11,
  );
  assert.ok(isEmptyChange(same), "a status or revision change alone is nothing");
  const moved = control.applyEvent(
    { kind: "port.updated", port: details(P1, N1, { admin_state_up: false }) },
    12,
  );
  assert.deepEqual([...moved.ports], [P1]);
  assert.ok(
    isEmptyChange(control.applyEvent({ kind: "fdb.updated", entry: fdbEntry(P2, N1) }, 13)),
    "a repeated fdb entry is nothing",
  );
  assert.deepEqual(
    [
      ...control.applyEvent(
        { kind: "fdb.updated", entry: fdbEntry(P2, N1, { ip_addresses: ["10.0.0.9"] }) },
        14,
      ).remotePorts,
    ],
    [P2],
  );
  assert.deepEqual([...control.remotePortsOf(N1)], [P2]);
  assert.ok(isEmptyChange(control.applyEvent({ kind: "network.updated", network: network(N1) }, 15)));
  assert.deepEqual(
    [...control.applyEvent({ kind: "network.updated", network: network(N1, { mtu: 1400 }) }, 16).networks],
    [N1],
  );
  assert.ok(control.applySync(sync({ revision: 20 })).full, "a sync is a change of everything");
});

test("a QoS policy is a section the features read; changing it names it", () => {
  const control = populated();
  const policy = { policy_id: uuid(0x300), revision_number: 1, rules: [] };
  assert.deepEqual(
    [...control.applyEvent({ kind: "qos.policy.updated", policy }, 11).sections],
    [`qos/${uuid(0x300)}`],
  );
  assert.deepEqual(control.section("qos", uuid(0x300)), policy);
  assert.ok(
    isEmptyChange(control.applyEvent({ kind: "qos.policy.updated", policy }, 12)),
    "the same policy again",
  );
  assert.deepEqual(
    [...control.applyEvent({ kind: "qos.policy.deleted", policy_id: uuid(0x300) }, 13).sections],
    [`qos/${uuid(0x300)}`],
  );
  assert.equal(control.section("qos", uuid(0x300)), undefined);
});

test("security groups: the sync's section, then group and member events; deltas apply to the list held", () => {
  const G = uuid(0x500);
  const R = uuid(0x501);
  const member = (ip: string) => ({ ip_address: ip, mac_address: "fa:16:3e:00:00:01" });
  const control = new ControlState(HOST);
  control.applySync(
    sync({
      revision: 1,
      security_groups: {
        groups: [{ group_id: G, stateful: true, revision_number: 1, rules: [] }],
        members: [{ group_id: R, members: [member("198.19.0.2"), member("198.19.0.1")] }],
        address_groups: [],
      },
    }),
  );
  assert.deepEqual(control.sectionKeys("security_group"), [G]);
  assert.deepEqual(
    control.section<{ ip_address: string }[]>("group_members", R)!.map((m) => m.ip_address),
    ["198.19.0.1", "198.19.0.2"],
    "members are kept sorted",
  );
  const changed = control.applyEvent(
    {
      kind: "group_members.changed",
      group_id: R,
      added: [member("198.19.0.3")],
      removed: [member("198.19.0.1")],
    },
    2,
  );
  assert.deepEqual([...changed.sections], [`group_members/${R}`]);
  assert.deepEqual(
    control.section<{ ip_address: string }[]>("group_members", R)!.map((m) => m.ip_address),
    ["198.19.0.2", "198.19.0.3"],
  );
  const again = control.applyEvent(
    { kind: "group_members.changed", group_id: R, added: [member("198.19.0.3")], removed: [] },
    3,
  );
  assert.ok(isEmptyChange(again), "a delta that changes nothing changes nothing");
  control.applyEvent(
    {
      kind: "group_members.changed",
      group_id: R,
      added: [member("198.19.0.25"), member("198.19.0.0"), member("198.19.0.0")],
      removed: [member("198.19.0.3")],
    },
    3,
  );
  assert.deepEqual(
    control.section<{ ip_address: string }[]>("group_members", R)!.map((m) => m.ip_address),
    ["198.19.0.0", "198.19.0.2", "198.19.0.25"],
    "added members land in order, once; removed ones go",
  );
  assert.ok(
    isEmptyChange(
      control.applyEvent(
        { kind: "group_members.changed", group_id: uuid(0x777), added: [member("198.19.0.9")], removed: [] },
        4,
      ),
    ),
    "a delta for a group not held is ignored",
  );
  assert.deepEqual(
    [...control.applyEvent({ kind: "security_group.deleted", group_id: G }, 5).sections],
    [`security_group/${G}`],
  );
  assert.deepEqual(control.sectionKeys("security_group"), []);
});
