import assert from "node:assert/strict";
import { test } from "node:test";
import {
  cookieParts,
  GENERATION_MASK,
  isWeirCookie,
  MAGIC_MASK,
  MAGIC_VALUE,
  makeCookie,
  nextGeneration,
  OWNER_MASK,
  ownerObject,
} from "../../src/openflow/index.ts";

test("the cookie layout: magic, generation, owner class, object — and nothing overlaps", () => {
  const cookie = makeCookie({ generation: 0x1234, ownerClass: 0x04, object: 0xdeadbeef });
  assert.equal(cookie, 0x57123404deadbeefn);
  assert.deepEqual(cookieParts(cookie), { generation: 0x1234, ownerClass: 4, object: 0xdeadbeef });
  assert.equal(cookie & MAGIC_MASK, MAGIC_VALUE);
  assert.equal((cookie & GENERATION_MASK) >> 40n, 0x1234n);
  // One owner's flows across generations share everything but the generation bits.
  const older = makeCookie({ generation: 1, ownerClass: 0x04, object: 0xdeadbeef });
  assert.equal(older & OWNER_MASK, cookie & OWNER_MASK);
  assert.equal(MAGIC_MASK & GENERATION_MASK, 0n);
  assert.equal(isWeirCookie(0x1234n), false);
  assert.equal(cookieParts(0n), undefined);
  assert.throws(() => makeCookie({ generation: 0x10000, ownerClass: 0, object: 0 }), /generation: 65536/);
  assert.throws(() => makeCookie({ generation: 1, ownerClass: 0xff, object: 0 }), /owner class: 255/);
});

test("generations count up, wrap at 16 bits, and skip 0", () => {
  assert.equal(nextGeneration(undefined), 1);
  assert.equal(nextGeneration(1), 2);
  assert.equal(nextGeneration(0xfffe), 0xffff);
  assert.equal(nextGeneration(0xffff), 1);
});

test("owner objects are a stable 32-bit hash", () => {
  assert.equal(
    ownerObject("3f2c1d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f"),
    ownerObject("3f2c1d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f"),
  );
  assert.notEqual(ownerObject("a"), ownerObject("b"));
  assert.ok(ownerObject("x") <= 0xffffffff && ownerObject("x") >= 0);
});
