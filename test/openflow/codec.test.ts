import assert from "node:assert/strict";
import { test } from "node:test";
import { flowBodyEqual, formatFlow } from "../../src/openflow/index.ts";
import {
  Reader,
  readInstructions,
  readMatch,
  Writer,
  writeInstructions,
  writeMatch,
} from "../../src/openflow/internal.ts";
import { generateFlows } from "../support/flow-generator.ts";

test("every generated flow's match and instructions decode back equal to what was encoded", () => {
  for (const f of generateFlows(1, 2000)) {
    const w = new Writer();
    writeMatch(w, f.match);
    const matchLength = w.length;
    assert.equal(matchLength % 8, 0, "match padded to 8 bytes");
    writeInstructions(w, f.actions);
    const r = new Reader(w.finish(), "test");
    const match = readMatch(r);
    const actions = readInstructions(r);
    const back = { ...f, match, actions };
    assert.deepEqual(match, f.match, formatFlow(f));
    assert.ok(flowBodyEqual(back, f), `${formatFlow(f)}\n  read back as\n${formatFlow(back)}`);
  }
});
