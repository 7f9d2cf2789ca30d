import assert from "node:assert/strict";
import { test } from "node:test";
import {
  actions as A,
  DesiredFlows,
  FlowConflictError,
  type FlowOwner,
  flow,
  flowKey,
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

test("the same flow objects again are unchanged; new keys are counted as added; a key can pass between owners", () => {
  const desired = new DesiredFlows();
  const one = f(1);
  const two = f(2);
  assert.equal(desired.replace(o("port:a"), [one, two]).added, 2);
  let delta = desired.replace(o("port:a"), [one, two]);
  assert.deepEqual([delta.upserts.length, delta.removals.length, delta.added], [0, 0, 0]);
  // A copy with other actions is a modification, not an addition.
  delta = desired.replace(o("port:a"), [one, f(2, 7), f(3)]);
  assert.deepEqual([delta.upserts.length, delta.added], [2, 1]);
  // The owner's own keys are never a conflict; another owner's are, until the first lets them go.
  assert.throws(() => desired.replace(o("port:b"), [f(3)]), FlowConflictError);
  assert.equal(desired.conflictOf(o("port:a"), [f(3), f(1)]), undefined);
  desired.replace(o("port:a"), [one]);
  assert.equal(desired.conflictOf(o("port:b"), [f(3)]), undefined);
  assert.equal(desired.replace(o("port:b"), [f(3)]).added, 1);
  assert.equal(desired.ownerOf(flowKey(f(3)))?.key, "port:b");
});

test("a flow's key is its table, priority and match, also for flows that share one match object", () => {
  const m = flow({ match: { reg0: 1 } }).match;
  const a = flow({ table: 1, priority: 5, match: m });
  const b = flow({ table: 2, priority: 5, match: m });
  const c = flow({ table: 2, priority: 6, match: m });
  assert.deepEqual(
    [flowKey(a), flowKey(b), flowKey(c), flowKey(a)],
    ["1/5/reg0=1", "2/5/reg0=1", "2/6/reg0=1", "1/5/reg0=1"],
  );
});
