import assert from "node:assert/strict";
import { test } from "node:test";
import {
  defaultPools,
  firstFree,
  formatIp,
  overlaps,
  parseCidr,
  parseIp,
  validatePools,
} from "../../src/server/internal.ts";

const cidr = (text: string) => {
  const c = parseCidr(text);
  assert.ok(!("error" in c), text);
  return c;
};

test("CIDRs: host bits must be zero, with the recommended CIDR in the message", () => {
  assert.deepEqual(parseCidr("198.19.0.1/16"), {
    error: "'198.19.0.1/16' isn't a recognized IP subnet cidr, '198.19.0.0/16' is recommended",
  });
  assert.ok("error" in parseCidr("198.19.0.0/33"));
  assert.ok("error" in parseCidr("nonsense"));
  assert.equal(cidr("2001:db8::/32").prefix, 32);
});

test("default pools leave out the gateway and the IPv4 broadcast", () => {
  const c = cidr("198.19.0.0/29");
  assert.deepEqual(defaultPools(c, parseIp("198.19.0.1")!.value), [
    { start: "198.19.0.2", end: "198.19.0.6" },
  ]);
  assert.deepEqual(defaultPools(c, parseIp("198.19.0.4")!.value), [
    { start: "198.19.0.1", end: "198.19.0.3" },
    { start: "198.19.0.5", end: "198.19.0.6" },
  ]);
  assert.deepEqual(defaultPools(c, undefined), [{ start: "198.19.0.1", end: "198.19.0.6" }]);
});

test("pools are checked: inside the CIDR, ordered, disjoint, not holding the gateway", () => {
  const c = cidr("198.19.0.0/24");
  const gw = parseIp("198.19.0.1")!.value;
  assert.match(
    validatePools(c, [{ start: "198.19.1.1", end: "198.19.1.5" }], gw)!,
    /spans beyond the subnet cidr/,
  );
  assert.match(validatePools(c, [{ start: "198.19.0.9", end: "198.19.0.5" }], gw)!, /start is after end/);
  assert.match(
    validatePools(c, [{ start: "198.19.0.1", end: "198.19.0.5" }], gw)!,
    /conflicts with allocation pool/,
  );
  assert.match(
    validatePools(
      c,
      [
        { start: "198.19.0.2", end: "198.19.0.5" },
        { start: "198.19.0.5", end: "198.19.0.9" },
      ],
      gw,
    )!,
    /overlapping/,
  );
  assert.equal(validatePools(c, [{ start: "198.19.0.2", end: "198.19.0.5" }], gw), undefined);
});

test("first free address skips used ones and reports exhaustion; overlap detection", () => {
  const pools = [{ start: "198.19.0.2", end: "198.19.0.4" }];
  assert.equal(firstFree(pools, 4, new Set(["198.19.0.2"])), "198.19.0.3");
  assert.equal(firstFree(pools, 4, new Set(["198.19.0.2", "198.19.0.3", "198.19.0.4"])), undefined);
  assert.equal(
    firstFree([{ start: "2001:db8::2", end: "2001:db8::ffff" }], 6, new Set(["2001:db8::2"])),
    "2001:db8::3",
  );
  assert.equal(overlaps(cidr("198.19.0.0/16"), cidr("198.19.5.0/24")), true);
  assert.equal(overlaps(cidr("198.19.0.0/24"), cidr("198.19.1.0/24")), false);
  assert.equal(formatIp(6, parseIp("2001:0db8:0000:0000:0000:0000:0000:0001")!.value), "2001:db8::1");
});
