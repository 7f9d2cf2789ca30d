import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEAD_VLAN,
  LocalVlanExhaustedError,
  LocalVlans,
  MAX_LVID,
  MIN_LVID,
  portNetworkKeys,
  type Segment,
  segmentFromOtherConfig,
  segmentToOtherConfig,
} from "../../src/agent/internal.ts";

const vxlan = (id: number): Segment => ({ networkType: "vxlan", physicalNetwork: null, segmentationId: id });
const vlan100: Segment = { networkType: "vlan", physicalNetwork: "physnet1", segmentationId: 100 };
const net = (i: number) => `net-${i}`;

test("the range is 1-4094 and the dead VLAN is 4095", () => {
  assert.equal(MIN_LVID, 1);
  assert.equal(MAX_LVID, 4094);
  assert.equal(DEAD_VLAN, 4095);
});

test("allocate hands out VLANs from 1 upwards, one per network, and records them both ways", () => {
  const vlans = new LocalVlans();
  assert.equal(vlans.size, 0);
  const a = vlans.allocate("net-a", vxlan(1000));
  const b = vlans.allocate("net-b", vlan100);
  assert.deepEqual(a, { networkId: "net-a", lvid: 1, ...vxlan(1000) });
  assert.deepEqual(b, { networkId: "net-b", lvid: 2, ...vlan100 });
  assert.equal(vlans.size, 2);
  assert.deepEqual(vlans.get("net-a"), a);
  assert.equal(vlans.get("net-c"), undefined);
  assert.equal(vlans.networkOf(1), "net-a");
  assert.equal(vlans.networkOf(2), "net-b");
  assert.equal(vlans.networkOf(3), undefined);
  assert.deepEqual(
    vlans
      .all()
      .map((v) => [v.networkId, v.lvid])
      .sort(),
    [
      ["net-a", 1],
      ["net-b", 2],
    ],
  );
});

test("allocate on a network that has a VLAN keeps the VLAN and takes the new segment", () => {
  const vlans = new LocalVlans();
  vlans.allocate("net-a", vxlan(1000));
  vlans.allocate("net-b", vxlan(1001));
  const again = vlans.allocate("net-a", vxlan(2000));
  assert.deepEqual(again, { networkId: "net-a", lvid: 1, ...vxlan(2000) });
  assert.deepEqual(vlans.get("net-a"), again);
  assert.equal(vlans.networkOf(1), "net-a");
  assert.equal(vlans.size, 2);
  // The cursor did not move: the next new network gets 3.
  assert.equal(vlans.allocate("net-c", vxlan(1002)).lvid, 3);
});

test("release frees the VLAN, and a just-freed VLAN is not handed out again at once", () => {
  const vlans = new LocalVlans();
  vlans.allocate("net-a", vxlan(1));
  vlans.allocate("net-b", vxlan(2));
  const released = vlans.release("net-a");
  assert.deepEqual(released, { networkId: "net-a", lvid: 1, ...vxlan(1) });
  assert.equal(vlans.get("net-a"), undefined);
  assert.equal(vlans.networkOf(1), undefined);
  assert.equal(vlans.size, 1);
  assert.equal(vlans.allocate("net-c", vxlan(3)).lvid, 3);
  // Releasing the newest one does not make it the next either.
  vlans.release("net-c");
  assert.equal(vlans.allocate("net-d", vxlan(4)).lvid, 4);
  assert.equal(vlans.release("net-a"), undefined, "a second release finds nothing");
  assert.equal(vlans.release("never-seen"), undefined);
});

test("4094 networks get 1-4094 each once, never 4095; the next one is an exhaustion error", () => {
  const vlans = new LocalVlans();
  const seen = new Set<number>();
  for (let i = 0; i < MAX_LVID; i++) seen.add(vlans.allocate(net(i), vxlan(i + 1)).lvid);
  assert.equal(seen.size, MAX_LVID);
  assert.equal(Math.min(...seen), 1);
  assert.equal(Math.max(...seen), MAX_LVID);
  assert.ok(!seen.has(DEAD_VLAN));
  assert.equal(vlans.size, MAX_LVID);
  assert.throws(
    () => vlans.allocate("one-too-many", vxlan(9999)),
    (error: unknown) =>
      error instanceof LocalVlanExhaustedError && /all 4094 local VLANs/.test(error.message),
  );
  assert.equal(vlans.get("one-too-many"), undefined);
  assert.equal(vlans.size, MAX_LVID);
  // A network that already has its VLAN is still served when the table is full.
  assert.equal(vlans.allocate(net(5), vxlan(77)).lvid, 6);
});

test("after the top of the range, allocation wraps round to the lowest free VLAN", () => {
  const vlans = new LocalVlans();
  for (let i = 0; i < MAX_LVID; i++) vlans.allocate(net(i), vxlan(i + 1));
  // net(i) holds lvid i + 1.
  vlans.release(net(9)); // 10
  vlans.release(net(4)); // 5
  vlans.release(net(4093)); // 4094
  assert.equal(vlans.allocate("x", vxlan(1)).lvid, 5);
  assert.equal(vlans.allocate("y", vxlan(2)).lvid, 10);
  assert.equal(vlans.allocate("z", vxlan(3)).lvid, 4094);
  assert.throws(() => vlans.allocate("w", vxlan(4)), LocalVlanExhaustedError);
});

test("restore takes over a VLAN found in OVSDB; allocation continues above the highest restored", () => {
  const vlans = new LocalVlans();
  assert.equal(vlans.restore("net-a", 10, vxlan(1)), true);
  assert.equal(vlans.restore("net-b", 5, vlan100), true);
  assert.deepEqual(vlans.get("net-a"), { networkId: "net-a", lvid: 10, ...vxlan(1) });
  assert.equal(vlans.networkOf(5), "net-b");
  assert.equal(vlans.allocate("net-c", vxlan(3)).lvid, 11);
});

test("restoring the top VLAN makes the next allocation wrap to 1", () => {
  const vlans = new LocalVlans();
  assert.equal(vlans.restore("net-a", MAX_LVID, vxlan(1)), true);
  assert.equal(vlans.allocate("net-b", vxlan(2)).lvid, 1);
});

test("restore is idempotent for the same network and VLAN (two ports of one network)", () => {
  const vlans = new LocalVlans();
  assert.equal(vlans.restore("net-a", 7, vxlan(1)), true);
  assert.equal(vlans.restore("net-a", 7, vxlan(1)), true);
  assert.equal(vlans.size, 1);
});

test("restore refuses a VLAN held by another network, and a second VLAN for one network", () => {
  const vlans = new LocalVlans();
  vlans.restore("net-a", 7, vxlan(1));
  assert.equal(vlans.restore("net-b", 7, vxlan(2)), false);
  assert.equal(vlans.networkOf(7), "net-a");
  assert.equal(vlans.get("net-b"), undefined);
  assert.equal(vlans.restore("net-a", 8, vxlan(1)), false);
  assert.equal(vlans.get("net-a")?.lvid, 7);
  assert.equal(vlans.networkOf(8), undefined);
  assert.equal(vlans.size, 1);
});

test("restore refuses VLANs outside 1-4094 (the dead VLAN included)", () => {
  const vlans = new LocalVlans();
  for (const lvid of [0, -1, DEAD_VLAN, 4096, 1.5, Number.NaN]) {
    assert.equal(vlans.restore("net-a", lvid, vxlan(1)), false, `lvid ${lvid}`);
  }
  assert.equal(vlans.size, 0);
  assert.equal(vlans.allocate("net-a", vxlan(1)).lvid, 1, "the refused ones did not move the cursor");
});

test("allocate skips VLANs that restore took", () => {
  const vlans = new LocalVlans();
  vlans.restore("net-a", MAX_LVID, vxlan(1));
  vlans.restore("net-b", 1, vxlan(2));
  // The cursor is at 4094: the next is 1 after wrapping, which net-b holds.
  assert.equal(vlans.allocate("net-c", vxlan(3)).lvid, 2);
  assert.equal(vlans.networkOf(1), "net-b");
});

test("segmentToOtherConfig writes Neutron's keys, None for missing values", () => {
  assert.deepEqual(segmentToOtherConfig("net-a", vlan100), {
    net_uuid: "net-a",
    network_type: "vlan",
    physical_network: "physnet1",
    segmentation_id: "100",
  });
  assert.deepEqual(
    segmentToOtherConfig("net-b", { networkType: "flat", physicalNetwork: "physnet2", segmentationId: null }),
    { net_uuid: "net-b", network_type: "flat", physical_network: "physnet2", segmentation_id: "None" },
  );
  assert.deepEqual(segmentToOtherConfig("net-c", vxlan(5000)), {
    net_uuid: "net-c",
    network_type: "vxlan",
    physical_network: "None",
    segmentation_id: "5000",
  });
  assert.deepEqual(Object.keys(segmentToOtherConfig("n", vlan100)).sort(), [...portNetworkKeys].sort());
});

test("segmentFromOtherConfig reads back what segmentToOtherConfig wrote", () => {
  const segments: Segment[] = [
    vlan100,
    { networkType: "flat", physicalNetwork: "physnet2", segmentationId: null },
    vxlan(16777215),
    { networkType: "gre", physicalNetwork: null, segmentationId: 42 },
    { networkType: "geneve", physicalNetwork: null, segmentationId: 7 },
  ];
  for (const segment of segments) {
    assert.deepEqual(segmentFromOtherConfig(segmentToOtherConfig("net-x", segment)), {
      networkId: "net-x",
      ...segment,
    });
  }
});

test("segmentFromOtherConfig treats missing physical_network / segmentation_id as None and ignores other keys", () => {
  assert.deepEqual(
    segmentFromOtherConfig({ net_uuid: "net-a", network_type: "flat", tag: "3", foo: "bar" }),
    {
      networkId: "net-a",
      networkType: "flat",
      physicalNetwork: null,
      segmentationId: null,
    },
  );
});

test("segmentFromOtherConfig returns undefined for no record or garbage", () => {
  const good = segmentToOtherConfig("net-a", vlan100);
  assert.equal(segmentFromOtherConfig({}), undefined);
  const { net_uuid: _n, ...noNetwork } = good;
  assert.equal(segmentFromOtherConfig(noNetwork), undefined);
  const { network_type: _t, ...noType } = good;
  assert.equal(segmentFromOtherConfig(noType), undefined);
  assert.equal(segmentFromOtherConfig({ ...good, network_type: "local" }), undefined);
  assert.equal(segmentFromOtherConfig({ ...good, network_type: "VLAN" }), undefined);
  assert.equal(segmentFromOtherConfig({ ...good, segmentation_id: "abc" }), undefined);
  assert.equal(segmentFromOtherConfig({ ...good, segmentation_id: "1.5" }), undefined);
  assert.equal(segmentFromOtherConfig({ ...good, segmentation_id: "none" }), undefined);
});

test("segmentFromOtherConfig treats an empty segmentation_id as garbage", () => {
  const good = segmentToOtherConfig("net-a", vxlan(5));
  assert.equal(segmentFromOtherConfig({ ...good, segmentation_id: "" }), undefined);
});
