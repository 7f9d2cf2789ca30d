// The extensions' class record (Open_vSwitch external_ids:weir-extension-classes): parsed forgivingly,
// formatted stably, classes assigned lowest-free with removed extensions keeping theirs, and the meter
// ids recorded beside each class so a removed extension's meters can be swept (B11).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assignClasses,
  formatClassRecord,
  parseClassRecord,
  removedMeterRanges,
} from "../../src/agent/internal.ts";

const qosIds = { min: 65536, max: 131071 };

test("the record of earlier versions parses: classes only, no meter ids", () => {
  assert.deepEqual(
    parseClassRecord("qos=80,ra_guard=81"),
    new Map([
      ["qos", { ownerClass: 0x80 }],
      ["ra_guard", { ownerClass: 0x81 }],
    ]),
  );
  assert.deepEqual(parseClassRecord(undefined), new Map());
  assert.deepEqual(parseClassRecord(""), new Map());
});

test("meter ids round-trip beside the class, decimal as ovs-ofctl prints them", () => {
  const record = new Map([
    ["ra_guard", { ownerClass: 0x81 }],
    ["qos", { ownerClass: 0x80, meterIds: qosIds }],
  ]);
  const text = formatClassRecord(record);
  assert.equal(text, "qos=80:65536-131071,ra_guard=81", "sorted by class");
  assert.deepEqual(parseClassRecord(text), record);
  assert.equal(formatClassRecord(parseClassRecord(text)), text);
});

test("garbage entries are dropped; a bad meter range loses only itself", () => {
  assert.deepEqual(
    parseClassRecord(
      [
        "qos=80:65536-131071",
        "Bad=82", // upper case
        "x=7f", // below the extension classes
        "y=ff", // above them
        "dup=80", // class already held
        "qos=83", // name already recorded
        "z=8", // one digit
        "noclass",
        "",
        " spaced=84 ",
        "inverted=85:10-5",
        "zero=86:0-5",
        "huge=87:1-4294967295",
        "junk=88:1-",
      ].join(","),
    ),
    new Map([
      ["qos", { ownerClass: 0x80, meterIds: qosIds }],
      ["spaced", { ownerClass: 0x84 }],
      ["inverted", { ownerClass: 0x85 }],
      ["zero", { ownerClass: 0x86 }],
      ["huge", { ownerClass: 0x87 }],
    ]),
  );
});

test("assignment: recorded classes kept, the lowest free one for a new extension, removed ones keep theirs", () => {
  const recorded = parseClassRecord("gone=80:100-199,ra_guard=82");
  const { assigned, record } = assignClasses(
    [{ name: "ra_guard" }, { name: "qos", meterIds: qosIds }, { name: "third" }],
    recorded,
  );
  assert.deepEqual(
    assigned,
    new Map([
      ["ra_guard", 0x82],
      ["qos", 0x81],
      ["third", 0x83],
    ]),
  );
  assert.equal(
    formatClassRecord(record),
    "gone=80:100-199,qos=81:65536-131071,ra_guard=82,third=83",
    "the removed extension keeps its class and meter ids until the swap",
  );
  assert.deepEqual(recorded, parseClassRecord("gone=80:100-199,ra_guard=82"), "the input is not changed");
});

test("assignment records the meter ids an extension declares now, and an old record gains them", () => {
  const { record } = assignClasses([{ name: "qos", meterIds: qosIds }], parseClassRecord("qos=80"));
  assert.equal(formatClassRecord(record), "qos=80:65536-131071");
  const dropped = assignClasses([{ name: "qos" }], record).record;
  assert.equal(formatClassRecord(dropped), "qos=80", "an extension that stopped declaring meters");
});

test("when every class is held, another extension is refused", () => {
  const full = new Map(
    Array.from({ length: 0xfe - 0x80 + 1 }, (_, i) => [`e${i}`, { ownerClass: 0x80 + i }] as const),
  );
  assert.equal(assignClasses([{ name: "e5" }], full).assigned.get("e5"), 0x85, "a recorded one still runs");
  assert.throws(
    () => assignClasses([{ name: "one-more" }], full),
    (e: unknown) =>
      e instanceof Error &&
      (e as { code?: string }).code === "WEIR_EXTENSION_CLASSES" &&
      /0x80-0xfe all held/.test(e.message),
  );
});

test("a removed extension's meters are pruned outside every configured feature's ids, each id once", () => {
  const removed = (name: string, meterIds?: { min: number; max: number }) => ({
    name,
    entry: { ownerClass: 0x80 },
    meterIds,
    cleanup: undefined,
  });
  assert.deepEqual(
    removedMeterRanges(
      [removed("old", { min: 100, max: 300 }), removed("older", { min: 250, max: 400 }), removed("plain")],
      [{ min: 200, max: 249 }], // a configured feature's (failed or not, it is not the removed ones' to prune)
    ),
    [
      { min: 100, max: 199 },
      { min: 250, max: 300 },
      { min: 301, max: 400 },
    ],
  );
});
