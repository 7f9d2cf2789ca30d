// ip_dscp against real Open vSwitch: matches and set_field written natively read back equal, their
// ovs-ofctl text means the same, and every way ovs-ofctl can write a DSCP change decodes to one action.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  actions as A,
  type Flow,
  FlowModCommand,
  flow,
  flowBodyEqual,
  flowKey,
  formatFlow,
} from "../../src/openflow/index.ts";
import { openflowBed } from "../support/openflow.ts";

const add = (f: Flow) => ({ flow: f, options: { command: FlowModCommand.add } });

test("ip_dscp matches and writes installed natively dump back equal, and their text means the same to ovs-ofctl", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-native", "br-text"] });
  const c = await bed.connect("br-native");
  const flows = [
    flow({
      table: 0,
      priority: 1,
      match: { eth_type: 0x800 },
      actions: [A.setField("ip_dscp", 26), A.output(1)],
    }),
    flow({
      table: 0,
      priority: 2,
      match: { eth_type: 0x86dd, ip_dscp: 46 },
      actions: [A.setField("ip_dscp", 0)],
    }),
    flow({
      table: 0,
      priority: 3,
      match: { eth_type: 0x800, ip_dscp: 63 },
      actions: [A.setField("ip_dscp", 63)],
    }),
    flow({
      table: 0,
      priority: 4,
      match: { eth_type: 0x86dd },
      actions: [A.load(1, A.subfield("ip_dscp", 0, 0)), A.load(5, A.subfield("ip_dscp", 3, 5)), A.output(2)],
    }),
  ];
  await c.bundle(flows.map(add));
  const decoded = new Map((await c.dumpFlows()).map((s) => [flowKey(s.flow), s.flow]));
  for (const f of flows) {
    const back = decoded.get(flowKey(f));
    assert.ok(back, `decoded a flow with the key of ${formatFlow(f)}`);
    assert.ok(flowBodyEqual(back, f), `${formatFlow(f)}\n  read back as\n${formatFlow(back)}`);
  }
  for (const f of flows) await bed.ofctl("add-flow", bed.mgmt("br-text"), formatFlow(f));
  assert.deepEqual(await bed.dump("br-text"), await bed.dump("br-native"));
});

test("every way ovs-ofctl writes a DSCP of 26 decodes to set_field:26->ip_dscp and re-encodes as it", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-x", "br-copy"] });
  const forms = [
    "set_field:26->ip_dscp",
    "set_field:104->nw_tos", // kept by OVS as a set_field of NXM_OF_IP_TOS, the DSCP unshifted
    "mod_nw_tos:104", // OFPACT_SET_IP_DSCP, dumped in 1.5 as set_field of OXM_OF_IP_DSCP
    "load:26->NXM_OF_IP_TOS[2..7]",
    "load:26->OXM_OF_IP_DSCP[]",
  ];
  for (const [i, form] of forms.entries()) {
    await bed.ofctl("add-flow", bed.mgmt("br-x"), `table=0,priority=${i + 1},ip,actions=${form},output:1`);
  }
  const dumped = await (await bed.connect("br-x")).dumpFlows();
  assert.equal(dumped.length, forms.length);
  for (const { flow: f } of dumped) {
    assert.deepEqual(f.actions, [A.setField("ip_dscp", 26), A.output(1)], `priority ${f.priority}`);
  }
  await (await bed.connect("br-copy")).bundle(dumped.map((s) => add(s.flow)));
  const copied = await bed.dump("br-copy");
  assert.equal(copied.length, forms.length);
  assert.ok(
    copied.every((line) => line.endsWith("actions=set_field:26->ip_dscp,output:1")),
    copied.join("\n"),
  );
  // And a one-bit load into nw_tos is the same write as a one-bit load into ip_dscp.
  await bed.ofctl("add-flow", bed.mgmt("br-x"), "table=1,priority=1,ipv6,actions=load:1->NXM_OF_IP_TOS[2]");
  const [oneBit] = (await (await bed.connect("br-x")).dumpFlows()).filter((s) => s.flow.table === 1);
  assert.deepEqual(oneBit?.flow.actions, [A.load(1, A.subfield("ip_dscp", 0, 0))]);
});
