// The firewall in the converger (the rig, no OVS): a new port gets its firewall flows, rules included, in
// the bundle before its tag; a rule replaced is one bundle with its adds and deletes together; a member
// joining a remote group changes that address's flow and nothing else.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatFlow } from "../../src/openflow/index.ts";
import type { SecurityGroupInfo, SecurityGroupRuleInfo } from "../../src/protocol/index.ts";
import { firewallConfig, labels, N1, rig, settle } from "./converger-rig.ts";
import { details, network, ruleInfo, sync, uuid } from "./fixtures.ts";

const G = uuid(0x600);
const R = uuid(0x601);

const rule = (id: number, over: Partial<SecurityGroupRuleInfo>) => ruleInfo(id, { protocol: 6, ...over });

const group = (rules: SecurityGroupRuleInfo[]): SecurityGroupInfo => ({
  group_id: G,
  stateful: true,
  revision_number: 1,
  rules,
});

const ssh = rule(1, { port_range_min: 22, port_range_max: 22 });
const fromR = rule(2, { port_range_min: 80, port_range_max: 80, remote_group_id: R });

function wiredRig() {
  const r = rig({ config: firewallConfig });
  r.control.applySync(
    sync({
      ports: [details(uuid(1), N1, { port_security_enabled: true, security_groups: [G] })],
      networks: [network(N1)],
      security_groups: {
        groups: [group([ssh, fromR])],
        members: [{ group_id: R, members: [{ ip_address: "10.0.0.9", mac_address: "fa:16:3e:00:00:09" }] }],
        address_groups: [],
      },
    }),
  );
  return r;
}

const intFlows = (r: ReturnType<typeof rig>) =>
  [...r.flows.int.desired.entries()].map(([, f]) => formatFlow(f, { cookie: false }));

test("a new port with port security: its firewall flows, rules included, go in the bundle before its tag", async () => {
  const r = wiredRig();
  await r.converger.passNow();
  r.sw.startRecording();
  r.steps.length = 0;
  r.plug("tap1", uuid(1), 5);
  await settle(r);
  const steps = labels(r.steps);
  const tag = steps.indexOf("ovsdb Port.update,Port.mutate");
  const firewall = steps.findIndex((s) => s.startsWith("flows br-int +"));
  assert.ok(firewall >= 0 && tag > firewall, `firewall flows before the tag: ${steps.join(" | ")}`);
  const flows = intFlows(r);
  assert.ok(flows.some((f) => f.includes("table=82") && f.includes("tcp_dst=22") && f.includes("reg5=0x5")));
  assert.ok(
    flows.some((f) => f.includes("ip_src=10.0.0.9") && f.includes(",1/2)")),
    "the member's clause",
  );
  assert.ok(
    flows.some((f) => f.includes("tcp_dst=80") && f.includes(",2/2)")),
    "the port's clause",
  );
});

test("a rule replaced by another is one bundle: the new rule's flow and the old one's removal together", async () => {
  const r = wiredRig();
  await r.converger.passNow();
  r.plug("tap1", uuid(1), 5);
  await settle(r);
  r.steps.length = 0;
  const https = rule(3, { port_range_min: 443, port_range_max: 443 });
  r.converger.onControlChange(
    r.control.applyEvent({ kind: "security_group.updated", group: group([https, fromR]) }, 5),
  );
  await settle(r);
  assert.deepEqual(labels(r.steps), ["flows br-int +1 -1"]);
  const flows = intFlows(r);
  assert.ok(flows.some((f) => f.includes("tcp_dst=443")));
  assert.ok(!flows.some((f) => f.includes("tcp_dst=22")));
});

test("a member joining and leaving a remote group changes that address's flow only", async () => {
  const r = wiredRig();
  await r.converger.passNow();
  r.plug("tap1", uuid(1), 5);
  await settle(r);
  r.steps.length = 0;
  const member = { ip_address: "10.0.0.10", mac_address: "fa:16:3e:00:00:0a" };
  r.converger.onControlChange(
    r.control.applyEvent({ kind: "group_members.changed", group_id: R, added: [member], removed: [] }, 6),
  );
  await settle(r);
  assert.deepEqual(labels(r.steps), ["flows br-int +1 -0"]);
  assert.ok(intFlows(r).some((f) => f.includes("ip_src=10.0.0.10") && f.includes(",1/2)")));
  r.steps.length = 0;
  r.converger.onControlChange(
    r.control.applyEvent({ kind: "group_members.changed", group_id: R, added: [], removed: [member] }, 7),
  );
  await settle(r);
  assert.deepEqual(labels(r.steps), ["flows br-int +0 -1"]);
  assert.ok(!intFlows(r).some((f) => f.includes("ip_src=10.0.0.10")));
});
