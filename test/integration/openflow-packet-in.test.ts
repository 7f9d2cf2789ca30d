// Punted packets against real Open vSwitch: a service connection (<bridge>.mgmt) receives packet-ins only
// after SET_CONFIG with a non-zero miss_send_len, with the flow's cookie, table and the packet's in_port;
// a packet-out delivers a frame to a port as given; a connection without it gets none.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  actions as A,
  FlowModCommand,
  flow,
  flowBodyEqual,
  formatFlow,
  type PacketIn,
  packetInPort,
} from "../../src/openflow/index.ts";
import { ensureBridge, openVswitchDb } from "../../src/ovs/index.ts";
import { OvsdbClient } from "../../src/ovsdb/index.ts";
import {
  captureFrames,
  ovsPaths,
  restartVswitchd,
  sendFrames,
  type VmInfo,
  vsctl,
} from "../../src/testbed/index.ts";
import { openflowBed } from "../support/openflow.ts";

const macBytes = (mac: string) => Buffer.from(mac.split(":").map((h) => Number.parseInt(h, 16)));

/** A broadcast frame of an experimental ethertype (RFC 9542's 0x88b5), its payload tagged. */
const probeFrame = (src: string, tag: string) =>
  Buffer.concat([
    Buffer.alloc(6, 0xff),
    macBytes(src),
    Buffer.from([0x88, 0xb5]),
    Buffer.from(`weir ${tag}`.padEnd(46)),
  ]);

test("packet-ins come only to a connection that set miss_send_len, with cookie, table and in_port; packet-out delivers", async (t) => {
  const bed = await openflowBed(t, { vmsPerHost: 2 });
  const a = bed.tb.vm("h1-vm1");
  const b = bed.tb.vm("h1-vm2");
  const paths = ovsPaths(bed.host.runDir);
  const ofport = async (vm: VmInfo) =>
    Number((await vsctl(paths, ["get", "Interface", vm.port, "ofport"])).trim());
  const client = await OvsdbClient.connect({ endpoint: bed.host.ovsdb });
  t.after(() => client.close());
  await ensureBridge(await openVswitchDb(client), { name: "br-int", failMode: "secure" });
  const [portA, portB] = [await ofport(a), await ofport(b)];

  const punt = await bed.connect("br-int", { missSendLength: 0xffff });
  const plain = await bed.connect("br-int");
  const punted: PacketIn[] = [];
  const plainGot: PacketIn[] = [];
  punt.onPacketIn((p) => punted.push(p));
  plain.onPacketIn((p) => plainGot.push(p));
  const flows = [
    {
      flow: flow({
        table: 3,
        priority: 7,
        cookie: 0x5700010000000042n,
        match: { in_port: portA, eth_type: 0x88b5 },
        actions: [A.controllerWith(Buffer.from("weir userdata"))],
      }),
      options: { command: FlowModCommand.add },
    },
    {
      flow: flow({ table: 0, priority: 1, match: { in_port: portA }, actions: [A.gotoTable(3)] }),
      options: { command: FlowModCommand.add },
    },
  ];
  await plain.bundle(flows);
  // What OVS keeps is what was sent: a reconcile would see no difference.
  const dumped = (await plain.dumpFlows()).find((d) => d.flow.table === 3);
  assert.ok(dumped !== undefined && flowBodyEqual(dumped.flow, flows[0]!.flow), formatFlow(flows[0]!.flow));
  // And ovs-ofctl reads the text form as the same action.
  await bed.ofctl("add-flow", bed.mgmt("br-int"), formatFlow({ ...flows[0]!.flow, table: 4 }));
  const viaText = (await plain.dumpFlows()).find((d) => d.flow.table === 4);
  assert.deepEqual(viaText?.flow.actions, flows[0]!.flow.actions);

  await sendFrames(a, [probeFrame(a.mac, "one"), probeFrame(a.mac, "two")]);
  for (let i = 0; i < 100 && punted.length < 2; i++) await sleep(20);
  assert.equal(punted.length, 2, "both frames were punted to the connection that asked");
  assert.equal(plainGot.length, 0, "a service connection without miss_send_len gets none");
  const [first] = punted;
  assert.equal(first!.cookie, 0x5700010000000042n);
  assert.equal(first!.tableId, 3);
  assert.equal(packetInPort(first!), portA);
  assert.deepEqual(Buffer.from(first!.data), probeFrame(a.mac, "one"));
  assert.deepEqual(first!.userdata, Buffer.from("weir userdata"), "the flow's userdata came with it");

  // The answer goes out of b's port as given, whatever b's flows say (there are none: secure mode).
  const capture = await captureFrames(b, { seconds: 3, maxFrames: 1 });
  const reply = probeFrame(b.mac, "reply");
  reply.set(macBytes(b.mac), 0);
  await punt.packetOut({ inPort: 0xfffffffd, actions: [A.output(portB)], data: reply });
  const frames = await capture.frames;
  assert.equal(frames.length, 1, "b received the packet-out");
  assert.deepEqual(frames[0], reply);

  // The setting is per session: after ovs-vswitchd restarts, the new session asks again.
  const back = new Promise<void>((resolve) =>
    punt.onStatus((s) => s.state === "connected" && s.restarted && resolve()),
  );
  await restartVswitchd(bed.host);
  await back;
  await plain.barrier().catch(() => undefined);
  for (let i = 0; i < 100 && plain.status.state !== "connected"; i++) await sleep(20);
  await plain.bundle(flows);
  punted.length = 0;
  await sendFrames(a, [probeFrame(a.mac, "three")]);
  for (let i = 0; i < 100 && punted.length < 1; i++) await sleep(20);
  assert.equal(punted.length, 1, "punted again after the switch restarted");
  assert.equal(plainGot.length, 0);
});
