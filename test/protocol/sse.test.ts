// The agent's Server-Sent Events parser against WHATWG HTML §9.2.6, fed byte by byte and in odd chunks.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SseParser } from "../../src/protocol/index.ts";

const feedAll = (text: string, chunk = 1) => {
  const parser = new SseParser();
  const out = [];
  for (let i = 0; i < text.length; i += chunk) out.push(...parser.push(text.slice(i, i + chunk)));
  return out;
};

const stream =
  'retry: 1000\n\n: keepalive\n\nid: 7\nevent: port.updated\ndata: {"a":1}\n\nid: 8\ndata:x\ndata: y\n\n';

test("messages come whole, with id, event and data, whatever the chunking", () => {
  const expected = [
    { id: "7", event: "port.updated", data: '{"a":1}' },
    { id: "8", event: "message", data: "x\ny" },
  ];
  for (const chunk of [1, 2, 3, 7, stream.length])
    assert.deepEqual(feedAll(stream, chunk), expected, `chunks of ${chunk}`);
});

test("CRLF and CR end lines too, also when a CRLF is split between chunks", () => {
  const crlf = stream.replaceAll("\n", "\r\n");
  const cr = stream.replaceAll("\n", "\r");
  for (const text of [crlf, cr]) for (const chunk of [1, 2, 5]) assert.equal(feedAll(text, chunk).length, 2);
  assert.deepEqual(feedAll("data: a\r", 100).length, 0, "not dispatched before the blank line");
  const parser = new SseParser();
  assert.deepEqual(parser.push("data: a\r"), []);
  assert.deepEqual(parser.push("\n\r\n"), [{ id: undefined, event: "message", data: "a" }]);
});

test("comments, blocks without data and unknown fields dispatch nothing; one leading space is dropped", () => {
  assert.deepEqual(feedAll(": only a comment\n\nevent: x\n\nfoo: bar\n\n"), []);
  assert.deepEqual(feedAll("data:  two spaces\n\n"), [
    { id: undefined, event: "message", data: " two spaces" },
  ]);
  assert.deepEqual(feedAll("data\n\n"), [{ id: undefined, event: "message", data: "" }]);
});

test("the last event id carries over to later messages, as the spec's last event ID buffer does", () => {
  assert.deepEqual(
    feedAll("id: 3\ndata: a\n\ndata: b\n\n").map((m) => m.id),
    ["3", "3"],
  );
});
