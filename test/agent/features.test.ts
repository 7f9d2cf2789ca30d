// What each core feature returns for the objects it is about (pure functions of their contexts), as
// ovs-ofctl text: the flows the L2 agent has always installed, now declared by its features.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { FlowsByBridge, HostContext, NetworkContext, VifContext } from "../../src/agent/index.ts";
import { documentedPipeline } from "../../src/agent/internal.ts";
import { type Flow, formatFlow } from "../../src/openflow/index.ts";
import { fdbEntry, uuid } from "./fixtures.ts";

const host: HostContext = {
  host: "compute-1",
  integrationBridge: "br-int",
  tunnelBridge: "br-tun",
  physicalBridges: new Map([["physnet1", "br-eth1"]]),
  datapath: "netdev",
  tunnelTypes: ["vxlan", "gre"],
  l2Population: true,
  arpResponder: true,
  tunPatch: { intSide: 1, tunSide: 1 },
  physPatches: new Map([["physnet1", { intSide: 2, physSide: 1 }]]),
};

const pipeline = documentedPipeline();
const ctx = (name: string, h = host) => pipeline.context(pipeline.feature(name)!, h, () => undefined);

function text(flows: FlowsByBridge | undefined): Record<string, string[]> {
  return Object.fromEntries(
    [...(flows ?? new Map())].map(([b, list]) => [
      b,
      list.map((f: Flow) => formatFlow(f, { cookie: false })),
    ]),
  );
}

const vlanNet: NetworkContext = {
  networkId: "n-vlan",
  lvid: 1,
  segment: { networkType: "vlan", physicalNetwork: "physnet1", segmentationId: 100 },
  floodOfports: [],
};
const vxlanNet: NetworkContext = {
  networkId: "n-vxlan",
  lvid: 2,
  segment: { networkType: "vxlan", physicalNetwork: null, segmentationId: 5000 },
  floodOfports: [7, 5],
};

test("provider: a VLAN network is translated both ways, entering the stages on br-int", () => {
  assert.deepEqual(text(pipeline.feature("provider")!.feature.network!(vlanNet, ctx("provider"))), {
    "br-int": [
      "table=0,priority=30000,in_port=2,vlan_tci=0x1064/0x1fff,reg0=0x0/0x1 actions=set_field:4097->vlan_vid,set_field:0x1/0x1->reg0,resubmit(,0)",
    ],
    "br-eth1": [
      "table=0,priority=4,in_port=1,vlan_tci=0x1001/0x1fff actions=set_field:4196->vlan_vid,NORMAL",
    ],
  });
  // Not its business: tunnelled networks, and physical networks this host does not map.
  assert.equal(pipeline.feature("provider")!.feature.network!(vxlanNet, ctx("provider")), undefined);
  const elsewhere = { ...vlanNet, segment: { ...vlanNet.segment, physicalNetwork: "physnet9" } };
  assert.equal(pipeline.feature("provider")!.feature.network!(elsewhere, ctx("provider")), undefined);
});

test("tunnels: VNI → local VLAN, and floods to the network's tunnel ports only, sorted", () => {
  assert.deepEqual(text(pipeline.feature("tunnels")!.feature.network!(vxlanNet, ctx("tunnels"))), {
    "br-tun": [
      "table=4,priority=1,tun_id=0x1388 actions=push_vlan:0x8100,set_field:4098->vlan_vid,goto_table:10",
      "table=22,priority=1,vlan_tci=0x1002/0x1fff actions=pop_vlan,set_field:0x1388->tun_id,output:5,output:7",
    ],
  });
  const geneve = { ...vxlanNet, segment: { ...vxlanNet.segment, networkType: "geneve" as const } };
  assert.equal(
    pipeline.feature("tunnels")!.feature.network!(geneve, ctx("tunnels")),
    undefined,
    "geneve is not in tunnel_types",
  );
});

test("dead-ports: a dead VIF's frames are dropped at br-int's entry; a wired one has no flow", () => {
  const vif = {
    iface: "tapdead",
    ofport: 9,
    state: "dead",
    portId: undefined,
    mac: undefined,
    network: undefined,
    details: undefined,
  } as unknown as VifContext;
  assert.deepEqual(text(pipeline.feature("dead-ports")!.feature.vif!(vif, ctx("dead-ports"))?.flows), {
    "br-int": ["table=0,priority=20000,in_port=9,reg0=0x0/0x1 actions=drop"],
  });
  assert.equal(
    pipeline.feature("dead-ports")!.feature.vif!({ ...vif, state: "wired" }, ctx("dead-ports")),
    undefined,
  );
});

test("l2pop and arp-responder: a port on another host gets its unicast entry and its ARP answer", () => {
  const remote = {
    entry: fdbEntry(uuid(2), uuid(0x200), { ip_addresses: ["10.0.0.6", "fd00::6"] }),
    network: { id: "n-vxlan", lvid: 2, segment: vxlanNet.segment },
    tunnelOfport: 5,
  };
  assert.deepEqual(text(pipeline.feature("l2pop")!.feature.remotePort!(remote, ctx("l2pop"))), {
    "br-tun": [
      "table=20,priority=2,eth_dst=fa:16:3e:00:00:02,vlan_tci=0x1002/0x1fff actions=pop_vlan,set_field:0x1388->tun_id,output:5",
    ],
  });
  const arp = text(pipeline.feature("arp-responder")!.feature.remotePort!(remote, ctx("arp-responder")));
  assert.equal(arp["br-tun"]!.length, 1, "IPv4 only");
  assert.match(
    arp["br-tun"]![0]!,
    /^table=21,priority=1,eth_type=0x806,vlan_tci=0x1002\/0x1fff,arp_op=1,arp_tpa=10\.0\.0\.6 /,
  );
  // No tunnel to its host yet: nothing for unicast (it floods until one exists).
  assert.equal(
    pipeline.feature("l2pop")!.feature.remotePort!({ ...remote, tunnelOfport: undefined }, ctx("l2pop")),
    undefined,
  );
});

test("base flows follow the host: no patch to br-tun yet, no tunnel base flows", () => {
  const f = pipeline.feature("tunnels")!;
  const without = { ...host, tunPatch: undefined };
  const base = pipeline
    .baseFlows(f, ctx("tunnels", without))
    .get("br-tun")!
    .map((x) => formatFlow(x, { cookie: false }));
  assert.ok(
    base.every((line) => line.includes("priority=0")),
    "only the table misses",
  );
  assert.ok(
    base.some((line) => line.startsWith("table=10,priority=0 actions=drop")),
    "no learning without patch-int",
  );
});
