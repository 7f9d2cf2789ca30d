import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ControlState,
  decideVif,
  type HostCapabilities,
  type PortFacts,
  segmentToOtherConfig,
  unwireable,
} from "../../src/agent/internal.ts";
import { details, HOST, network, sync, uuid } from "./fixtures.ts";

const PORT = uuid(1);
const NET = uuid(100);
const host: HostCapabilities = { physicalNetworks: new Set(["physnet1"]), tunnelTypes: ["vxlan"] };
const vif = { kind: "vif", iface: "tapa", portId: PORT, mac: "fa:16:3e:00:00:01", ofport: 5 } as const;
const noPort: PortFacts = { tag: null, otherConfig: {} };
const noRestore = () => undefined;

function synced(...ports: ReturnType<typeof details>[]): ControlState {
  const control = new ControlState(HOST);
  control.applySync(sync({ ports }));
  return control;
}

test("unwireable: wireable segments give undefined", () => {
  assert.equal(
    unwireable({ networkType: "flat", physicalNetwork: "physnet1", segmentationId: null }, host),
    undefined,
  );
  for (const id of [1, 4094]) {
    assert.equal(
      unwireable({ networkType: "vlan", physicalNetwork: "physnet1", segmentationId: id }, host),
      undefined,
    );
  }
  assert.equal(
    unwireable({ networkType: "vxlan", physicalNetwork: null, segmentationId: 1 }, host),
    undefined,
  );
});

test("unwireable: flat and VLAN networks need a mapped physical network", () => {
  assert.equal(
    unwireable({ networkType: "flat", physicalNetwork: "physnet9", segmentationId: null }, host),
    "physical network physnet9 is not in [ovs] bridge_mappings",
  );
  assert.equal(
    unwireable({ networkType: "vlan", physicalNetwork: "physnet9", segmentationId: 100 }, host),
    "physical network physnet9 is not in [ovs] bridge_mappings",
  );
  assert.equal(
    unwireable({ networkType: "flat", physicalNetwork: null, segmentationId: null }, host),
    "flat network without a physical network",
  );
  assert.equal(
    unwireable({ networkType: "vlan", physicalNetwork: null, segmentationId: 100 }, host),
    "vlan network without a physical network",
  );
});

test("unwireable: a VLAN id must be 1-4094", () => {
  for (const id of [0, 4095, -1, null]) {
    assert.equal(
      unwireable({ networkType: "vlan", physicalNetwork: "physnet1", segmentationId: id }, host),
      `VLAN network with segmentation id ${id}`,
    );
  }
});

test("unwireable: a tunnelled network needs its tunnel type enabled and a segmentation id", () => {
  assert.equal(
    unwireable({ networkType: "gre", physicalNetwork: null, segmentationId: 5 }, host),
    "tunnel type gre is not in [agent] tunnel_types",
  );
  assert.equal(
    unwireable(
      { networkType: "geneve", physicalNetwork: null, segmentationId: 5 },
      { ...host, tunnelTypes: [] },
    ),
    "tunnel type geneve is not in [agent] tunnel_types",
  );
  assert.equal(
    unwireable({ networkType: "vxlan", physicalNetwork: null, segmentationId: null }, host),
    "vxlan network without a segmentation id",
  );
});

test("an odd VIF is dead with its reason, not waiting", () => {
  const odd = { kind: "odd", iface: "tapa", ofport: 5, reason: "external_ids:iface-id is missing" } as const;
  // Whatever the server says about anything else.
  const control = synced(details(PORT, NET));
  assert.deepEqual(decideVif(odd, noPort, control, host, noRestore), {
    kind: "dead",
    reason: "external_ids:iface-id is missing",
  });
});

test("a port the server detailed is wired with its segment", () => {
  const control = synced(details(PORT, NET, { segmentation_id: 1234 }));
  assert.deepEqual(decideVif(vif, noPort, control, host, noRestore), {
    kind: "wire",
    networkId: NET,
    segment: { networkType: "vxlan", physicalNetwork: null, segmentationId: 1234 },
  });
});

test("a VLAN port is wired with its physical network and VLAN id", () => {
  const control = synced(
    details(PORT, NET, { network_type: "vlan", physical_network: "physnet1", segmentation_id: 100 }),
  );
  assert.deepEqual(decideVif(vif, noPort, control, host, noRestore), {
    kind: "wire",
    networkId: NET,
    segment: { networkType: "vlan", physicalNetwork: "physnet1", segmentationId: 100 },
  });
});

test("the network's info in ControlState.networks wins over the port's copy", () => {
  const control = new ControlState(HOST);
  control.applySync(
    sync({
      ports: [
        details(PORT, NET, { network_type: "vlan", physical_network: "physnet9", segmentation_id: 100 }),
      ],
      networks: [network(NET, { network_type: "vlan", physical_network: "physnet1", segmentation_id: 200 })],
    }),
  );
  assert.deepEqual(decideVif(vif, noPort, control, host, noRestore), {
    kind: "wire",
    networkId: NET,
    segment: { networkType: "vlan", physicalNetwork: "physnet1", segmentationId: 200 },
  });
});

test("an administratively down port is dead", () => {
  const control = synced(details(PORT, NET, { admin_state_up: false }));
  assert.deepEqual(decideVif(vif, noPort, control, host, noRestore), {
    kind: "dead",
    reason: "port is administratively down",
  });
});

test("an administratively down network is dead: from the network info, else from the port's details", () => {
  const down = { kind: "dead", reason: "network is administratively down" };
  assert.deepEqual(
    decideVif(vif, noPort, synced(details(PORT, NET, { network_admin_state_up: false })), host, noRestore),
    down,
  );

  const control = new ControlState(HOST);
  control.applySync(
    sync({ ports: [details(PORT, NET)], networks: [network(NET, { admin_state_up: false })] }),
  );
  assert.deepEqual(decideVif(vif, noPort, control, host, noRestore), down);

  // And the network info's "up" wins over a stale "down" in the details.
  control.applySync(
    sync({ ports: [details(PORT, NET, { network_admin_state_up: false })], networks: [network(NET)] }),
  );
  assert.equal(decideVif(vif, noPort, control, host, noRestore).kind, "wire");
});

test("a port on a network this host cannot wire is dead, naming the network and why", () => {
  const cases: [Partial<ReturnType<typeof details>>, string][] = [
    [
      { network_type: "flat", physical_network: "physnet9", segmentation_id: null },
      "physical network physnet9 is not in [ovs] bridge_mappings",
    ],
    [{ network_type: "gre", segmentation_id: 7 }, "tunnel type gre is not in [agent] tunnel_types"],
    [
      { network_type: "vlan", physical_network: "physnet1", segmentation_id: 4095 },
      "VLAN network with segmentation id 4095",
    ],
  ];
  for (const [overrides, why] of cases) {
    assert.deepEqual(decideVif(vif, noPort, synced(details(PORT, NET, overrides)), host, noRestore), {
      kind: "dead",
      reason: `cannot wire network ${NET}: ${why}`,
    });
  }
});

test("a port the server does not know (or not here) is dead with the server's reason", () => {
  const control = synced();
  control.applyDetails([], [{ port_id: PORT, reason: "port is bound to host compute-9" }]);
  assert.deepEqual(decideVif(vif, noPort, control, host, noRestore), {
    kind: "dead",
    reason: "server: port is bound to host compute-9",
  });
});

test("before the first sync, a port restored from OVSDB with its tag is kept as it is", () => {
  const control = new ControlState(HOST);
  const segment = { networkType: "vxlan", physicalNetwork: null, segmentationId: 1000 } as const;
  const port: PortFacts = { tag: 3, otherConfig: segmentToOtherConfig(NET, segment) };
  const asked: string[] = [];
  const decision = decideVif(vif, port, control, host, (id) => {
    asked.push(id);
    return id === NET ? 3 : undefined;
  });
  assert.deepEqual(decision, { kind: "keep", networkId: NET, segment, lvid: 3 });
  assert.deepEqual(asked, [NET]);
});

test("before the first sync, anything short of a consistent record waits on the dead VLAN", () => {
  const control = new ControlState(HOST);
  const segment = { networkType: "vxlan", physicalNetwork: null, segmentationId: 1000 } as const;
  const record = segmentToOtherConfig(NET, segment);
  const restored = (id: string) => (id === NET ? 3 : undefined);
  const waiting = { kind: "dead", reason: "waiting for the server's details of this port", waiting: true };
  // The tag differs from the network's restored VLAN.
  assert.deepEqual(decideVif(vif, { tag: 4, otherConfig: record }, control, host, restored), waiting);
  // No tag.
  assert.deepEqual(decideVif(vif, { tag: null, otherConfig: record }, control, host, restored), waiting);
  // The network's VLAN was not restored (it conflicted).
  assert.deepEqual(decideVif(vif, { tag: 3, otherConfig: record }, control, host, noRestore), waiting);
  // No record, or garbage.
  assert.deepEqual(decideVif(vif, { tag: 3, otherConfig: {} }, control, host, restored), waiting);
  assert.deepEqual(
    decideVif(vif, { tag: 3, otherConfig: { ...record, network_type: "local" } }, control, host, restored),
    waiting,
  );
});

test("once synced, a port the server has not detailed waits, even with a good record", () => {
  const control = synced();
  const segment = { networkType: "vxlan", physicalNetwork: null, segmentationId: 1000 } as const;
  const port: PortFacts = { tag: 3, otherConfig: segmentToOtherConfig(NET, segment) };
  assert.deepEqual(
    decideVif(vif, port, control, host, () => 3),
    {
      kind: "dead",
      reason: "waiting for the server's details of this port",
      waiting: true,
    },
  );
});

test("the server's details take precedence over the OVSDB record before the first sync too", () => {
  const control = new ControlState(HOST);
  control.applyDetails([details(PORT, NET, { segmentation_id: 2000 })], []);
  const port: PortFacts = {
    tag: 3,
    otherConfig: segmentToOtherConfig(NET, {
      networkType: "vxlan",
      physicalNetwork: null,
      segmentationId: 1000,
    }),
  };
  assert.deepEqual(
    decideVif(vif, port, control, host, () => 3),
    {
      kind: "wire",
      networkId: NET,
      segment: { networkType: "vxlan", physicalNetwork: null, segmentationId: 2000 },
    },
  );
});

test("network info with no physical network / segmentation id is not patched up from the port's details", () => {
  const control = new ControlState(HOST);
  control.applySync(
    sync({
      ports: [
        details(PORT, NET, { network_type: "vlan", physical_network: "physnet1", segmentation_id: 100 }),
      ],
      networks: [network(NET, { network_type: "flat", physical_network: "physnet1", segmentation_id: null })],
    }),
  );
  assert.deepEqual(decideVif(vif, noPort, control, host, noRestore), {
    kind: "wire",
    networkId: NET,
    segment: { networkType: "flat", physicalNetwork: "physnet1", segmentationId: null },
  });
});
