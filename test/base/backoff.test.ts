import assert from "node:assert/strict";
import { test } from "node:test";
import { backoffDelay } from "../../src/base/index.ts";

test("backoff grows exponentially to its ceiling and jitters within [ceiling/2, ceiling]", () => {
  const policy = { initialMs: 100, maxMs: 1_000, factor: 2 };
  assert.equal(
    backoffDelay(policy, 0, () => 0),
    50,
  );
  assert.equal(
    backoffDelay(policy, 0, () => 1),
    100,
  );
  assert.equal(
    backoffDelay(policy, 2, () => 1),
    400,
  );
  assert.equal(
    backoffDelay(policy, 10, () => 1),
    1_000,
    "capped",
  );
  assert.equal(
    backoffDelay(policy, 10, () => 0),
    500,
    "never below half the ceiling",
  );
});
