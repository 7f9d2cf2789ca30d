import assert from "node:assert/strict";
import { test } from "node:test";
import {
  actions as A,
  DesiredFlows,
  FlowConflictError,
  type FlowOwner,
  flow,
} from "../../src/openflow/index.ts";

const o = (key: string): FlowOwner => ({ ownerClass: 4, key });

const f = (reg: number, port = 1) =>
  flow({ table: 0, priority: 10, match: { reg0: reg }, actions: [A.output(port)] });

test("replacing an owner's flows yields exactly the difference", () => {
  const desired = new DesiredFlows();
  let delta = desired.replace(o("port:a"), [f(1), f(2)]);
  assert.equal(delta.upserts.length, 2);
  delta = desired.replace(o("port:a"), [f(1), f(2, 9), f(3)]);
  assert.deepEqual(
    delta.upserts.map((x) => x.match[0]!.value),
    [2n, 3n],
    "changed actions and new keys",
  );
  assert.equal(delta.removals.length, 0);
  delta = desired.replace(o("port:a"), [f(3)]);
  assert.deepEqual(
    delta.removals.map((x) => x.match[0]!.value),
    [1n, 2n],
  );
  assert.equal(desired.size, 1);
  assert.equal(desired.remove(o("port:a")).removals.length, 1);
  assert.equal(desired.size, 0);
  assert.deepEqual(desired.owners(), []);
});

test("a flow belongs to one owner; a conflicting claim changes nothing", () => {
  const desired = new DesiredFlows();
  desired.replace(o("port:a"), [f(1)]);
  assert.throws(() => desired.replace(o("port:b"), [f(2), f(1)]), FlowConflictError);
  assert.equal(desired.size, 1);
  assert.deepEqual(desired.owners(), [o("port:a")]);
  assert.ok(desired.has(o("port:a")) && !desired.has(o("port:b")));
  assert.equal(desired.conflictOf(o("port:b"), [f(1)])?.owners[0].key, "port:a", "the holder is named");
  assert.throws(() => desired.replace(o("port:c"), [f(5), f(5)]), /cannot also install it/);
});
