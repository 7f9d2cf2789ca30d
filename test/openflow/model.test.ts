import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidArgumentError } from "../../src/base/index.ts";
import { actions as A, flow, formatFlow, match } from "../../src/openflow/index.ts";

const fails = (fn: () => unknown, field: RegExp) =>
  assert.throws(fn, (error: unknown) => error instanceof InvalidArgumentError && field.test(error.message));

test("bad values are refused before anything reaches a switch, naming the field", () => {
  fails(() => match({ vlan_tci: 0x1_0000 }), /match\.vlan_tci: .*does not fit in 16 bits/);
  fails(() => match({ eth_dst: "fa:16:3e:00:00" }), /match\.eth_dst: .*not a valid mac value/);
  fails(() => match({ ip_dst: "198.19.0.0/33" }), /prefix \/33 is longer than 32 bits/);
  fails(() => match({ ip_dst: "10.0.0.1" }), /match\.ip_dst: needs eth_type=0x0800/);
  fails(() => match({ eth_type: 0x800, tcp_dst: 80 }), /match\.tcp_dst: needs an IP eth_type and ip_proto=6/);
  fails(() => match({ eth_type: [0x800, 0xff00] }), /match\.eth_type: cannot be masked/);
  fails(() => match({ no_such: 1 }), /match\.no_such: unknown field/);
  fails(() => match({ vlan_vid: 5 }), /match vlan_tci instead/);
  fails(() => flow({ table: 255 }), /table: 255 is outside 0\.\.254/);
  fails(() => flow({ priority: 70000 }), /priority: 70000/);
  fails(
    () => flow({ table: 10, actions: [A.gotoTable(5)] }),
    /goto_table: goes to table 5, not after this flow's table 10/,
  );
  fails(() => flow({ actions: [A.gotoTable(5), A.output(1)] }), /goto_table: must be the last action/);
  fails(() => A.load(256, A.subfield("reg0", 0, 7)), /load: 256 does not fit in 8 bits/);
  fails(() => A.subfield("reg0", 30, 33), /reg0\[30\.\.33\]: bits must lie within 0\.\.31/);
  fails(() => A.move(A.subfield("eth_src"), A.subfield("reg0")), /source has 48 bits, destination 32/);
  fails(() => A.setVlanVid(4096), /vlan_vid: 4096 is outside 0\.\.4095/);
  fails(
    () => flow({ actions: [A.setField("ip_dst", "198.19.0.1")] }),
    /set_field ip_dst: needs eth_type=0x0800/,
  );
  fails(() => flow({ actions: [A.setVlanVid(5)] }), /set_field vlan_vid: needs a VLAN tag/);
  fails(() => A.setField("ct_state", 1), /set_field ct_state: is read-only/);
  fails(() => A.conjunction(1, 3, 2), /conjunction clause: 3 is outside 1\.\.2/);
  fails(() => A.ct({ actions: [A.setField("ct_mark", 1)] }), /setting ct_mark or ct_label needs commit/);
});

test("matches are canonical: masks normalised, full masks dropped, prerequisites first", () => {
  assert.deepEqual(match({ ip_dst: "198.19.5.7/16", eth_type: 0x800 }), [
    { field: "eth_type", value: 0x800n },
    { field: "ip_dst", value: 0xc6130000n, mask: 0xffff0000n },
  ]);
  assert.deepEqual(match({ eth_dst: ["fa:16:3e:00:00:01", "ff:ff:ff:ff:ff:ff"] }), [
    { field: "eth_dst", value: 0xfa163e000001n },
  ]);
  assert.deepEqual(match({ reg0: [5, 0] }), [], "a zero mask matches anything");
  // "No VLAN": the priority bits are meaningless and dropped, as OVS does.
  assert.deepEqual(match({ vlan_tci: 0 }), [{ field: "vlan_tci", value: 0n, mask: 0x1fffn }]);
  assert.deepEqual(match({ vlan_tci: [0x1005, 0x1fff] }), [
    { field: "vlan_tci", value: 0x1005n, mask: 0x1fffn },
  ]);
});

test("flows render in ovs-ofctl syntax", () => {
  const f = flow({
    table: 10,
    priority: 1,
    cookie: 0x57000100000000a1n,
    match: { vlan_tci: [0x1001, 0x1fff], eth_dst: "fa:16:3e:00:00:01" },
    actions: [
      A.popVlan,
      A.setTunnel(100),
      A.load(2, A.subfield("arp_op")),
      A.move(A.subfield("reg6", 0, 15), A.subfield("reg7", 16, 31)),
      A.ct({
        commit: true,
        zone: A.subfield("reg6", 0, 15),
        table: 72,
        actions: [A.load(1, A.subfield("ct_mark", 0, 0))],
      }),
      A.conjunction(8, 1, 2),
      A.note("hi"),
      A.resubmit(20),
      A.output(3),
      A.normal,
      A.controller(),
      A.gotoTable(20),
    ].filter((a) => a.type !== "set_field" || a.field !== "arp_op"),
  });
  assert.equal(
    formatFlow(f),
    "cookie=0x57000100000000a1,table=10,priority=1,eth_dst=fa:16:3e:00:00:01,vlan_tci=0x1001/0x1fff actions=pop_vlan,set_field:0x64->tun_id,move:NXM_NX_REG6[0..15]->NXM_NX_REG7[16..31],ct(commit,zone=NXM_NX_REG6[0..15],table=72,exec(set_field:0x1/0x1->ct_mark)),conjunction(8,1/2),note:68.69.00.00.00.00,resubmit(,20),output:3,NORMAL,CONTROLLER:65535,goto_table:20",
  );
  assert.equal(
    formatFlow(flow({ table: 0, priority: 0 }), { cookie: false }),
    "table=0,priority=0 actions=drop",
  );
});
