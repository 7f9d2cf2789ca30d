// ip_dscp (OXM_OF_IP_DSCP: class 0x8000, field 8, one byte holding the 6-bit DSCP) byte by byte, and every
// form in which Open vSwitch may hand a DSCP write back decoding to the same set_field action.
import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidArgumentError } from "../../src/base/index.ts";
import { actions as A, flow, formatFlow, match } from "../../src/openflow/index.ts";
import {
  Reader,
  readActions,
  readMatch,
  Writer,
  writeAction,
  writeMatch,
} from "../../src/openflow/internal.ts";

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ""), "hex");
const decode = (bytes: Buffer) => readActions(new Reader(bytes, "test"));

test("set_field ip_dscp is OFPAT_SET_FIELD with the one-byte OXM_OF_IP_DSCP, padded to 16 bytes", () => {
  const w = new Writer();
  writeAction(w, A.setField("ip_dscp", 26));
  // type 25, length 16, header 0x8000 | field 8 << 9 | length 1 = 0x80001001, value 26, 7 bytes of pad.
  assert.equal(w.finish().toString("hex"), hex("0019 0010 80001001 1a 00000000000000").toString("hex"));
  assert.deepEqual(decode(w.finish()), [{ type: "set_field", field: "ip_dscp", value: 26n }]);
});

test("every DSCP write OVS may send back decodes to the same set_field ip_dscp", () => {
  const canonical = [A.setField("ip_dscp", 26)];
  // set_field:104->nw_tos: NXM_OF_IP_TOS (class 0, field 5, length 1), the DSCP unshifted (26 << 2).
  assert.deepEqual(decode(hex("0019 0010 00000a01 68 00000000000000")), canonical);
  // mod_nw_tos:104 sent as the deprecated OFPAT_SET_NW_TOS (7): the TOS byte, 3 bytes of pad.
  assert.deepEqual(decode(hex("0007 0008 68 000000")), canonical);
  // load:26->NXM_OF_IP_TOS[2..7] as NXAST_REG_LOAD (subtype 7): ofs_nbits = 2 << 6 | 5, value 26.
  assert.deepEqual(decode(hex("ffff 0018 00002320 0007 0085 00000a01 000000000000001a")), canonical);
  // A load of one DSCP bit (OVS dumps it as set_field:4/0x4->nw_tos): a masked ip_dscp write.
  const oneBit = [{ type: "set_field", field: "ip_dscp", value: 1n, mask: 1n }];
  assert.deepEqual(decode(hex("0019 0010 00000b02 04 04 000000000000")), oneBit);
  assert.deepEqual(A.load(1, A.subfield("ip_dscp", 0, 0)), oneBit[0]);
  // A write that touches the ECN bits is not a DSCP write: kept whole.
  assert.deepEqual(decode(hex("0019 0010 00000a01 69 00000000000000")), [
    { type: "unknown", bytes: hex("0019 0010 00000a01 69 00000000000000") },
  ]);
});

test("a match on ip_dscp is the OXM TLV 0x80001001 and reads back equal; NXM_OF_IP_TOS reads as ip_dscp", () => {
  const m = match({ eth_type: 0x86dd, ip_dscp: 10 });
  const w = new Writer();
  writeMatch(w, m);
  assert.equal(
    w.finish().toString("hex"),
    hex("0001 000f 80000a02 86dd 80001001 0a 00").toString("hex"), // OXM match: eth_type, ip_dscp, pad
  );
  assert.deepEqual(readMatch(new Reader(w.finish(), "test")), m);
  assert.deepEqual(readMatch(new Reader(hex("0001 000f 80000a02 86dd 00000a01 28 00"), "test")), m);
});

test("ip_dscp is 6 bits, unmaskable, and needs an IP eth_type in the match", () => {
  const fails = (fn: () => unknown, text: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof InvalidArgumentError && text.test(e.message));
  fails(() => A.setField("ip_dscp", 64), /set_field ip_dscp: .*does not fit in 6 bits/);
  fails(() => A.setField("ip_dscp", "26/0x3f"), /set_field ip_dscp: cannot be masked/);
  fails(() => match({ ip_dscp: 26 }), /match\.ip_dscp: needs eth_type=0x0800 or 0x86dd/);
  fails(() => match({ eth_type: 0x800, ip_dscp: [26, 0x3c] }), /match\.ip_dscp: cannot be masked/);
  fails(
    () => flow({ match: { eth_type: 0x806 }, actions: [A.setField("ip_dscp", 26)] }),
    /set_field ip_dscp: needs eth_type=0x0800 or 0x86dd/,
  );
  const f = flow({
    match: { eth_type: 0x800, ip_dscp: 46 },
    actions: [A.setField("ip_dscp", 26), A.output(2)],
  });
  assert.equal(
    formatFlow(f, { cookie: false }),
    "table=0,priority=32768,eth_type=0x800,ip_dscp=46 actions=set_field:26->ip_dscp,output:2",
  );
});

test("a write of some DSCP bits renders as a load, the only form ovs-ofctl takes for an unmaskable field", () => {
  const f = flow({
    match: { eth_type: 0x86dd },
    actions: [A.load(1, A.subfield("ip_dscp", 0, 0)), A.load(5, A.subfield("ip_dscp", 1, 3))],
  });
  assert.equal(
    formatFlow(f, { cookie: false }),
    "table=0,priority=32768,eth_type=0x86dd actions=load:0x1->OXM_OF_IP_DSCP[0],load:0x5->OXM_OF_IP_DSCP[1..3]",
  );
});
