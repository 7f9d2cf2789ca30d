import assert from "node:assert/strict";
import { test } from "node:test";
import { checkTestbedName, tapName, testbedOfNamespace } from "../../src/testbed/internal.ts";

test("namespaces are attributed to their testbed by the owned prefix, and nothing else is", () => {
  assert.equal(testbedOfNamespace("weir-lab-h1"), "lab");
  assert.equal(testbedOfNamespace("weir-lab-h1-vm2"), "lab");
  assert.equal(testbedOfNamespace("weir-lab2-ul"), "lab2");
  for (const foreign of [
    "weir-lab",
    "weir--h1",
    "weirlab-h1",
    "ovn-h1",
    "weir-Lab-h1",
    "weir-averyveryverylongname-h1",
  ]) {
    assert.equal(testbedOfNamespace(foreign), undefined, foreign);
  }
});

test("testbed names cannot contain the separator, so one testbed's prefix is never another's", () => {
  assert.equal(checkTestbedName("lab"), "lab");
  for (const bad of ["lab-2", "", "2lab", "LAB", "abcdefghijklm", "a b"]) {
    assert.throws(() => checkTestbedName(bad), /must be 1-12 lowercase letters or digits/, bad);
  }
});

test("VIF names follow Nova: tap + the first 11 characters of the port id", () => {
  assert.equal(tapName("3f2c1d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f"), "tap3f2c1d4e-5b");
  assert.ok(tapName("3f2c1d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f").length <= 15, "fits IFNAMSIZ");
});
