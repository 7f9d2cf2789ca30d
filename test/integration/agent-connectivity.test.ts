// The agent wires ports of every network type so that VMs on the same network reach each other — on the
// same host and across hosts — and VMs on different networks never do.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ip, ovsPaths, reaches, vsctl } from "../../src/testbed/index.ts";
import { lab } from "../support/lab.ts";

for (const type of ["vxlan", "gre", "geneve"] as const) {
  test(`${type}: same-host and cross-host connectivity; another ${type} network is isolated`, async (t) => {
    const l = await lab(t, { hosts: 2 });
    await l.startAgent("h1");
    await l.startAgent("h2");
    const red = await l.network({ name: "red", type, segmentationId: 1001 });
    const blue = await l.network({ name: "blue", type, segmentationId: 1002 });
    const a1 = await l.vm("h1", red, "a", "198.19.1.1");
    const a2 = await l.vm("h1", red, "b", "198.19.1.2");
    const b1 = await l.vm("h2", red, "c", "198.19.2.1");
    const x = await l.vm("h2", blue, "x", "198.19.2.9");
    assert.ok(await reaches(a1, a2.ip), "same host, same network");
    assert.ok(await reaches(a1, b1.ip), "across hosts, same network");
    assert.ok(await reaches(b1, a2.ip), "across hosts, the other way");
    assert.equal(await reaches(a1, x.ip, 2), false, "another network is not reachable");
    assert.equal(await reaches(x, b1.ip, 2), false, "nor from it, even on the same host");
  });
}

test("flat and VLAN through the physical bridge; same segment id on another type or network is isolated", async (t) => {
  const l = await lab(t, { hosts: 2, physical: true });
  await l.startAgent("h1");
  await l.startAgent("h2");
  const vlan101 = await l.network({ name: "v101", type: "vlan", segmentationId: 101 });
  const vlan102 = await l.network({ name: "v102", type: "vlan", segmentationId: 102 });
  const flat = await l.network({ name: "flat", type: "flat" });
  const vx101 = await l.network({ name: "x101", type: "vxlan", segmentationId: 101 });
  const v1 = await l.vm("h1", vlan101, "v1", "198.19.1.1");
  const v2 = await l.vm("h2", vlan101, "v2", "198.19.2.1");
  const v3 = await l.vm("h1", vlan101, "v3", "198.19.1.3");
  const w2 = await l.vm("h2", vlan102, "w2", "198.19.2.2");
  const f1 = await l.vm("h1", flat, "f1", "198.19.1.4");
  const f2 = await l.vm("h2", flat, "f2", "198.19.2.4");
  const x2 = await l.vm("h2", vx101, "x2", "198.19.2.5");
  assert.ok(await reaches(v1, v3.ip), "VLAN, same host");
  assert.ok(await reaches(v1, v2.ip), "VLAN across hosts (tagged 101 on the trunk)");
  assert.ok(await reaches(f1, f2.ip), "flat across hosts (untagged on the trunk)");
  for (const [from, to, why] of [
    [v1, w2, "VLAN 101 vs VLAN 102"],
    [v1, f2, "VLAN 101 vs flat"],
    [f1, w2, "flat vs VLAN 102"],
    [v1, x2, "VLAN 101 vs VXLAN 101"],
    [v2, x2, "VLAN 101 vs VXLAN 101, same host"],
  ] as const) {
    assert.equal(await reaches(from, to.ip, 2), false, `isolated: ${why}`);
  }
});

test("port admin-down cuts the VM off; admin-up brings it back", async (t) => {
  const l = await lab(t, { hosts: 2 });
  await l.startAgent("h1");
  await l.startAgent("h2");
  const net = await l.network({ name: "n", type: "vxlan", segmentationId: 1500 });
  const a = await l.vm("h1", net, "a", "198.19.1.1");
  const b = await l.vm("h2", net, "b", "198.19.2.1");
  const c = await l.vm("h1", net, "c", "198.19.1.2");
  assert.ok(await reaches(a, b.ip));
  await l.api.setPortAdminState(a.portId, false);
  await l.waitDead(a);
  assert.equal(await reaches(a, b.ip, 2), false, "cut off from the other host");
  assert.equal(await reaches(a, c.ip, 2), false, "and from its own host");
  assert.ok(await reaches(b, c.ip), "the others still talk");
  assert.equal(await l.api.portStatus(a.portId), "DOWN");
  await l.api.setPortAdminState(a.portId, true);
  await l.waitInstalled(a);
  assert.ok(await reaches(a, b.ip), "back after admin-up");
  assert.ok(await reaches(a, c.ip));
});

test("ARP responder: br-tun answers for a port on another host", async (t) => {
  const l = await lab(t, { hosts: 2, agent: { arpResponder: true } });
  await l.startAgent("h1");
  await l.startAgent("h2");
  const net = await l.network({ name: "n", type: "vxlan", segmentationId: 1600 });
  const a = await l.vm("h1", net, "a", "198.19.1.1");
  const b = await l.vm("h2", net, "b", "198.19.2.1");
  // b cannot answer ARP itself: its interface is down. Only the responder on h1's br-tun can.
  await ip(["link", "set", "eth0", "down"], b.namespace);
  await reaches(a, b.ip, 1);
  const neigh = await ip(["neigh", "show", b.ip, "dev", "eth0"], a.namespace);
  assert.match(neigh, new RegExp(`lladdr ${b.mac}`), `a learned b's MAC from the responder: ${neigh}`);
});

test("the same VLAN id on two physical networks is two isolated networks", async (t) => {
  const l = await lab(t, {
    hosts: 1,
    physical: true,
    agent: { moreMappings: { physnet2: "br-phys2" } },
    serverConfig: {
      vlanRanges: [
        { physicalNetwork: "physnet1", range: [100, 199] },
        { physicalNetwork: "physnet2", range: [100, 199] },
      ],
    },
  });
  await vsctl(ovsPaths(l.testbed.host("h1").runDir), [
    "add-br",
    "br-phys2",
    "--",
    "set",
    "Bridge",
    "br-phys2",
    "datapath_type=netdev",
  ]);
  await l.startAgent("h1");
  const one = await l.network({ name: "one", type: "vlan", segmentationId: 150 });
  const two = await l.network({
    name: "two",
    type: "vlan",
    segmentationId: 150,
    physicalNetwork: "physnet2",
  });
  const a1 = await l.vm("h1", one, "a1", "198.19.1.1");
  const a2 = await l.vm("h1", one, "a2", "198.19.1.2");
  const b1 = await l.vm("h1", two, "b1", "198.19.1.3");
  const b2 = await l.vm("h1", two, "b2", "198.19.1.4");
  assert.ok(await reaches(a1, a2.ip));
  assert.ok(await reaches(b1, b2.ip));
  assert.equal(await reaches(a1, b1.ip, 2), false, "VLAN 150 on physnet1 is not VLAN 150 on physnet2");
  assert.equal(await reaches(b2, a2.ip, 2), false);
  assert.notEqual((await l.vifState(a1)).tag, (await l.vifState(b1)).tag, "two local VLANs");
});
