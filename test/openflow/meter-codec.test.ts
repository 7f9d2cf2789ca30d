// Meter messages and the meter action, byte by byte against layouts derived from OVS's
// include/openflow/openflow-1.3.h (ofp13_meter_mod, ofp13_meter_band_drop, ofp13_meter_multipart_request,
// ofp13_meter_config, ofp13_meter_features) and ofp-actions.c (OFPAT_RAW15_METER, OFPIT13_METER).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  actions as A,
  type Meter,
  MeterModCommand,
  meter,
  OpenFlowDecodeError,
} from "../../src/openflow/index.ts";
import {
  decodeMessage,
  meterConfigRequest,
  meterFeaturesRequest,
  meterModMessage,
  meterStatsRequest,
  Reader,
  readInstructions,
  readMeterConfigs,
  readMeterFeatures,
  readMeterStats,
  Writer,
  writeInstructions,
} from "../../src/openflow/internal.ts";

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ""), "hex");

const seven = meter({
  id: 7,
  unit: "kbps",
  burst: true,
  stats: true,
  bands: [{ rate: 1000, burstSize: 100 }],
});

test("a meter add is header, command, flags, id, then one 16-byte band per band", () => {
  assert.equal(
    meterModMessage(0x11, MeterModCommand.add, seven).toString("hex"),
    hex(
      "06 1d 0020 00000011" + // OF1.5, OFPT_METER_MOD (29), length 32, xid
        "0000 000d 00000007" + // OFPMC_ADD, KBPS|BURST|STATS, meter 7
        "0001 0010 000003e8 00000064 00000000", // OFPMBT_DROP, len 16, rate 1000, burst 100, pad
    ).toString("hex"),
  );
  const two = meter({ id: 0x10000, unit: "pktps", bands: [{ rate: 50 }, { rate: 10 }] });
  assert.equal(
    meterModMessage(2, MeterModCommand.modify, two).toString("hex"),
    hex(
      "06 1d 0030 00000002" +
        "0001 0002 00010000" + // OFPMC_MODIFY, PKTPS, meter 65536
        "0001 0010 0000000a 0000000a 00000000" + // bands sorted by rate; burst size = rate
        "0001 0010 00000032 00000032 00000000",
    ).toString("hex"),
  );
});

test("a meter delete carries the id alone, whether given a meter or an id", () => {
  const expected = hex("06 1d 0010 00000003 0002 0000 00000007").toString("hex");
  assert.equal(meterModMessage(3, MeterModCommand.delete, seven).toString("hex"), expected);
  assert.equal(meterModMessage(3, MeterModCommand.delete, 7).toString("hex"), expected);
});

test("meter config and features requests are multipart types 10 and 11", () => {
  assert.equal(
    meterConfigRequest(5).toString("hex"),
    hex("06 12 0018 00000005 000a 0000 00000000 ffffffff 00000000").toString("hex"),
  );
  assert.equal(
    meterFeaturesRequest(5).toString("hex"),
    hex("06 12 0010 00000005 000b 0000 00000000").toString("hex"),
  );
});

test("a meter config reply decodes to meters equal to the ones written, bands in canonical order", () => {
  const body = hex(
    "0018 000d 00000007 0001 0010 000003e8 00000064 00000000" + // meter 7 as written above
      "0028 0001 00000009" + // meter 9, kbps, no burst flag: two bands in the switch's order
      "0001 0010 000007d0 000007d0 00000000" +
      "0001 0010 000003e8 00000000 00000000", // burst size 0 (a datapath that keeps it): means the rate
  );
  const meters = readMeterConfigs(new Reader(body, "test"));
  assert.deepEqual(meters, [seven, meter({ id: 9, unit: "kbps", bands: [{ rate: 2000 }, { rate: 1000 }] })]);
  assert.deepEqual(meters[1]!.bands, [
    { type: "drop", rate: 1000, burstSize: 1000 },
    { type: "drop", rate: 2000, burstSize: 2000 },
  ]);
});

test("a meter written and read back through the wire is unchanged, for every shape the builder makes", () => {
  const shapes: Meter[] = [
    seven,
    meter({ id: 1, unit: "pktps", bands: [{ rate: 1 }] }),
    meter({ id: 0xffff0000, unit: "kbps", burst: true, bands: [{ rate: 3, burstSize: 9 }, { rate: 2 }] }),
    meter({
      id: 42,
      unit: "pktps",
      stats: true,
      bands: Array.from({ length: 8 }, (_, i) => ({ rate: 8 - i })),
    }),
  ];
  for (const m of shapes) {
    const message = meterModMessage(1, MeterModCommand.add, m);
    // A config entry is the meter mod's body with the command replaced by the entry's length.
    const entry = Buffer.from(message.subarray(8));
    entry.writeUInt16BE(entry.length, 0);
    assert.deepEqual(readMeterConfigs(new Reader(entry, "test")), [m]);
  }
});

test("a dscp_remark band from another switch decodes; bad lengths and unit flags are decode errors", () => {
  const remark = hex("0018 0002 00000003 0002 0010 00000064 00000000 02000000");
  assert.deepEqual(readMeterConfigs(new Reader(remark, "test"))[0]!.bands, [
    { type: "dscp_remark", rate: 100, burstSize: 100, precLevel: 2 },
  ]);
  assert.throws(
    () => readMeterConfigs(new Reader(hex("0018 0003 00000003 0001 0010 00000064 00000000 00000000"), "t")),
    /meter 3 has flags 0x3: not exactly one of kbps, pktps/,
  );
  assert.throws(
    () => readMeterConfigs(new Reader(hex("0018 0001 00000003 0001 0018 00000064 00000000 00000000"), "t")),
    /meter band of length 24/,
  );
});

test("a meter features reply decodes to maxima, band types and capabilities", () => {
  // What OVS 3.1's userspace datapath answers (ovs-ofctl meter-features: max_meter 262144, max_bands 8).
  const body = hex("00040000 00000002 0000000f 08 00 0000");
  assert.deepEqual(readMeterFeatures(new Reader(body, "test")), {
    maxMeters: 262144,
    bandTypes: ["drop"],
    capabilities: ["kbps", "pktps", "burst", "stats"],
    maxBands: 8,
    maxColor: 0,
  });
  const reply = decodeMessage(
    hex("06 13 0020 00000009 000b 0000 00000000 00040000 00000006 00000005 01 00 0000"),
  );
  assert.ok(reply.type === "multipart_reply" && reply.multipartType === 11);
  assert.deepEqual(reply.type === "multipart_reply" && readMeterFeatures(reply.body).bandTypes, [
    "drop",
    "dscp_remark",
  ]);
});

function instructions(actions: Parameters<typeof writeInstructions>[1]): string {
  const w = new Writer();
  writeInstructions(w, actions);
  return w.finish().toString("hex");
}

test("the meter action is OFPAT_METER (29) inside apply_actions, first, and reads back", () => {
  const actions = [A.meter(7), A.output(1)];
  const bytes = instructions(actions);
  assert.equal(
    bytes,
    hex(
      "0004 0020 00000000" + // OFPIT_APPLY_ACTIONS, length 32
        "001d 0008 00000007" + // OFPAT_METER, length 8, meter 7
        "0000 0010 00000001 0000 000000000000", // output:1
    ).toString("hex"),
  );
  assert.deepEqual(readInstructions(new Reader(Buffer.from(bytes, "hex"), "test")), actions);
});

test("OpenFlow 1.3's meter instruction decodes to the meter action, first, before goto_table's place", () => {
  const bytes = hex(
    "0004 0018 00000000 0000 0010 00000001 0000 000000000000" + // apply_actions: output:1
      "0006 0008 00000009" + // OFPIT13_METER, meter 9 (after apply_actions, as 1.3 orders instructions)
      "0001 0008 05 000000", // goto_table:5
  );
  assert.deepEqual(readInstructions(new Reader(bytes, "test")), [A.meter(9), A.output(1), A.gotoTable(5)]);
});

test("meter stats: the request names the meter; each reply entry is id, length, counts, duration, then per band", () => {
  assert.equal(
    meterStatsRequest(0x22).toString("hex"),
    hex("06 12 0018 00000022  0009 0000 00000000  ffffffff 00000000").toString("hex"),
  );
  const entry = (id: number, bands: string) =>
    hex(
      `${id.toString(16).padStart(8, "0")} ${(40 + hex(bands).length).toString(16).padStart(4, "0")} 000000000000` +
        "00000002 0000000000000190 0000000000019000 0000000a 00000000" + // 2 flows, 400 packets, 102400 bytes, 10 s
        bands,
    );
  const body = Buffer.concat([
    entry(0x20007, "000000000000017e 0000000000017e00"), // one band: 382 packets dropped
    entry(8, ""),
  ]);
  const stats = readMeterStats(new Reader(body, "meter stats"));
  assert.deepEqual(stats, [
    { id: 0x20007, flowCount: 2, packetsIn: 400n, bytesIn: 102400n, bandPackets: [382n] },
    { id: 8, flowCount: 2, packetsIn: 400n, bytesIn: 102400n, bandPackets: [] },
  ]);
  assert.throws(() => readMeterStats(new Reader(body.subarray(0, 30), "meter stats")), OpenFlowDecodeError);
});
