import assert from "node:assert/strict";
import { test } from "node:test";
import { OvsdbProtocolError } from "../../src/ovsdb/index.ts";
import { JsonFramer } from "../../src/ovsdb/internal.ts";

function frame(chunks: (string | Uint8Array)[]): string[] {
  const out: string[] = [];
  const framer = new JsonFramer((text) => out.push(text));
  for (const chunk of chunks) framer.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return out;
}

const messages = [
  '{"id":1,"result":["Open_vSwitch"],"error":null}',
  '{"method":"update2","params":["m1",{"Port":{"a":{"insert":{"name":"tap\\"{[x"}}}}],"id":null}',
  '{"id":2,"result":{"s":"brace } inside ] string \\\\"},"error":null}',
  '{"id":3,"result":"日本語 ünïcödé 🚀","error":null}',
];

test("concatenated messages in one chunk are split", () => {
  assert.deepEqual(frame([messages.join("")]), messages);
  assert.deepEqual(frame([messages.join("\n  \r\t")]), messages);
});

test("messages split at every byte boundary, including inside UTF-8 characters, are reassembled", () => {
  const bytes = Buffer.from(messages.join(""));
  const byByte = [...bytes].map((b) => Uint8Array.of(b));
  assert.deepEqual(frame(byByte), messages);
  for (let cut = 1; cut < bytes.length; cut += 7) {
    assert.deepEqual(frame([bytes.subarray(0, cut), bytes.subarray(cut)]), messages, `cut at ${cut}`);
  }
});

test("an incomplete message is held and reported as pending bytes", () => {
  const out: string[] = [];
  const framer = new JsonFramer((text) => out.push(text));
  framer.push(Buffer.from('{"id":1,"res'));
  assert.deepEqual(out, []);
  assert.equal(framer.pendingBytes, 12);
  framer.push(Buffer.from('ult":null,"error":null}'));
  assert.deepEqual(out, ['{"id":1,"result":null,"error":null}']);
  assert.equal(framer.pendingBytes, 0);
});

test("garbage between messages is a protocol error", () => {
  const framer = new JsonFramer(() => {});
  framer.push(Buffer.from('{"id":1}'));
  assert.throws(
    () => framer.push(Buffer.from("HTTP/1.1 200 OK")),
    (error: unknown) => {
      assert.ok(error instanceof OvsdbProtocolError);
      assert.equal(error.code, "OVSDB_PROTOCOL");
      assert.match(error.message, /unexpected byte 0x48/);
      return true;
    },
  );
});

test("a message over the size limit is refused before it is buffered", () => {
  const framer = new JsonFramer(() => {}, 64);
  assert.throws(() => framer.push(Buffer.from(`{"a":"${"x".repeat(100)}`)), /exceeds 64 bytes/);
});

test("invalid UTF-8 inside a message is a protocol error", () => {
  const framer = new JsonFramer(() => {});
  assert.throws(() => framer.push(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])), /not valid UTF-8/);
});
