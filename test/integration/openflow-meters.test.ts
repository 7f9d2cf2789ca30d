// Meters against real Open vSwitch (userspace datapath): the codec, the connection's meter calls,
// the rules that order meter mods around flow bundles, and BridgeMeters' reconciliation by range.
import assert from "node:assert/strict";
import { createConnection } from "node:net";
import { test } from "node:test";
import {
  actions as A,
  BridgeMeters,
  BundleError,
  type Flow,
  FlowModCommand,
  flow,
  flowBodyEqual,
  formatFlow,
  formatMeter,
  type Meter,
  MeterModCommand,
  MeterModError,
  meter,
  OpenFlowError,
} from "../../src/openflow/index.ts";
import {
  BundleControlType,
  BundleFlags,
  bundleControlMessage,
  decodeMessage,
  flowModMessage,
  helloMessage,
  type Incoming,
  MessageFramer,
  meterConfigRequest,
  meterFeaturesRequest,
  meterModMessage,
  Writer,
  writeBundleAdd,
} from "../../src/openflow/internal.ts";
import { run } from "../../src/testbed/index.ts";
import { openflowBed } from "../support/openflow.ts";

const add = (f: Flow) => ({ flow: f, options: { command: FlowModCommand.add } });
const byId = (meters: readonly Meter[]) => [...meters].sort((a, b) => a.id - b.id);
const ip = { eth_type: 0x800 };

const sample: Meter[] = [
  meter({ id: 1, unit: "kbps", bands: [{ rate: 1000 }] }),
  meter({
    id: 2,
    unit: "pktps",
    burst: true,
    stats: true,
    bands: [
      { rate: 100, burstSize: 10 },
      { rate: 50, burstSize: 5 },
    ],
  }),
  meter({ id: 65536, unit: "kbps", stats: true, bands: [{ rate: 20_000 }, { rate: 10_000 }] }),
  meter({ id: 0xffff0000, unit: "pktps", bands: [{ rate: 1 }] }),
];

test("meters added, modified and deleted read back equal, and their ovs-ofctl text makes the same meters", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-native", "br-text"] });
  const c = await bed.connect("br-native");
  for (const m of sample) await c.meterMod(MeterModCommand.add, m);
  assert.deepEqual(byId(await c.dumpMeters()), byId(sample));

  for (const m of sample) await bed.ofctl("add-meter", bed.mgmt("br-text"), formatMeter(m));
  const text = await bed.connect("br-text");
  assert.deepEqual(byId(await text.dumpMeters()), byId(sample), "formatMeter means the same to ovs-ofctl");

  const changed = meter({ id: 2, unit: "kbps", burst: true, bands: [{ rate: 7, burstSize: 3 }] });
  await c.meterMod(MeterModCommand.modify, changed);
  await c.meterMod(MeterModCommand.delete, 65536);
  await c.meterMod(MeterModCommand.delete, sample[3]!);
  assert.deepEqual(byId(await c.dumpMeters()), [sample[0], changed]);
  assert.match(
    await bed.ofctl("dump-meters", bed.mgmt("br-native")),
    /meter=2 kbps burst bands=\ntype=drop rate=7 burst_size=3/,
  );
});

test("the switch's meter refusals are MeterModErrors naming the meter; deleting a missing meter is no error", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-x"] });
  const c = await bed.connect("br-x");
  const refusal = async (command: MeterModCommand, m: Meter, code: string) =>
    assert.rejects(c.meterMod(command, m), (error: unknown) => {
      assert.ok(error instanceof MeterModError, String(error));
      assert.equal(error.meterId, m.id);
      assert.equal(error.error.typeName, "METER_MOD_FAILED");
      assert.equal(error.error.codeName, code);
      return true;
    });
  await c.meterMod(MeterModCommand.add, sample[0]!);
  await refusal(MeterModCommand.add, sample[0]!, "METER_EXISTS");
  await refusal(MeterModCommand.modify, sample[1]!, "UNKNOWN_METER");
  // What meter() refuses, sent anyway: OVS's userspace datapath has no dscp_remark band.
  const remark: Meter = {
    ...sample[1]!,
    bands: [{ type: "dscp_remark", rate: 10, burstSize: 10, precLevel: 1 }],
  };
  await refusal(MeterModCommand.add, remark, "BAD_BAND");
  await c.meterMod(MeterModCommand.delete, 4242);
  await c.barrier();
  assert.deepEqual(await c.dumpMeters(), [sample[0]], "the connection is still usable");
});

test("meter features decode to what ovs-ofctl meter-features prints", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-x"] });
  const features = await (await bed.connect("br-x")).meterFeatures();
  const text = await bed.ofctl("meter-features", bed.mgmt("br-x"));
  assert.match(
    text,
    new RegExp(
      `max_meter:${features.maxMeters} max_bands:${features.maxBands} max_color:${features.maxColor}`,
    ),
  );
  assert.match(text, new RegExp(`band_types: ${features.bandTypes.join(" ")}\\n`));
  assert.match(text, new RegExp(`capabilities: ${features.capabilities.join(" ")}\\n`));
  assert.deepEqual(features.bandTypes, ["drop"]);
});

test("the meter messages and a metered flow_mod mean to ovs-ofctl ofp-print what the values say", async () => {
  const print = (bytes: Buffer) => run("ovs-ofctl", ["ofp-print", bytes.toString("hex")]);
  assert.equal(
    (await print(meterModMessage(3, MeterModCommand.add, sample[1]!))).trim(),
    "OFPT_METER_MOD (OF1.5) (xid=0x3): ADD meter=2 pktps burst stats bands=\ntype=drop rate=50 burst_size=5\ntype=drop rate=100 burst_size=10",
  );
  assert.equal(
    (await print(meterModMessage(4, MeterModCommand.delete, 9))).trim(),
    "OFPT_METER_MOD (OF1.5) (xid=0x4): DEL meter=9 bands=",
  );
  assert.match(
    await print(meterConfigRequest(5)),
    /OFPST_METER_CONFIG request \(OF1\.5\) \(xid=0x5\): meter=all/,
  );
  assert.match(await print(meterFeaturesRequest(6)), /OFPST_METER_FEATURES request \(OF1\.5\) \(xid=0x6\)/);
  const f = flow({
    table: 3,
    priority: 9,
    match: ip,
    actions: [A.meter(7), A.setField("ip_dscp", 26), A.output(1)],
  });
  assert.match(
    await print(flowModMessage(7, f, { command: FlowModCommand.add })),
    /ADD table:3 priority=9,ip actions=meter:7,set_field:26->ip_dscp,output:1/,
  );
});

test("a flow with meter:N and set_field:26->ip_dscp installs, dumps back equal, and its text means the same", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-native", "br-text"] });
  const c = await bed.connect("br-native");
  const text = await bed.connect("br-text");
  const m = sample[2]!;
  await c.meterMod(MeterModCommand.add, m);
  await text.meterMod(MeterModCommand.add, m);
  const f = flow({
    table: 0,
    priority: 10,
    cookie: 0x5700000100000001n,
    match: { ...ip, ip_dscp: 0 },
    actions: [A.meter(m.id), A.setField("ip_dscp", 26), A.gotoTable(1)],
  });
  await c.bundle([add(f)]);
  const [back, ...rest] = await c.dumpFlows();
  assert.deepEqual(rest, []);
  assert.deepEqual(back!.flow.match, f.match);
  assert.ok(flowBodyEqual(back!.flow, f), formatFlow(back!.flow));
  await bed.ofctl("add-flow", bed.mgmt("br-text"), formatFlow(f));
  assert.deepEqual(await bed.dump("br-text"), await bed.dump("br-native"));
  assert.match((await bed.dump("br-native"))[0]!, /actions=meter:65536,set_field:26->ip_dscp,goto_table:1$/);
});

test("a flow naming a missing meter is refused with INVALID_METER, and a bundle containing it changes nothing", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-x"] });
  const c = await bed.connect("br-x");
  await c.bundle([add(flow({ table: 0, priority: 1, actions: [A.output(1)] }))]);
  const before = await bed.dump("br-x");
  const good = Array.from({ length: 5 }, (_, i) =>
    add(flow({ table: 1, priority: 10, match: { reg0: i }, actions: [A.output(2)] })),
  );
  const missing = add(flow({ table: 2, priority: 1, match: ip, actions: [A.meter(77), A.output(1)] }));
  // OVS checks meters when the flow is applied (ofproto.c add_flow_start → ofproto_check_ofpacts):
  // in a bundle that is the commit, which fails as a whole.
  await assert.rejects(c.bundle([...good, missing]), (error: unknown) => {
    assert.ok(error instanceof BundleError, String(error));
    assert.deepEqual(
      error.errors.map((e) => `${e.typeName}/${e.codeName}`),
      ["METER_MOD_FAILED/INVALID_METER"],
    );
    assert.match(error.message, /nothing applied/);
    return true;
  });
  assert.deepEqual(await bed.dump("br-x"), before, "the bundle changed nothing");
  await assert.rejects(c.sendFlowMods([missing]), /METER_MOD_FAILED\/INVALID_METER/);
  // Added first, the meter makes the same bundle pass.
  await c.meterMod(MeterModCommand.add, meter({ id: 77, unit: "kbps", bands: [{ rate: 10 }] }));
  await c.bundle([...good, missing]);
  assert.equal((await bed.dump("br-x")).length, before.length + good.length + 1);
});

test("deleting a meter deletes exactly the flows that use it", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-x"] });
  const c = await bed.connect("br-x");
  await c.meterMod(MeterModCommand.add, sample[0]!);
  await c.meterMod(MeterModCommand.add, sample[1]!);
  const metered = (id: number, reg: number) =>
    flow({ table: 0, priority: 10, match: { ...ip, reg0: reg }, actions: [A.meter(id), A.output(1)] });
  const plain = flow({ table: 0, priority: 5, actions: [A.output(2)] });
  await c.bundle([add(metered(1, 1)), add(metered(1, 2)), add(metered(2, 3)), add(plain)]);
  await c.meterMod(MeterModCommand.delete, 1);
  const left = (await c.dumpFlows()).map((s) => formatFlow(s.flow)).sort();
  assert.deepEqual(left, [formatFlow(metered(2, 3)), formatFlow(plain)].sort());
});

test("OVS ties a flow to its meter only when the meter is its first action, which is why flow() requires it", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-x"] });
  const c = await bed.connect("br-x");
  await c.meterMod(MeterModCommand.add, sample[0]!);
  // Built by hand: flow() refuses a meter after another action. OpenFlow 1.5 lets OVS accept it.
  const late: Flow = {
    ...flow({ table: 0, priority: 8, match: ip }),
    actions: [A.output(1), A.meter(1)],
  };
  const first = flow({ table: 0, priority: 9, match: ip, actions: [A.meter(1), A.output(1)] });
  await c.bundle([add(late), add(first)]);
  await c.meterMod(MeterModCommand.delete, 1);
  // The first-position flow went with its meter; the other outlives it (ofpacts_get_meter stops at the
  // first non-meter action, so the rule is never linked to the meter).
  assert.deepEqual(await bed.dump("br-x"), ["priority=8,ip actions=output:1,meter:1"]);
});

/** A bare OpenFlow 1.5 session to send what OpenFlowConnection never would. */
async function rawSession(t: import("node:test").TestContext, endpoint: string) {
  const socket = createConnection({ path: endpoint.replace(/^unix:/, "") });
  t.after(() => socket.destroy());
  const received: Incoming[] = [];
  let wake: () => void = () => {};
  const framer = new MessageFramer((m) => {
    received.push(decodeMessage(m));
    wake();
  });
  socket.on("data", (chunk) => framer.push(chunk));
  const next = async (accept: (m: Incoming) => boolean): Promise<Incoming> => {
    const deadline = performance.now() + 5_000;
    for (;;) {
      const at = received.findIndex(accept);
      if (at >= 0) return received.splice(at, 1)[0]!;
      if (performance.now() > deadline) throw new Error("no such message from the switch");
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  };
  socket.write(helloMessage(1));
  await next((m) => m.type === "hello");
  return { send: (bytes: Uint8Array) => socket.write(bytes), next };
}

test("meter mods cannot go into a bundle: OVS refuses them with BUNDLE_FAILED/MSG_UNSUP", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-x"] });
  const session = await rawSession(t, bed.mgmt("br-x"));
  const flags = BundleFlags.atomic | BundleFlags.ordered;
  session.send(bundleControlMessage(2, 1, BundleControlType.openRequest, flags));
  await session.next((m) => m.type === "bundle_control" && m.xid === 2);
  const w = new Writer();
  writeBundleAdd(w, 3, 1, flags, (inner) => inner.bytes(meterModMessage(3, MeterModCommand.add, sample[0]!)));
  session.send(w.finish());
  const refused = await session.next((m) => m.xid === 3);
  assert.ok(refused.type === "error" && refused.error instanceof OpenFlowError, refused.type);
  assert.equal(`${refused.error.typeName}/${refused.error.codeName}`, "BUNDLE_FAILED/MSG_UNSUP");
  session.send(bundleControlMessage(4, 1, BundleControlType.commitRequest, flags));
  await session.next((m) => m.xid === 4);
  assert.deepEqual(await (await bed.connect("br-x")).dumpMeters(), [], "no meter was made");
});

test("BridgeMeters adds meters before the flows bundle, prunes after it, and never touches meters outside its range", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-x"] });
  const c = await bed.connect("br-x");
  const range = { min: 65536, max: 131071 };
  // Someone else's meters below and above the range, and a stale one of ours in use by a flow.
  for (const id of [5, 70000, 200000]) {
    await bed.ofctl("add-meter", bed.mgmt("br-x"), `meter=${id},kbps,bands=type=drop,rate=100`);
  }
  await bed.ofctl("add-flow", bed.mgmt("br-x"), "table=0,priority=20,ip,reg0=7,actions=meter:70000,output:1");
  const foreign = byId((await c.dumpMeters()).filter((m) => !(m.id >= range.min && m.id <= range.max)));

  const meters = new BridgeMeters();
  const wanted = [
    meter({ id: 65536, unit: "kbps", bands: [{ rate: 10_000 }] }),
    meter({ id: 65537, unit: "pktps", burst: true, bands: [{ rate: 500, burstSize: 50 }] }),
  ];
  meters.replace("qos:port-a", wanted);
  const newFlow = flow({
    table: 0,
    priority: 20,
    match: { ...ip, reg0: 8 },
    actions: [A.meter(65537), A.output(1)],
  });
  await assert.rejects(c.bundle([add(newFlow)]), BundleError, "the flow needs its meter first");

  const installed = await meters.reconcile(c, { ranges: [range], prune: false });
  assert.deepEqual(
    [installed.added, installed.modified, installed.stale, installed.deleted],
    [[65536, 65537], [], [70000], []],
  );
  assert.ok(
    (await bed.dump("br-x")).some((l) => l.includes("meter:70000")),
    "the stale meter's flow survives until its bundle",
  );
  const oldFlow = (await c.dumpFlows()).find((s) => s.flow.actions[0]?.type === "meter")!.flow;
  await c.bundle([add(newFlow), { flow: oldFlow, options: { command: FlowModCommand.deleteStrict } }]);
  assert.deepEqual(await meters.prune(c, { ranges: [range] }), [70000]);

  const after = byId(await c.dumpMeters());
  assert.deepEqual(after, byId([...foreign, ...wanted]));
  assert.deepEqual(
    (await c.dumpFlows()).map((s) => formatFlow(s.flow)),
    [formatFlow(newFlow)],
  );
  // A changed meter is modified in place: the flow using it stays.
  const delta = meters.replace("qos:port-a", [
    wanted[0]!,
    meter({ id: 65537, unit: "pktps", bands: [{ rate: 9 }] }),
  ]);
  assert.deepEqual(
    delta.modifies.map((m) => m.id),
    [65537],
  );
  await meters.applyUpserts(c, delta);
  const again = await meters.reconcile(c, { ranges: [range] });
  assert.deepEqual([again.added, again.modified, again.unchanged, again.deleted], [[], [], 2, []]);
  assert.equal((await c.dumpFlows()).length, 1);
  assert.deepEqual(byId((await c.dumpMeters()).filter((m) => m.id < range.min || m.id > range.max)), foreign);
});
