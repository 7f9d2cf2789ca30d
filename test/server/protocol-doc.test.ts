import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { renderProtocolDocument } from "../../src/protocol/index.ts";

test("docs/PROTOCOL.md is generated from the schemas the code validates with (run npm run gen:protocol)", () => {
  const onDisk = readFileSync(new URL("../../docs/PROTOCOL.md", import.meta.url), "utf8");
  assert.equal(onDisk, renderProtocolDocument());
});
