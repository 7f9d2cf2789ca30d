// Punted-packet messages byte by byte, against the layouts of OVS's include/openflow/openflow-1.5.h
// (ofp_switch_config, ofp15_packet_out) and openflow-1.3.h (ofp13_packet_in, which 1.5 keeps).
import assert from "node:assert/strict";
import { test } from "node:test";
import { actions as A, OpenFlowDecodeError, packetInPort } from "../../src/openflow/index.ts";
import {
  decodeMessage,
  PacketInReason,
  packetOutMessage,
  Reader,
  readActions,
  readPacketIn,
  readPacketIn2,
  setConfigMessage,
  setPacketInFormatMessage,
  Writer,
  writeAction,
} from "../../src/openflow/internal.ts";

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ""), "hex");

test("SET_CONFIG is flags FRAG_NORMAL and miss_send_len", () => {
  assert.equal(
    setConfigMessage(0x21, 0xffff).toString("hex"),
    hex("06 09 000c 00000021  0000 ffff").toString("hex"),
  );
  assert.equal(setConfigMessage(1, 128).subarray(10).toString("hex"), "0080");
});

const frame = hex("ffffffffffff 020000000001 0800 45000014"); // 18 bytes: enough to be a packet

const packetInBytes = (body: string) => {
  const b = hex(body);
  const h = Buffer.alloc(8);
  h.writeUInt8(6, 0);
  h.writeUInt8(10, 1);
  h.writeUInt16BE(8 + b.length, 2);
  h.writeUInt32BE(0, 4);
  return Buffer.concat([h, b]);
};

test("a packet-in gives buffer id, total length, reason, table, cookie, the match and the data", () => {
  const bytes = packetInBytes(
    "ffffffff 0030 01 05 5700010000000009" + // no buffer, 48 bytes in all, action, table 5, cookie
      "0001 0018 80000004 00000007 80000408 000000000000abcd" + // match: in_port 7, metadata 0xabcd (24 bytes, no padding)
      "0000" + // pad
      frame.toString("hex"),
  );
  const message = decodeMessage(bytes);
  assert.equal(message.type, "packet_in");
  if (message.type !== "packet_in") return;
  const p = readPacketIn(message.body);
  assert.equal(p.bufferId, 0xffffffff);
  assert.equal(p.totalLength, 48);
  assert.equal(p.reason, PacketInReason.applyAction);
  assert.equal(p.tableId, 5);
  assert.equal(p.cookie, 0x5700010000000009n);
  assert.equal(packetInPort(p), 7);
  assert.equal(p.match.find((f) => f.field === "metadata")?.value, 0xabcdn);
  assert.deepEqual(Buffer.from(p.data), frame);
});

test("a truncated packet-in is an OpenFlowDecodeError, never a RangeError", () => {
  const whole = packetInBytes(
    `ffffffff 0012 01 00 0000000000000001 0001 000c 80000004 00000001 00000000 0000 ${frame.toString("hex")}`,
  );
  // Every cut inside the fixed part and the match; a cut in the data is just a shorter packet.
  for (let cut = 8; cut < 8 + 16 + 16 + 2; cut++) {
    const bytes = Buffer.from(whole.subarray(0, cut));
    bytes.writeUInt16BE(cut, 2);
    assert.throws(
      () => {
        const m = decodeMessage(bytes);
        if (m.type === "packet_in") readPacketIn(m.body);
      },
      OpenFlowDecodeError,
      `cut at ${cut}`,
    );
  }
});

test("a packet-out carries no buffer, the actions' length, in_port as a match, the actions and the data", () => {
  const bytes = packetOutMessage(0x33, { inPort: 0xfffffffd, actions: [A.output(4)], data: frame });
  assert.equal(
    bytes.toString("hex"),
    hex(
      "06 0d 0042 00000033" + // OFPT_PACKET_OUT, 66 bytes
        "ffffffff 0010 0000" + // OFP_NO_BUFFER, actions_len 16, pad
        "0001 000c 80000004 fffffffd 00000000" + // match: in_port CONTROLLER, padded to 16
        "0000 0010 00000004 0000 000000000000" + // OFPAT_OUTPUT port 4, max_len 0 (only CONTROLLER's counts)
        frame.toString("hex"),
    ).toString("hex"),
  );
});

test("NXT_SET_PACKET_IN_FORMAT is a Nicira header and the format (2: NXT_PACKET_IN2)", () => {
  assert.equal(
    setPacketInFormatMessage(7, 2).toString("hex"),
    hex("06 04 0014 00000007  00002320 00000010  00000002").toString("hex"),
  );
});

test("an NXT_PACKET_IN2 gives its properties: packet, table, cookie, reason, metadata, userdata", () => {
  const body =
    "0000 0016" +
    frame.toString("hex") +
    "0000" + // NXPINT_PACKET: 4 + 18 bytes, padded to 24
    "0003 0005 05 000000" + // NXPINT_TABLE_ID 5
    "0004 0010 00000000 5700010000000009" + // NXPINT_COOKIE: 4 + 4 zeros + u64, as ofpprop_put_be64 aligns it
    "0005 0005 01 000000" + // NXPINT_REASON action
    "0006 000c 80000004 00000007 00000000" + // NXPINT_METADATA: in_port 7 (raw OXM), padded
    "0007 0007 c0ffee 00" + // NXPINT_USERDATA, 3 bytes
    "0008 0008 00000000"; // NXPINT_CONTINUATION: ignored
  const h = Buffer.alloc(16);
  h.writeUInt8(6, 0);
  h.writeUInt8(4, 1);
  h.writeUInt16BE(16 + hex(body).length, 2);
  h.writeUInt32BE(0x2320, 8);
  h.writeUInt32BE(30, 12);
  const message = decodeMessage(Buffer.concat([h, hex(body)]));
  assert.equal(message.type, "packet_in");
  if (message.type !== "packet_in") return;
  assert.equal(message.format, "nxt2");
  const p = readPacketIn2(message.body);
  assert.deepEqual(Buffer.from(p.data), frame);
  assert.equal(p.totalLength, frame.length);
  assert.equal(p.tableId, 5);
  assert.equal(p.cookie, 0x5700010000000009n);
  assert.equal(p.reason, PacketInReason.applyAction);
  assert.equal(packetInPort(p), 7);
  assert.deepEqual(p.userdata, hex("c0ffee"));
  // Every truncation is a decode error, not a crash (a cut at a property boundary loses the packet only
  // when the cut comes before it).
  const whole = hex(body);
  for (let cut = 1; cut < whole.length; cut++) {
    try {
      readPacketIn2(new Reader(whole.subarray(0, cut), "packet-in2"));
    } catch (error) {
      assert.ok(error instanceof OpenFlowDecodeError, `cut at ${cut}: ${error}`);
    }
  }
  assert.throws(() => readPacketIn2(new Reader(hex("0003 0005 05 000000"), "p")), /without its packet/);
});

test("controller(userdata=…) is NXAST_CONTROLLER2 with properties only where not the default, and reads back", () => {
  const encode = (a: ReturnType<typeof A.controllerWith>) => {
    const w = new Writer(64);
    writeAction(w, a);
    return w.finish();
  };
  const plain = encode(A.controllerWith(hex("0102030405")));
  assert.equal(
    plain.toString("hex"),
    hex(
      "ffff 0020 00002320 0025 000000000000" + // NX action, 32 bytes, subtype 37, pad
        "0003 0009 0102030405 00000000000000", // NXAC2PT_USERDATA, 4 + 5 bytes, padded to 16
    ).toString("hex"),
  );
  const short = encode(A.controllerWith(hex("aa"), 128));
  assert.equal(
    short.toString("hex"),
    hex("ffff 0020 00002320 0025 000000000000  0000 0006 0080 0000  0003 0005 aa 000000").toString("hex"),
  );
  for (const bytes of [plain, short]) {
    const [back] = readActions(new Reader(bytes, "actions"));
    assert.equal(back?.type, "controller");
    assert.deepEqual(encode(back as ReturnType<typeof A.controllerWith>), bytes);
  }
  // A property Weir does not write (pause) keeps the action opaque rather than dropping it.
  const paused = hex("ffff 0018 00002320 0025 000000000000  0004 0004 00000000");
  assert.equal(readActions(new Reader(paused, "actions"))[0]?.type, "unknown");
  assert.throws(() => A.controllerWith(new Uint8Array()), /empty/);
});
