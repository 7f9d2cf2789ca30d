import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { renderPipelineDocument } from "../../src/agent/index.ts";

test("docs/PIPELINE.md is generated from the pipeline the agent runs (run npm run gen:pipeline)", () => {
  const onDisk = readFileSync(new URL("../../docs/PIPELINE.md", import.meta.url), "utf8");
  assert.equal(onDisk, renderPipelineDocument());
});
