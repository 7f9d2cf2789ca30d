import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseAgentConfig } from "../../src/agent/index.ts";

test("contrib/agent.ini.example is a valid configuration with the documented values", () => {
  const path = new URL("../../contrib/agent.ini.example", import.meta.url);
  const config = parseAgentConfig(readFileSync(path, "utf8"), "agent.ini.example");
  assert.deepEqual(config.bridgeMappings, { physnet1: "br-phys" });
  assert.deepEqual(config.tunnelTypes, ["vxlan"]);
  assert.equal(config.dropFlowsOnStart, false);
  assert.equal(config.metricsListen, "127.0.0.1:9697");
});
