// The token cache: answers kept (under the token's hash) for at most the cache time and never past the token's
// expiry, invalid tokens remembered as such, bounded, and off with -1.
import assert from "node:assert/strict";
import { test } from "node:test";
import { TokenCache } from "../../src/server/internal.ts";

const info = (expiresInMs: number, now: number) => ({
  userId: "u",
  userName: "alice",
  projectId: "p",
  projectName: "p1",
  roles: ["member"],
  expiresAt: new Date(now + expiresInMs),
});

test("a valid token is kept for the cache time at most, and never past its expiry", () => {
  let now = 1_000_000;
  const cache = new TokenCache(300, { now: () => now });
  cache.put("long", info(3_600_000, now));
  cache.put("short", info(10_000, now));
  now += 9_000;
  assert.equal(cache.get("long")?.userName, "alice");
  assert.equal(cache.get("short")?.userName, "alice");
  now += 2_000;
  assert.equal(cache.get("short"), undefined, "past its expiry");
  now += 290_000;
  assert.equal(cache.get("long"), undefined, "past the cache time");
});

test("an invalid token is remembered as invalid, apart from tokens never seen", () => {
  const cache = new TokenCache(300);
  cache.put("forged", undefined);
  assert.equal(cache.get("forged"), null);
  assert.equal(cache.get("other"), undefined);
});

test("-1 or 0 turns the cache off; it is bounded, oldest first out", () => {
  const off = new TokenCache(-1);
  off.put("t", info(60_000, Date.now()));
  assert.equal(off.get("t"), undefined);
  const small = new TokenCache(300, { max: 2 });
  for (const t of ["a", "b", "c"]) small.put(t, undefined);
  assert.equal(small.size, 2);
  assert.equal(small.get("a"), undefined, "the oldest went");
  assert.equal(small.get("c"), null);
});
