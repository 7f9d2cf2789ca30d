import assert from "node:assert/strict";
import { test } from "node:test";
import { OpenFlowDecodeError } from "../../src/openflow/index.ts";
import {
  decodeMessage,
  helloMessage,
  MessageFramer,
  Reader,
  readFlowUpdates,
} from "../../src/openflow/internal.ts";

test("the framer splits messages by their header length, whatever the chunking", () => {
  const a = helloMessage(1);
  const b = Buffer.from("0603000800000002", "hex"); // echo reply
  const stream = Buffer.concat([a, b, a]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const out: Buffer[] = [];
    const framer = new MessageFramer((m) => out.push(m));
    framer.push(stream.subarray(0, cut));
    framer.push(stream.subarray(cut));
    assert.deepEqual(out, [a, b, a], `cut at ${cut}`);
    assert.equal(framer.pendingBytes, 0);
  }
});

test("garbage and truncation are typed decode errors", () => {
  const framer = new MessageFramer(() => {});
  assert.throws(() => framer.push(Buffer.from("0600000300000000", "hex")), OpenFlowDecodeError);
  assert.throws(() => decodeMessage(Buffer.from("0601001000000001", "hex")), /header length 16 but 8 bytes/);
  // An error message cut short inside its body.
  assert.throws(
    () => decodeMessage(Buffer.from("060100090000000101", "hex")),
    (e: unknown) => e instanceof OpenFlowDecodeError,
  );
  // A multipart reply whose flow entry claims more bytes than there are.
  const bad = Buffer.from("0613001800000001000100000000000000ff000000000000", "hex");
  const message = decodeMessage(bad);
  assert.equal(message.type, "multipart_reply");
  assert.throws(() => message.type === "multipart_reply" && message.body.sub(300, "x"), OpenFlowDecodeError);
});

test("hello announces OpenFlow 1.5 in a version bitmap, and a peer's bitmap is read", () => {
  assert.equal(helloMessage(7).toString("hex"), "06000010000000070001000800000040");
  const peer = decodeMessage(Buffer.from("06000010000000010001000800000072", "hex"));
  assert.deepEqual(peer.type === "hello" && peer.versions, [1, 4, 5, 6]);
});

test("flow monitor updates decode: full, abbreviated, paused and resumed", () => {
  const full = Buffer.from(
    // length 40, event ADDED, table 3, reason 0, idle 0, hard 0, priority 7, zeros, cookie, empty match, goto_table 4
    "0028" +
      "0001" +
      "03" +
      "00" +
      "0000" +
      "0000" +
      "0007" +
      "00000000" +
      "5700000000000042" +
      "0001000400000000" +
      "0001000804000000",
    "hex",
  );
  const abbrev = Buffer.from("0008000400000063", "hex");
  const paused = Buffer.from("0008000500000000", "hex");
  const resumed = Buffer.from("0008000600000000", "hex");
  const updates = readFlowUpdates(new Reader(Buffer.concat([full, abbrev, paused, resumed]), "test"));
  assert.deepEqual(updates, [
    {
      event: "added",
      table: 3,
      priority: 7,
      cookie: 0x5700000000000042n,
      match: [],
      actions: [{ type: "goto_table", table: 4 }],
      reason: 0,
    },
    { event: "abbrev", xid: 0x63 },
    { event: "paused" },
    { event: "resumed" },
  ]);
});
