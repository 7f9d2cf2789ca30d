import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type FlowChanges,
  type FlowInputs,
  FlowPlanner,
  ownerPlans,
  type TunnelPortState,
} from "../../src/agent/flow-plan.ts";
import type { LocalVlan } from "../../src/agent/local-vlans.ts";
import { formatFlow } from "../../src/openflow/index.ts";
import { fdbEntry, HOST, uuid } from "./fixtures.ts";

const NV = uuid(0x100); // VLAN 100 on physnet1, local VLAN 1
const NX = uuid(0x200); // VXLAN 5000, local VLAN 2
const NY = uuid(0x300); // another network, only on other tunnels

const vlanNet: LocalVlan = {
  networkId: NV,
  lvid: 1,
  networkType: "vlan",
  physicalNetwork: "physnet1",
  segmentationId: 100,
};
const vxlanNet: LocalVlan = {
  networkId: NX,
  lvid: 2,
  networkType: "vxlan",
  physicalNetwork: null,
  segmentationId: 5000,
};
const tunnel = (name: string, type: TunnelPortState["type"], ofport: number, networks: string[]) => ({
  name,
  type,
  ofport,
  remoteHost: `host-${ofport}`,
  remoteIp: `198.18.0.${ofport}`,
  networks,
});

/** br-int (patch-tun 1, int-br-eth1 2), br-tun (patch-int 1), br-eth1 (phy-br-eth1 1). */
function inputs(overrides: Partial<FlowInputs> = {}): FlowInputs {
  return {
    integrationBridge: "br-int",
    tunnelBridge: "br-tun",
    physicalBridges: new Map([["physnet1", "br-eth1"]]),
    tunnelTypes: ["vxlan", "gre"],
    arpResponder: false,
    l2Population: true,
    localHost: HOST,
    tunPatch: { intSide: 1, tunSide: 1 },
    physPatches: new Map([["physnet1", { intSide: 2, physSide: 1 }]]),
    vlans: [vlanNet, vxlanNet],
    deadVifs: new Map([["tapdead", 9]]),
    tunnels: [tunnel("vxlan-c6120005", "vxlan", 5, [NX])],
    fdb: [],
    ...overrides,
  };
}

/** bridge → owner → flows as ovs-ofctl text (no cookie). */
function text(changes: FlowChanges): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const [bridge, owners] of changes) {
    out[bridge] = {};
    for (const [owner, flows] of owners)
      out[bridge][owner] = flows.map((f) => formatFlow(f, { cookie: false }));
  }
  return out;
}

const ownersOn = (changes: FlowChanges) =>
  Object.fromEntries([...changes].map(([bridge, owners]) => [bridge, [...owners.keys()].sort()]));

/** A planner that has applied `first`. */
function appliedWith(first: FlowInputs): FlowPlanner {
  const planner = new FlowPlanner();
  planner.diff(ownerPlans(first)).commit();
  return planner;
}

test("a first diff returns every owner's flows, on each bridge it has flows on", () => {
  const { changes } = new FlowPlanner().diff(ownerPlans(inputs()));
  assert.deepEqual(ownersOn(changes), {
    "br-int": ["int-base", `net:${NV}`, "vif:tapdead"].sort(),
    "br-tun": [`net:${NX}`, "tun-base", "tunnel:vxlan-c6120005"].sort(),
    "br-eth1": [`net:${NV}`, "phys-base"].sort(),
  });
  for (const [bridge, owners] of changes) {
    for (const [owner, flows] of owners) assert.ok(flows.length > 0, `${owner} on ${bridge} has flows`);
  }
  const t = text(changes);
  assert.deepEqual(t["br-int"]!["vif:tapdead"], ["table=0,priority=2,in_port=9 actions=drop"]);
  assert.deepEqual(t["br-tun"]!["tunnel:vxlan-c6120005"], [
    "table=0,priority=1,in_port=5 actions=goto_table:4",
  ]);
  assert.ok(t["br-int"]!["int-base"]!.includes("table=0,priority=2,in_port=2 actions=drop"));
  assert.ok(t["br-eth1"]!["phys-base"]!.includes("table=0,priority=2,in_port=1 actions=drop"));
  assert.ok(t["br-tun"]!["tun-base"]!.includes("table=0,priority=1,in_port=1 actions=goto_table:2"));
});

test("a second diff with the same inputs, after commit, changes nothing", () => {
  const planner = appliedWith(inputs());
  const { changes } = planner.diff(ownerPlans(inputs()));
  assert.equal(changes.size, 0);
});

test("without commit, the next diff repeats the changes", () => {
  const planner = new FlowPlanner();
  const first = planner.diff(ownerPlans(inputs()));
  const second = planner.diff(ownerPlans(inputs()));
  assert.deepEqual(text(second.changes), text(first.changes));
  second.commit();
  assert.equal(planner.diff(ownerPlans(inputs())).changes.size, 0);
});

test("one VIF turning dead changes only that VIF's owner", () => {
  const planner = appliedWith(inputs());
  const { changes } = planner.diff(
    ownerPlans(
      inputs({
        deadVifs: new Map([
          ["tapdead", 9],
          ["tapnew", 12],
        ]),
      }),
    ),
  );
  assert.deepEqual(text(changes), {
    "br-int": { "vif:tapnew": ["table=0,priority=2,in_port=12 actions=drop"] },
  });
});

test("a dead VIF whose ofport changed is rebuilt; one that left has its flows emptied", () => {
  const planner = appliedWith(inputs());
  assert.deepEqual(text(planner.diff(ownerPlans(inputs({ deadVifs: new Map([["tapdead", 10]]) }))).changes), {
    "br-int": { "vif:tapdead": ["table=0,priority=2,in_port=10 actions=drop"] },
  });
  assert.deepEqual(text(planner.diff(ownerPlans(inputs({ deadVifs: new Map() }))).changes), {
    "br-int": { "vif:tapdead": [] },
  });
});

test("an owner that is gone gets an empty flow list on each bridge it had flows on", () => {
  const planner = appliedWith(inputs());
  const { changes, commit } = planner.diff(ownerPlans(inputs({ vlans: [vxlanNet] })));
  assert.deepEqual(text(changes), { "br-int": { [`net:${NV}`]: [] }, "br-eth1": { [`net:${NV}`]: [] } });
  commit();
  assert.equal(planner.diff(ownerPlans(inputs({ vlans: [vxlanNet] }))).changes.size, 0, "emptied once");
});

test("a VLAN network translates between the provider VLAN and the local VLAN on br-int and its bridge", () => {
  const { changes } = new FlowPlanner().diff(ownerPlans(inputs({ vlans: [vlanNet] })));
  const t = text(changes);
  assert.deepEqual(t["br-int"]![`net:${NV}`], [
    "table=0,priority=3,in_port=2,vlan_tci=0x1064/0x1fff actions=set_field:4097->vlan_vid,goto_table:60",
  ]);
  assert.deepEqual(t["br-eth1"]![`net:${NV}`], [
    "table=0,priority=4,in_port=1,vlan_tci=0x1001/0x1fff actions=set_field:4196->vlan_vid,NORMAL",
  ]);
  assert.equal(t["br-tun"]?.[`net:${NV}`], undefined);
});

test("a flat network tags untagged frames on br-int and untags on its bridge", () => {
  const flat: LocalVlan = {
    networkId: NV,
    lvid: 3,
    networkType: "flat",
    physicalNetwork: "physnet1",
    segmentationId: null,
  };
  const t = text(new FlowPlanner().diff(ownerPlans(inputs({ vlans: [flat] }))).changes);
  assert.deepEqual(t["br-int"]![`net:${NV}`], [
    "table=0,priority=3,in_port=2,vlan_tci=0x0/0x1fff actions=push_vlan:0x8100,set_field:4099->vlan_vid,goto_table:60",
  ]);
  assert.deepEqual(t["br-eth1"]![`net:${NV}`], [
    "table=0,priority=4,in_port=1,vlan_tci=0x1003/0x1fff actions=pop_vlan,NORMAL",
  ]);
});

test("a flat/VLAN network whose physical network has no bridge or no patch ports has no flows", () => {
  const elsewhere: LocalVlan = { ...vlanNet, physicalNetwork: "physnet2" };
  const c1 = new FlowPlanner().diff(ownerPlans(inputs({ vlans: [elsewhere] }))).changes;
  assert.equal(text(c1)["br-int"]![`net:${NV}`], undefined);
  const c2 = new FlowPlanner().diff(ownerPlans(inputs({ vlans: [vlanNet], physPatches: new Map() }))).changes;
  assert.deepEqual(ownersOn(c2)["br-int"], ["int-base", "vif:tapdead"]);
  assert.equal(c2.has("br-eth1"), false, "no phys-base either without its patch port");
});

test("a VXLAN network maps its VNI to the local VLAN and floods to the tunnels that carry it (l2-population)", () => {
  const tunnels = [
    tunnel("vxlan-c6120007", "vxlan", 7, [NX, NY]),
    tunnel("vxlan-c6120005", "vxlan", 5, [NX]),
    tunnel("vxlan-c6120006", "vxlan", 6, [NY]),
    tunnel("gre-c6120008", "gre", 8, [NX]),
  ];
  const t = text(new FlowPlanner().diff(ownerPlans(inputs({ tunnels }))).changes);
  assert.deepEqual(t["br-tun"]![`net:${NX}`], [
    "table=4,priority=1,tun_id=0x1388 actions=push_vlan:0x8100,set_field:4098->vlan_vid,goto_table:10",
    "table=22,priority=1,vlan_tci=0x1002/0x1fff actions=pop_vlan,set_field:0x1388->tun_id,output:5,output:7",
  ]);
});

test("without l2-population a VXLAN network floods to every tunnel port of its type", () => {
  const tunnels = [
    tunnel("vxlan-c6120006", "vxlan", 6, [NY]),
    tunnel("vxlan-c6120005", "vxlan", 5, [NX]),
    tunnel("vxlan-c6120009", "vxlan", 9, []),
    tunnel("gre-c6120008", "gre", 8, [NX]),
  ];
  const t = text(new FlowPlanner().diff(ownerPlans(inputs({ tunnels, l2Population: false }))).changes);
  assert.equal(
    t["br-tun"]![`net:${NX}`]![1],
    "table=22,priority=1,vlan_tci=0x1002/0x1fff actions=pop_vlan,set_field:0x1388->tun_id,output:5,output:6,output:9",
  );
});

test("a VXLAN network no tunnel carries has its VNI mapping but no flood flow", () => {
  const t = text(new FlowPlanner().diff(ownerPlans(inputs({ tunnels: [] }))).changes);
  assert.deepEqual(t["br-tun"]![`net:${NX}`], [
    "table=4,priority=1,tun_id=0x1388 actions=push_vlan:0x8100,set_field:4098->vlan_vid,goto_table:10",
  ]);
});

test("a tunnel joining a network's flood list rebuilds that network's owner only", () => {
  const planner = appliedWith(inputs());
  const tunnels = [tunnel("vxlan-c6120005", "vxlan", 5, [NX]), tunnel("vxlan-c6120006", "vxlan", 6, [NX])];
  const { changes } = planner.diff(ownerPlans(inputs({ tunnels })));
  assert.deepEqual(ownersOn(changes), { "br-tun": [`net:${NX}`, "tunnel:vxlan-c6120006"].sort() });
  assert.match(text(changes)["br-tun"]![`net:${NX}`]![1]!, /output:5,output:6$/);
});

test("tunnelled networks of a type not enabled, or without a tunnel bridge, have no flows", () => {
  const geneve: LocalVlan = { ...vxlanNet, networkType: "geneve" };
  const c1 = new FlowPlanner().diff(ownerPlans(inputs({ vlans: [geneve] }))).changes;
  assert.equal(c1.get("br-tun")?.has(`net:${NX}`), false);
  const c2 = new FlowPlanner().diff(
    ownerPlans(inputs({ tunnelBridge: undefined, tunPatch: undefined })),
  ).changes;
  assert.equal(c2.has("br-tun"), false);
});

test("a network that moves from VLAN to VXLAN leaves br-int and its bridge for br-tun", () => {
  const planner = appliedWith(inputs({ vlans: [vlanNet] }));
  const moved: LocalVlan = { ...vxlanNet, networkId: NV, lvid: 1 };
  const { changes } = planner.diff(ownerPlans(inputs({ vlans: [moved] })));
  const t = text(changes);
  assert.deepEqual(t["br-int"], { [`net:${NV}`]: [] });
  assert.deepEqual(t["br-eth1"], { [`net:${NV}`]: [] });
  assert.deepEqual(t["br-tun"]![`net:${NV}`], [
    "table=4,priority=1,tun_id=0x1388 actions=push_vlan:0x8100,set_field:4097->vlan_vid,goto_table:10",
  ]);
});

test("each physical bridge's base flows are tracked on their own", () => {
  const two = inputs({
    physicalBridges: new Map([
      ["physnet1", "br-eth1"],
      ["physnet2", "br-eth2"],
    ]),
    physPatches: new Map([
      ["physnet1", { intSide: 2, physSide: 1 }],
      ["physnet2", { intSide: 3, physSide: 4 }],
    ]),
  });
  const planner = new FlowPlanner();
  const first = planner.diff(ownerPlans(two));
  assert.deepEqual(text(first.changes)["br-eth2"], {
    "phys-base": ["table=0,priority=0 actions=NORMAL", "table=0,priority=2,in_port=4 actions=drop"],
  });
  first.commit();
  assert.equal(planner.diff(ownerPlans(two)).changes.size, 0);

  // physnet2 goes: its bridge's phys-base is emptied; br-int's base loses the drop for its patch.
  const { changes } = planner.diff(ownerPlans(inputs()));
  assert.deepEqual(ownersOn(changes), { "br-eth2": ["phys-base"], "br-int": ["int-base"] });
  assert.deepEqual(text(changes)["br-eth2"], { "phys-base": [] });
});

test("fdb entries of other hosts give ARP responder and unicast flows; the local host's are ignored", () => {
  const P_REMOTE = uuid(1);
  const P_LOCAL = uuid(2);
  const P_VLAN = uuid(3);
  const P_NOWHERE = uuid(4);
  const fdb = [
    fdbEntry(P_REMOTE, NX, { host: "host-5", mac_address: "fa:16:3e:00:00:05", ip_addresses: ["10.0.0.5"] }),
    fdbEntry(P_LOCAL, NX, { host: HOST, mac_address: "fa:16:3e:00:00:01", ip_addresses: ["10.0.0.1"] }),
    fdbEntry(P_VLAN, NV, { host: "host-5" }),
    fdbEntry(P_NOWHERE, uuid(0x999), { host: "host-5" }),
  ];
  const t = text(new FlowPlanner().diff(ownerPlans(inputs({ fdb, arpResponder: true }))).changes);
  const fdbOwners = Object.keys(t["br-tun"]!).filter((o) => o.startsWith("fdb:"));
  assert.deepEqual(fdbOwners, [`fdb:${P_REMOTE}`]);
  assert.deepEqual(t["br-tun"]![`fdb:${P_REMOTE}`], [
    "table=21,priority=1,eth_type=0x806,vlan_tci=0x1002/0x1fff,arp_op=1,arp_tpa=10.0.0.5 actions=move:OXM_OF_ETH_SRC[]->OXM_OF_ETH_DST[],set_field:fa:16:3e:00:00:05->eth_src,set_field:2->arp_op,move:OXM_OF_ARP_SHA[]->OXM_OF_ARP_THA[],move:OXM_OF_ARP_SPA[]->OXM_OF_ARP_TPA[],set_field:fa:16:3e:00:00:05->arp_sha,set_field:10.0.0.5->arp_spa,IN_PORT",
    "table=20,priority=2,eth_dst=fa:16:3e:00:00:05,vlan_tci=0x1002/0x1fff actions=pop_vlan,set_field:0x1388->tun_id,output:5",
  ]);
});

test("fdb entries give no flows with neither the ARP responder nor l2-population", () => {
  const fdb = [fdbEntry(uuid(1), NX, { host: "host-5" })];
  const { changes } = new FlowPlanner().diff(
    ownerPlans(inputs({ fdb, arpResponder: false, l2Population: false })),
  );
  assert.deepEqual(
    [...(changes.get("br-tun")?.keys() ?? [])].filter((o) => o.startsWith("fdb:")),
    [],
  );
});

test("a local VLAN restored for a tunnelled network without a segmentation id does not break planning", () => {
  const broken: LocalVlan = { ...vxlanNet, segmentationId: null };
  assert.doesNotThrow(() => new FlowPlanner().diff(ownerPlans(inputs({ vlans: [broken] }))));
});
