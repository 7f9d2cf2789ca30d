// Meters as values, the meter action's place in a flow, and BridgeMeters against a scripted switch.
import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidArgumentError } from "../../src/base/index.ts";
import {
  actions as A,
  BridgeMeters,
  flow,
  formatFlow,
  formatMeter,
  type Meter,
  MeterConflictError,
  MeterModCommand,
  MeterModError,
  meter,
  meterEqual,
  meterRangesWithout,
  type OpenFlowConnection,
  OpenFlowError,
} from "../../src/openflow/index.ts";

const fails = (fn: () => unknown, text: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof InvalidArgumentError && text.test(e.message));

test("bad meters and meter actions are refused before anything reaches a switch, naming the field", () => {
  fails(() => A.meter(0), /meter: 0 is outside 1\.\.4294901760/);
  fails(() => A.meter(0xffff0001), /meter: 4294901761 is outside/);
  fails(() => meter({ id: 0, unit: "kbps", bands: [{ rate: 1 }] }), /meter id: 0 is outside/);
  fails(() => meter({ id: 1, unit: "bps" as "kbps", bands: [{ rate: 1 }] }), /meter 1 unit: "bps" is not/);
  fails(() => meter({ id: 1, unit: "kbps", bands: [] }), /meter 1 bands: needs 1\.\.255 bands, not 0/);
  fails(() => meter({ id: 1, unit: "kbps", bands: [{ rate: 0 }] }), /meter 1 bands\[0\]\.rate: 0 is outside/);
  fails(
    () => meter({ id: 1, unit: "kbps", bands: [{ rate: 5, burstSize: 7 }] }),
    /meter 1 bands\[0\]\.burstSize: needs burst: true/,
  );
  fails(
    () => meter({ id: 1, unit: "kbps", burst: true, bands: [{ rate: 5, burstSize: 0 }] }),
    /bands\[0\]\.burstSize: 0 is outside 1\.\./,
  );
  fails(
    () => meter({ id: 1, unit: "kbps", bands: [{ type: "dscp_remark" as "drop", rate: 5 }] }),
    /bands\[0\]\.type: only drop bands/,
  );
  fails(() => flow({ actions: [A.output(1), A.meter(1)] }), /meter: must be the first action/);
  fails(() => flow({ actions: [A.meter(1), A.meter(2)] }), /meter: must be the first action/);
});

test("meters are canonical: bands sorted, burst size the rate unless burst is set", () => {
  const m = meter({ id: 3, unit: "pktps", bands: [{ rate: 20 }, { rate: 10 }] });
  assert.deepEqual(m, {
    id: 3,
    unit: "pktps",
    burst: false,
    stats: false,
    bands: [
      { type: "drop", rate: 10, burstSize: 10 },
      { type: "drop", rate: 20, burstSize: 20 },
    ],
  });
  assert.ok(meterEqual(m, meter({ id: 3, unit: "pktps", bands: [{ rate: 10 }, { rate: 20 }] })));
  assert.ok(!meterEqual(m, { ...m, stats: true }));
  assert.equal(
    formatMeter(
      meter({ id: 7, unit: "kbps", burst: true, stats: true, bands: [{ rate: 1000, burstSize: 100 }] }),
    ),
    "meter=7,kbps,burst,stats,bands=type=drop,rate=1000,burst_size=100",
  );
  assert.equal(formatMeter(m), "meter=3,pktps,bands=type=drop,rate=10,type=drop,rate=20");
  const f = flow({ match: { eth_type: 0x800 }, actions: [A.meter(3), A.output(1)] });
  assert.equal(
    formatFlow(f, { cookie: false }),
    "table=0,priority=32768,eth_type=0x800 actions=meter:3,output:1",
  );
});

/** A switch's meter table, scripted: meter mods applied as OVS does, every call recorded. */
function scriptedSwitch(initial: readonly Meter[] = []) {
  const table = new Map(initial.map((m) => [m.id, m]));
  const calls: string[] = [];
  const refuse = (code: number, id: number, command: "add" | "modify" | "delete") =>
    new MeterModError(command, id, new OpenFlowError(12, code, new Uint8Array()));
  const connection = {
    async dumpMeters() {
      calls.push("dump");
      return [...table.values()];
    },
    async meterMod(command: number, m: Meter | number) {
      const id = typeof m === "number" ? m : m.id;
      const name =
        command === MeterModCommand.add ? "add" : command === MeterModCommand.modify ? "modify" : "delete";
      calls.push(`${name} ${id}`);
      if (command === MeterModCommand.delete) table.delete(id);
      else if (command === MeterModCommand.add && table.has(id)) throw refuse(1, id, name);
      else if (command === MeterModCommand.modify && !table.has(id)) throw refuse(3, id, name);
      else table.set(id, m as Meter);
    },
  };
  return { table, calls, connection: connection as unknown as OpenFlowConnection };
}

const m = (id: number, rate = 1000) => meter({ id, unit: "kbps", bands: [{ rate }] });

test("replacing an owner's meters yields exactly the adds, modifies and deletes; conflicts change nothing", () => {
  const meters = new BridgeMeters();
  assert.deepEqual(meters.replace("qos:a", [m(1), m(2)]), { adds: [m(1), m(2)], modifies: [], deletes: [] });
  assert.deepEqual(meters.replace("qos:a", [m(1), m(2, 5), m(3)]), {
    adds: [m(3)],
    modifies: [m(2, 5)],
    deletes: [],
  });
  assert.deepEqual(meters.replace("qos:a", [m(3)]), { adds: [], modifies: [], deletes: [m(1), m(2, 5)] });
  assert.throws(() => meters.replace("qos:b", [m(4), m(3)]), MeterConflictError);
  assert.throws(() => meters.replace("qos:b", [m(4), m(4)]), /meter 4 is owned by qos:b; qos:b cannot/);
  assert.deepEqual(meters.owners(), ["qos:a"]);
  assert.deepEqual(meters.meters(), [m(3)]);
  assert.deepEqual(meters.remove("qos:a").deletes, [m(3)]);
  assert.equal(meters.size, 0);
});

test("reconcile adds and modifies desired meters, deletes only stale ones inside the range", async () => {
  const range = { min: 100, max: 199 };
  // 100: desired, differs; 150: stale; 160: stale but kept; 5 and 200: outside the range, someone else's.
  const sw = scriptedSwitch([m(100, 1), m(150), m(160), m(5), m(200)]);
  const meters = new BridgeMeters();
  meters.replace("qos:a", [m(100), m(101)]);
  const result = await meters.reconcile(sw.connection, { ranges: [range], keepIds: [160] });
  assert.deepEqual(
    [result.added, result.modified, result.unchanged, result.stale, result.deleted],
    [[101], [100], 0, [150], [150]],
  );
  assert.deepEqual(
    [...sw.table.keys()].sort((a, b) => a - b),
    [5, 100, 101, 160, 200],
  );
  assert.ok(meterEqual(sw.table.get(100)!, m(100)));
  sw.calls.length = 0;
  const again = await meters.reconcile(sw.connection, { ranges: [range] });
  assert.deepEqual([again.unchanged, again.deleted], [2, [160]]);
  assert.deepEqual(sw.calls, ["dump", "delete 160"]);
});

test("reconcile with prune: false only reports stale meters; prune() deletes them after the flows bundle", async () => {
  const range = { min: 100, max: 199 };
  const sw = scriptedSwitch([m(150), m(5)]);
  const meters = new BridgeMeters();
  meters.replace("qos:a", [m(101)]);
  const first = await meters.reconcile(sw.connection, { ranges: [range], prune: false });
  assert.deepEqual([first.added, first.stale, first.deleted], [[101], [150], []]);
  assert.ok(sw.table.has(150), "stale meter left for after the flows bundle");
  assert.deepEqual(await meters.prune(sw.connection, { ranges: [range] }), [150]);
  assert.deepEqual(
    [...sw.table.keys()].sort((a, b) => a - b),
    [5, 101],
  );
});

test("a desired meter outside the range is refused before anything is sent", async () => {
  const sw = scriptedSwitch();
  const meters = new BridgeMeters();
  meters.replace("qos:a", [m(7)]);
  await assert.rejects(
    meters.reconcile(sw.connection, { ranges: [{ min: 100, max: 199 }] }),
    /meter 7: of qos:a lies outside the reconciled ranges 100\.\.199/,
  );
  await assert.rejects(meters.prune(sw.connection, { ranges: [{ min: 9, max: 3 }] }), /meter range: 9\.\.3/);
  assert.deepEqual(sw.calls, []);
});

test("two features' ranges in one reconcile: each one's meters are kept, stale ones deleted in both (B8)", async () => {
  const qos = { min: 100, max: 199 };
  const other = { min: 300, max: 399 };
  // 150 and 350: stale, one in each range; 250: between them, nobody's.
  const sw = scriptedSwitch([m(150), m(350), m(250)]);
  const meters = new BridgeMeters();
  meters.replace("qos:a", [m(100)]);
  meters.replace("other:a", [m(300)]);
  const result = await meters.reconcile(sw.connection, { ranges: [qos, other] });
  assert.deepEqual(
    [result.added, result.stale, result.deleted],
    [
      [100, 300],
      [150, 350],
      [150, 350],
    ],
  );
  assert.deepEqual(
    [...sw.table.keys()].sort((a, b) => a - b),
    [100, 250, 300],
  );
  await assert.rejects(
    meters.reconcile(sw.connection, { ranges: [qos, { min: 199, max: 250 }] }),
    /meter ranges: 100\.\.199 and 199\.\.250 overlap/,
  );
});

test("pruning a subset of the ranges: every desired meter is put back, only the listed ranges lose stale ones", async () => {
  const ok = { min: 100, max: 199 };
  const failed = { min: 300, max: 399 };
  const removed = { min: 500, max: 599 }; // an extension no longer configured: nobody desires its ids
  const sw = scriptedSwitch([m(150), m(350), m(550), m(300, 1)]);
  const meters = new BridgeMeters();
  meters.replace("ok:a", [m(100)]);
  meters.replace("failed:a", [m(300)]);
  const result = await meters.reconcile(sw.connection, { ranges: [ok, failed], prune: [ok, removed] });
  assert.deepEqual(
    [result.added, result.modified, result.stale, result.deleted],
    [[100], [300], [150, 550], [150, 550]],
  );
  assert.deepEqual(
    [...sw.table.keys()].sort((a, b) => a - b),
    [100, 300, 350],
    "the failed feature's stale meter stays, like its flows",
  );
  assert.deepEqual(await meters.prune(sw.connection, { ranges: [ok, failed] }), [350]);
  const none = await meters.reconcile(sw.connection, { ranges: [ok, failed], prune: [] });
  assert.deepEqual([none.stale, none.deleted], [[], []]);
});

test("meterRangesWithout cuts holes out of ranges", () => {
  assert.deepEqual(
    meterRangesWithout(
      [
        { min: 1, max: 100 },
        { min: 200, max: 300 },
      ],
      [
        { min: 10, max: 20 },
        { min: 250, max: 400 },
        { min: 1, max: 1 },
      ],
    ),
    [
      { min: 2, max: 9 },
      { min: 21, max: 100 },
      { min: 200, max: 249 },
    ],
  );
  assert.deepEqual(meterRangesWithout([{ min: 5, max: 6 }], [{ min: 1, max: 10 }]), []);
});

test("deltas apply in two steps; an add of an existing meter becomes a modify, a delete of a re-desired id is skipped", async () => {
  const sw = scriptedSwitch([m(1, 5)]);
  const meters = new BridgeMeters();
  const delta = meters.replace("qos:a", [m(1), m(2)]);
  await meters.applyUpserts(sw.connection, delta);
  assert.deepEqual(sw.calls, ["add 1", "modify 1", "add 2"]);
  assert.ok(meterEqual(sw.table.get(1)!, m(1)));
  sw.calls.length = 0;
  const gone = meters.replace("qos:a", [m(2)]);
  meters.replace("qos:b", [m(1)]); // id 1 moves to another owner before the deletes are sent
  await meters.applyDeletes(sw.connection, gone);
  assert.deepEqual(sw.calls, []);
  await meters.applyDeletes(sw.connection, meters.remove("qos:a"));
  assert.deepEqual(sw.calls, ["delete 2"]);
});

test("a meter mod error names the meter and says what OVS meant", () => {
  const error = new MeterModError("add", 7, new OpenFlowError(12, 1, new Uint8Array()));
  assert.equal(error.code, "OPENFLOW_METER_MOD_FAILED");
  assert.equal(
    error.message,
    "meter 7: add refused: METER_MOD_FAILED/METER_EXISTS: a meter with this id exists already (modify it instead)",
  );
  assert.equal(
    new MeterModError("modify", 8, new OpenFlowError(12, 3, new Uint8Array())).reason,
    "no meter with this id exists",
  );
});
