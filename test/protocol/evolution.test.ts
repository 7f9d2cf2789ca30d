// How the agent channel evolves (src/protocol/agent-messages.ts): requests refuse what they do not know;
// replies and events drop unknown keys, skip unknown event kinds, and drop QoS rule types an agent of this
// version does not know — so a newer server can add fields without breaking it.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AgentConfigurations,
  parseStreamEvent,
  QosPolicyInfo,
  ReportStateRequest,
  SyncResponse,
} from "../../src/protocol/index.ts";

const id = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
const configurations = {
  bridge_mappings: {},
  tunnel_types: ["vxlan"],
  tunneling_ip: "198.18.0.1",
  integration_bridge: "br-int",
  datapath_type: "netdev",
  firewall_driver: "noop",
  l2_population: true,
  arp_responder: false,
  devices: 0,
};

test("requests are strict; extensions are optional, so the first protocol's requests still pass", () => {
  assert.ok(AgentConfigurations.safeParse(configurations).success, "without extensions (first protocol)");
  assert.ok(AgentConfigurations.safeParse({ ...configurations, extensions: ["qos"] }).success);
  assert.ok(
    !AgentConfigurations.safeParse({ ...configurations, colour: "blue" }).success,
    "unknown key refused",
  );
  const report = {
    host: "h",
    agent_type: "Open vSwitch agent",
    binary: "weir-agent",
    configurations,
    start_flag: true,
  };
  assert.ok(ReportStateRequest.safeParse(report).success);
  assert.ok(!ReportStateRequest.safeParse({ ...report, extra: 1 }).success);
});

test("replies drop unknown keys instead of refusing them", () => {
  const parsed = SyncResponse.parse({
    revision: 1,
    ports: [],
    networks: [],
    endpoints: [],
    fdb: [],
    tomorrow: { x: 1 },
  });
  assert.equal("tomorrow" in parsed, false);
});

test("an event of a kind this agent does not know is skipped, with its revision; a known one is parsed", () => {
  assert.deepEqual(parseStreamEvent({ revision: 9, event: { kind: "sg.rule.added", rule: {} } }), {
    known: false,
    revision: 9,
    kind: "sg.rule.added",
  });
  const known = parseStreamEvent({
    revision: 10,
    event: { kind: "network.deleted", network_id: id(1), later: true },
  });
  assert.equal(known.known, true);
  assert.throws(
    () => parseStreamEvent({ revision: 11, event: { kind: "network.deleted" } }),
    "a known kind must be valid",
  );
});

test("QoS rules of a type this agent does not know are dropped; known ones are validated", () => {
  const policy = QosPolicyInfo.parse({
    policy_id: id(1),
    revision_number: 3,
    rules: [
      { type: "minimum_bandwidth", id: id(2), min_kbps: 1000 },
      { type: "dscp_marking", id: id(3), dscp_mark: 26 },
    ],
  });
  assert.deepEqual(policy.rules, [{ type: "dscp_marking", id: id(3), dscp_mark: 26 }]);
  assert.ok(
    !QosPolicyInfo.safeParse({
      policy_id: id(1),
      revision_number: 1,
      rules: [{ type: "dscp_marking", id: id(3), dscp_mark: 99 }],
    }).success,
  );
});
