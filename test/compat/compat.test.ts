// The compat harness's pure parts: subunit v2 packets built byte by byte (with a CRC-32 computed here,
// not by the module), the expected-pass gate, and the known-gaps file.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compare } from "../../compat/expected.ts";
import { gapOf, parseGaps } from "../../compat/known-gaps.ts";
import type { TestResult } from "../../compat/results.ts";
import { SubunitReader } from "../../compat/subunit.ts";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const utf8 = (s: string) => {
  const b = Buffer.from(s, "utf8");
  assert.ok(b.length < 64, "one-byte lengths in these tests");
  return Buffer.concat([Buffer.from([b.length]), b]);
};

/** A subunit v2 packet: status `status` (3 success, 5 skip, 6 fail), a test id, optionally a file attachment. */
function packet(status: number, testId: string, file?: { name: string; content: string }): Buffer {
  let flags = 0x2000 | 0x0800 | status;
  const body = [utf8(testId)];
  if (file !== undefined) {
    flags |= 0x0040;
    body.push(utf8(file.name), utf8(file.content));
  }
  const payload = Buffer.concat(body);
  const length = 1 + 2 + 1 + payload.length + 4;
  assert.ok(length < 64);
  const head = Buffer.from([0xb3, flags >> 8, flags & 0xff, length]);
  const withoutCrc = Buffer.concat([head, payload]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(withoutCrc));
  return Buffer.concat([withoutCrc, crc]);
}

test("subunit: packets read back with id, status and attachment; bad CRC and garbage skipped; split chunks joined", () => {
  const ok = packet(3, "m.C.test_a");
  const failed = packet(6, "m.C.test_b", { name: "traceback", content: "ValueError: x" });
  const corrupt = Buffer.from(packet(3, "m.C.test_c"));
  corrupt[corrupt.length - 1]! ^= 0xff;
  const stream = Buffer.concat([Buffer.from("noise"), ok, corrupt, failed]);
  const reader = new SubunitReader();
  const events = [
    ...reader.push(stream.subarray(0, 9)),
    ...reader.push(stream.subarray(9, 30)),
    ...reader.push(stream.subarray(30)),
  ];
  assert.deepEqual(
    events.map((e) => [e.testId, e.status]),
    [
      ["m.C.test_a", "success"],
      ["m.C.test_b", "fail"],
    ],
  );
  assert.equal(events[1]!.fileName, "traceback");
  assert.equal(events[1]!.fileBytes?.toString(), "ValueError: x");
  assert.ok(reader.skippedBytes >= 5, "the noise and the corrupt packet were skipped");
  // A torn last packet is left over, not a crash.
  const torn = new SubunitReader();
  assert.deepEqual(torn.push(ok.subarray(0, ok.length - 2)), []);
  assert.equal(torn.end(), ok.length - 2);
});

const result = (id: string, outcome: TestResult["outcome"]): TestResult => ({
  id,
  module: id.split(".").slice(0, -2).join("."),
  outcome,
  durationS: 0,
  why: outcome === "pass" ? "" : "because",
  request: undefined,
  via: "test",
});

test("the gate: a listed test that fails or vanishes is a regression; unselected ones are not; new passes are listed", () => {
  const expected = ["m.C.a", "m.C.b", "m.C.gone"];
  const tests = [result("m.C.a", "pass"), result("m.C.b", "fail"), result("m.C.new", "pass")];
  const full = compare(expected, ["m.C.a", "m.C.b", "m.C.new"], tests, true);
  assert.deepEqual(
    full.regressions.map((r) => [r.id, r.outcome]),
    [
      ["m.C.b", "fail"],
      ["m.C.gone", "missing"],
    ],
  );
  assert.deepEqual(full.newlyPassing, ["m.C.new"]);
  const subset = compare(expected, ["m.C.a"], [result("m.C.a", "pass")], false);
  assert.deepEqual(subset.regressions, [], "a subset run gates only what it selected");
});

test("the gate: scenario tests, listed once by their base name, are gated per scenario", () => {
  const expected = ["m.C.s[id-1](egress)", "m.C.s[id-1](ingress)", "m.C.t[id-2](up)"];
  // tempest lists m.C.s[id-1] once; the scenarios report under their own ids, m.C.t's not at all
  const tests = [result("m.C.s[id-1](egress)", "pass"), result("m.C.s[id-1](ingress)", "fail")];
  const full = compare(expected, ["m.C.s[id-1]"], tests, true);
  assert.deepEqual(
    full.regressions.map((r) => [r.id, r.outcome]),
    [
      ["m.C.s[id-1](ingress)", "fail"],
      ["m.C.t[id-2](up)", "missing"],
    ],
  );
  assert.deepEqual(compare(expected, ["m.C.s[id-1]"], tests, false).regressions.length, 1);
});

test("known gaps: PATTERN :: REASON lines, first match wins, malformed lines named", () => {
  const gaps = parseGaps("# comment\n\nTestRouters\\. :: needs routers\nTest :: anything else\n");
  assert.equal(gapOf(gaps, "m.TestRouters.test_x")?.reason, "needs routers");
  assert.equal(gapOf(gaps, "m.TestPorts.test_x")?.reason, "anything else");
  assert.equal(gapOf(gaps, "m.Other.test_x"), undefined);
  assert.throws(
    () => parseGaps("no separator here\n", "gaps.txt"),
    /gaps\.txt:1: expected "PATTERN :: REASON"/,
  );
  assert.throws(() => parseGaps("a :: b\n( :: broken\n", "gaps.txt"), /gaps\.txt:2:/);
});
