// The OpenFlow codec checked against Open vSwitch itself, on generated flows of every kind Weir emits:
//  - forward: flows installed through the native client, and the same flows as ovs-ofctl text installed
//    by ovs-ofctl, dump identically (ovs-ofctl dump-flows is the oracle);
//  - reverse: flows installed by ovs-ofctl decode from a native dump equal to the flows they came from.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import {
  FlowModCommand,
  flowBodyEqual,
  flowKey,
  formatFlow,
  OpenFlowConnection,
} from "../../src/openflow/index.ts";
import { ovsPaths, run, vsctl } from "../../src/testbed/index.ts";
import { generateFlows } from "../support/flow-generator.ts";
import { testbed } from "../support/ovs.ts";

async function bridges(t: import("node:test").TestContext, names: string[]) {
  const tb = await testbed(t, { hosts: 1 });
  const host = tb.info.hosts[0]!;
  for (const br of names) {
    await vsctl(ovsPaths(host.runDir), [
      "add-br",
      br,
      "--",
      "set",
      "Bridge",
      br,
      "datapath_type=netdev",
      "fail_mode=secure",
    ]);
  }
  const mgmt = (br: string) => `unix:${host.runDir}/${br}.mgmt`;
  const connect = async (br: string) => {
    const c = await OpenFlowConnection.connect({ endpoint: mgmt(br) });
    t.after(() => c.close());
    return c;
  };
  const dump = async (br: string) =>
    (await run("ovs-ofctl", ["-O", "OpenFlow15", "--no-stats", "--no-names", "dump-flows", mgmt(br)]))
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("OFPST"))
      .sort();
  return { host, mgmt, connect, dump };
}

for (const seed of [11, 12, 13]) {
  test(`generated flows (seed ${seed}): native encoding and ovs-ofctl text mean the same to OVS, both ways`, async (t) => {
    const { host, mgmt, connect, dump } = await bridges(t, ["br-native", "br-text"]);
    const flows = generateFlows(seed, 1000);

    // Forward.
    const native = await connect("br-native");
    await native.bundle(flows.map((flow) => ({ flow, options: { command: FlowModCommand.add } })));
    const file = join(host.runDir, "flows.txt");
    await writeFile(file, `${flows.map((f) => formatFlow(f)).join("\n")}\n`);
    await run("ovs-ofctl", ["-O", "OpenFlow15", "--bundle", "add-flows", mgmt("br-text"), file]);
    const fromNative = await dump("br-native");
    const fromText = await dump("br-text");
    assert.equal(fromNative.length, flows.length, "every flow installed");
    const textSet = new Set(fromText);
    const differing = fromNative.filter((line) => !textSet.has(line));
    assert.deepEqual(differing, [], "native and text installs dump the same");

    // Reverse: the flows ovs-ofctl installed, read through the native dump.
    const textConnection = await connect("br-text");
    const decoded = new Map((await textConnection.dumpFlows()).map((s) => [flowKey(s.flow), s.flow]));
    for (const f of flows) {
      const back = decoded.get(flowKey(f));
      assert.ok(back, `decoded a flow with the key of ${formatFlow(f)}`);
      assert.ok(flowBodyEqual(back, f), `${formatFlow(f)}\n  decoded as\n${formatFlow(back)}`);
    }
  });
}

test("flows written by hand in ovs-ofctl syntax (Neutron's) decode and re-encode to the same flows", async (t) => {
  const { host, mgmt, connect, dump } = await bridges(t, ["br-tun", "br-copy", "br-retext"]);
  const lines = [
    "table=0,priority=1,in_port=1 actions=resubmit(,2)",
    "table=0,priority=0 actions=drop",
    "table=2,priority=0,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00 actions=resubmit(,20)",
    "table=2,priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 actions=resubmit(,22)",
    "table=4,priority=1,tun_id=0x64 actions=mod_vlan_vid:1,resubmit(,10)",
    "table=10,priority=1 actions=learn(table=20,hard_timeout=300,priority=1,cookie=0x5700007f00000000,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:1",
    "table=20,priority=2,dl_vlan=1,dl_dst=fa:16:3e:00:00:01 actions=strip_vlan,load:0x64->NXM_NX_TUN_ID[],output:3",
    "table=21,priority=1,arp,dl_vlan=1,arp_tpa=198.19.0.5 actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],mod_dl_src:fa:16:3e:00:00:05,load:0x2->NXM_OF_ARP_OP[],move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],load:0xfa163e000005->NXM_NX_ARP_SHA[],load:0xc6130005->NXM_OF_ARP_SPA[],in_port",
    "table=22,priority=1,dl_vlan=1 actions=strip_vlan,set_tunnel:0x64,output:3,output:4",
    "table=71,priority=95,ct_state=+trk,icmp6,reg5=0x3,in_port=3,icmp_type=136 actions=resubmit(,94)",
    "table=72,priority=74,ct_state=+new-est,ip,reg5=0x3 actions=resubmit(,73)",
    "table=73,priority=90,ct_state=+new-est,ip,reg5=0x3 actions=ct(commit,zone=NXM_NX_REG6[0..15]),resubmit(,91)",
    "table=82,priority=70,ct_state=+est-rel-rpl,tcp,reg5=0x3,tp_dst=22 actions=conjunction(8,1/2)",
    "table=82,priority=70,conj_id=8,ct_state=+est-rel-rpl,ip,reg5=0x3 actions=load:0x8->NXM_NX_REG7[],resubmit(,92)",
    "table=60,priority=100,in_port=3 actions=load:0x3->NXM_NX_REG5[],load:0x1->NXM_NX_REG6[],resubmit(,71)",
    "table=0,priority=65535,vlan_tci=0x0fff/0x1fff actions=drop",
    "table=23,priority=0 actions=note:77.65.69.72",
    "table=91,priority=1,ip actions=ct(commit,zone=NXM_NX_REG6[0..15],exec(load:0x1->NXM_NX_CT_MARK[])),dec_ttl,CONTROLLER:65535",
  ];
  const file = join(host.runDir, "neutron.txt");
  await writeFile(file, `${lines.join("\n")}\n`);
  await run("ovs-ofctl", ["-O", "OpenFlow15", "add-flows", mgmt("br-tun"), file]);
  const decoded = await (await connect("br-tun")).dumpFlows();
  assert.equal(decoded.length, lines.length);
  const copy = await connect("br-copy");
  await copy.bundle(decoded.map((s) => ({ flow: s.flow, options: { command: FlowModCommand.add } })));
  assert.deepEqual(await dump("br-copy"), await dump("br-tun"));
  // And the text rendering of what was decoded means the same to ovs-ofctl as the original text.
  const rendered = join(host.runDir, "rendered.txt");
  await writeFile(rendered, `${decoded.map((s) => formatFlow(s.flow)).join("\n")}\n`);
  await run("ovs-ofctl", ["-O", "OpenFlow15", "add-flows", mgmt("br-retext"), rendered]);
  assert.deepEqual(await dump("br-retext"), await dump("br-tun"));
});
