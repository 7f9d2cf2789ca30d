import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidArgumentError } from "../../src/base/index.ts";
import { OvsdbProtocolError } from "../../src/ovsdb/index.ts";
import type { ColumnType } from "../../src/ovsdb/internal.ts";
import { decodeDatum, defaultDatum, encodeDatum, parseColumnType } from "../../src/ovsdb/internal.ts";

const type = (json: unknown): ColumnType => parseColumnType(json as never, "T.c");
const uuid = "550e8400-e29b-41d4-a716-446655440000";

test("scalars encode as bare atoms and round-trip", () => {
  const cases: [unknown, unknown][] = [
    ["integer", 42],
    ["real", 1.5],
    ["boolean", true],
    ["string", "br-int"],
    ["uuid", uuid],
  ];
  for (const [t, value] of cases) {
    const ct = type(t);
    const wire = encodeDatum(ct, value, "T.c");
    assert.deepEqual(decodeDatum(ct, wire, "T.c"), value);
  }
  assert.deepEqual(encodeDatum(type("uuid"), uuid, "T.c"), ["uuid", uuid]);
});

test("uuid atoms that are identifiers become named-uuid", () => {
  assert.deepEqual(encodeDatum(type("uuid"), "new_port", "T.c"), ["named-uuid", "new_port"]);
  assert.throws(() => encodeDatum(type("uuid"), "not a name!", "T.c"), InvalidArgumentError);
});

test("optional columns are value or null; the wire form is a set", () => {
  const tag = type({ key: { type: "integer", minInteger: 0, maxInteger: 4095 }, min: 0, max: 1 });
  assert.deepEqual(encodeDatum(tag, null, "Port.tag"), ["set", []]);
  assert.deepEqual(encodeDatum(tag, 7, "Port.tag"), ["set", [7]]);
  assert.equal(decodeDatum(tag, ["set", []], "Port.tag"), null);
  assert.equal(decodeDatum(tag, 7, "Port.tag"), 7);
  assert.equal(defaultDatum(tag), null);
});

test("sets decode from the bare-atom and the set form alike", () => {
  const ports = type({ key: { type: "uuid", refTable: "Port" }, min: 0, max: "unlimited" });
  assert.deepEqual(decodeDatum(ports, ["uuid", uuid], "Bridge.ports"), [uuid]);
  assert.deepEqual(decodeDatum(ports, ["set", [["uuid", uuid]]], "Bridge.ports"), [uuid]);
  assert.deepEqual(decodeDatum(ports, ["set", []], "Bridge.ports"), []);
  assert.deepEqual(encodeDatum(ports, [uuid, "p1"], "Bridge.ports"), [
    "set",
    [
      ["uuid", uuid],
      ["named-uuid", "p1"],
    ],
  ]);
});

test("string maps are plain objects; other maps are Map", () => {
  const ids = type({ key: "string", value: "string", min: 0, max: "unlimited" });
  const wire = encodeDatum(ids, { "iface-id": "p1", "attached-mac": "fa:16:3e:00:00:01" }, "I.e");
  assert.deepEqual(wire, [
    "map",
    [
      ["iface-id", "p1"],
      ["attached-mac", "fa:16:3e:00:00:01"],
    ],
  ]);
  assert.deepEqual(decodeDatum(ids, wire, "I.e"), { "iface-id": "p1", "attached-mac": "fa:16:3e:00:00:01" });
  const queues = type({
    key: "integer",
    value: { type: "uuid", refTable: "Queue" },
    min: 0,
    max: "unlimited",
  });
  const decoded = decodeDatum(queues, ["map", [[1, ["uuid", uuid]]]], "QoS.queues");
  assert.ok(decoded instanceof Map);
  assert.equal(decoded.get(1), uuid);
  assert.deepEqual(encodeDatum(queues, { "1": uuid }, "QoS.queues"), ["map", [[1, ["uuid", uuid]]]]);
});

test("constraints are checked before anything is sent, naming the column", () => {
  const tag = type({ key: { type: "integer", minInteger: 0, maxInteger: 4095 }, min: 0, max: 1 });
  assert.throws(() => encodeDatum(tag, 4096, "Port.tag"), /Port\.tag: 4096 is outside 0\.\.4095/);
  assert.throws(() => encodeDatum(tag, [1, 2], "Port.tag"), /Port\.tag: needs 0\.\.1 elements, got 2/);
  const failMode = type({ key: { type: "string", enum: ["set", ["standalone", "secure"]] }, min: 0, max: 1 });
  assert.throws(() => encodeDatum(failMode, "open", "Bridge.fail_mode"), /is not one of/);
  assert.throws(() => encodeDatum(type("integer"), "7", "T.c"), /expected an integer/);
});

test("malformed wire data is a protocol error naming the column", () => {
  assert.throws(() => decodeDatum(type("integer"), "x", "T.c"), OvsdbProtocolError);
  const ids = type({ key: "string", value: "string", min: 0, max: "unlimited" });
  assert.throws(() => decodeDatum(ids, ["set", []], "I.e"), /I\.e: expected a map/);
  assert.throws(() => decodeDatum(type("uuid"), ["named-uuid", "x"], "T.c"), /expected a uuid atom/);
});
