// A feature's mistakes stay its own (issue 10: "L2 wiring of every port goes on"), whatever goes wrong —
// it throws, its flow collides with another's, the switch refuses its bundle or its meters — and it comes
// back once it works, in the same run. Meters are sent before the flows that use them and deleted after.
import assert from "node:assert/strict";
import { mock, test } from "node:test";
import { FEATURE_RETRY_MS } from "../../src/agent/internal.ts";
import {
  GUARD_CLASS,
  GUARD_METER_BASE,
  guard,
  guardOwner,
  labels,
  N1,
  type Rig,
  rig,
  settle,
} from "./converger-rig.ts";
import { details, network, sync, uuid } from "./fixtures.ts";

const GUARD = GUARD_CLASS;
const METER_BASE = GUARD_METER_BASE;
const owner = guardOwner;

async function wiredHost(state: { broken: boolean; metered?: boolean }): Promise<Rig> {
  const r = rig({ extensions: [guard(state)] });
  r.control.applySync(sync({ ports: [details(uuid(1), N1), details(uuid(2), N1)], networks: [network(N1)] }));
  await r.converger.passNow();
  return r;
}

test("a feature whose flows were adopted at the swap takes them over once it works again", async () => {
  const r = await wiredHost({ broken: false });
  r.plug("tap1", uuid(1), 5);
  await settle(r);
  // What generations.ts does for a feature that failed at the swap: its flows become {class, "adopted"}.
  const flows = r.flows.int.desired.flowsOf(owner("tap1"));
  assert.equal(flows.length, 1);
  await r.flows.int.apply([
    [owner("tap1"), []],
    [{ ownerClass: GUARD, key: "adopted" }, flows],
  ]);
  // Someone re-tags tap1: a partial pass plans guard's flow for it again, which collides with the one
  // adopted. Only a full pass can hand every adopted flow over; one follows.
  const port = r.sw.find("Port", "tap1")!;
  r.sw.transact([r.sw.db.ops.update("Port", [["_uuid", "==", port._uuid]], { tag: 99 })]);
  await settle(r);
  assert.equal(r.converger.failedFeatures.has("guard"), false, "guard works");
  assert.equal(r.converger.counts.failures, 0, "no pass failed");
  assert.equal(
    r.flows.int.desired.has({ ownerClass: GUARD, key: "adopted" }),
    false,
    "adopted flows handed over",
  );
  assert.deepEqual(r.flows.int.desired.flowsOf(owner("tap1")), flows, "the same flow, now the VIF's own");
  assert.equal(r.sw.find("Port", "tap1")!.tag, r.converger.vifs.get("tap1")!.lvid, "tag put back");
});

test("a feature that failed is retried in a full pass 30 s later, although ports wait for confirmation meanwhile", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const state = { broken: true };
    const r = await wiredHost(state);
    r.flows.int.setInSync(false); // a repair pending: marks and status wait (and wake every 250 ms)
    r.plug("tap1", uuid(1), 5);
    for (let i = 0; i < 5; i++) {
      await r.converger.idle();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(r.converger.failedFeatures.get("guard"), "transient failure");
    state.broken = false;
    // settle() waits on setTimeout, which is mocked here: passes run on setImmediate.
    const run = async () => {
      for (let i = 0; i < 5; i++) {
        await r.converger.idle();
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    for (let ms = 0; ms < FEATURE_RETRY_MS - 1_000; ms += 250) {
      mock.timers.tick(250);
      await run();
    }
    assert.equal(r.converger.failedFeatures.has("guard"), true, "not retried in full before 30 s");
    for (let ms = 0; ms < 2_000; ms += 250) {
      mock.timers.tick(250);
      await run();
    }
    assert.equal(r.converger.failedFeatures.has("guard"), false, "retried, and works");
    assert.equal(r.flows.int.desired.flowsOf(owner("tap1")).length, 1, "its flows for the port are in");
  } finally {
    mock.timers.reset();
  }
});

test("a bundle the switch refuses fails the feature whose flows it refused; every other feature's go in", async () => {
  const r = await wiredHost({ broken: false });
  r.flows.int.refuse = (o) => o.ownerClass === GUARD && o.key.startsWith("vif:");
  r.steps.length = 0;
  r.sw.startRecording();
  r.plug("tap1", uuid(1), 5);
  await settle(r);
  assert.equal(r.converger.vifs.get("tap1")?.state, "wired", "L2 wiring went on");
  assert.equal(r.sw.find("Port", "tap1")!.tag, r.converger.vifs.get("tap1")!.lvid);
  assert.match(r.converger.failedFeatures.get("guard") ?? "", /bundle refused/);
  assert.equal(r.converger.counts.failures, 0, "no pass failed as a whole");
  assert.ok(
    r.flows.tun.desired.has({ ownerClass: 0x06, key: `net:${N1}` }),
    "the network's br-tun flows are in",
  );
  assert.equal(r.flows.int.desired.has(owner("tap1")), false, "the refused flows are not desired");
  assert.ok(labels(r.steps).includes("status up"), "the port went ACTIVE");
});

test("meters go before the flows that use them, and after the flows that used them", async () => {
  const r = await wiredHost({ broken: false, metered: true });
  r.steps.length = 0;
  r.plug("tap1", uuid(1), 5);
  await settle(r);
  const id = METER_BASE + 5;
  const order = labels(r.steps).filter((l) => l.startsWith("meters") || l.startsWith("flows br-int"));
  assert.deepEqual(order.slice(0, 2), [`meters br-int +${id}`, "flows br-int +1 -0"]);
  assert.ok(r.meters.int.onSwitch.has(id));
  // The port leaves: its flow goes first, then its meter (a meter delete takes its flows with it).
  r.steps.length = 0;
  const port = r.sw.find("Port", "tap1")!;
  const br = r.sw.find("Bridge", "br-int")!;
  r.sw.transact([
    r.sw.db.ops.mutate("Bridge", [["_uuid", "==", br._uuid]], [["ports", "delete", ["uuid", port._uuid]]]),
  ]);
  await settle(r);
  const after = labels(r.steps).filter((l) => l.startsWith("meters") || l.startsWith("flows br-int"));
  assert.deepEqual(after, ["flows br-int +0 -1", `meters br-int -${id}`]);
  assert.equal(r.meters.int.onSwitch.has(id), false);
});

test("a meter the switch did not take is sent again by the next pass (not recorded as sent)", async () => {
  const r = await wiredHost({ broken: false, metered: true });
  let failures = 1;
  r.meters.int.refuse = () => (failures-- > 0 ? "transport" : undefined);
  r.plug("tap1", uuid(1), 5);
  await settle(r);
  await new Promise((resolve) => setTimeout(resolve, 400)); // the failed pass's backoff
  await settle(r);
  const id = METER_BASE + 5;
  assert.equal(r.converger.counts.failures, 1, "one pass failed");
  assert.ok(r.meters.int.onSwitch.has(id), "the meter is on the switch");
  assert.equal(r.flows.int.desired.flowsOf(owner("tap1")).length, 1, "and the flow using it");
  assert.equal(r.converger.vifs.get("tap1")?.state, "wired");
});

test("a meter the switch refuses fails its feature alone", async () => {
  const r = await wiredHost({ broken: false, metered: true });
  r.meters.int.refuse = (id) => (id >= METER_BASE ? "refused" : undefined);
  r.plug("tap1", uuid(1), 5);
  await settle(r);
  assert.match(r.converger.failedFeatures.get("guard") ?? "", /BAD_RATE/);
  assert.equal(r.converger.counts.failures, 0);
  assert.equal(r.converger.vifs.get("tap1")?.state, "wired", "L2 wiring went on");
  assert.equal(r.meters.int.meters.size, 0, "nothing recorded that the switch refused");
  assert.equal(r.flows.int.desired.has(owner("tap1")), false);
});

test("an ofport freed and taken in one pass passes its flows and meter from the old VIF to the new one", async () => {
  const r = await wiredHost({ broken: false, metered: true });
  r.plug("tap1", uuid(1), 5);
  await settle(r);
  // tap1 leaves and tap2 arrives with its ofport, in one transaction (one pass).
  const o = r.sw.db.ops;
  const br = r.sw.find("Bridge", "br-int")!;
  const old = r.sw.find("Port", "tap1")!;
  r.sw.transact([
    o.mutate("Bridge", [["_uuid", "==", br._uuid]], [["ports", "delete", ["uuid", old._uuid]]]),
    o.insert(
      "Interface",
      {
        name: "tap2",
        ofport: 5,
        external_ids: { "iface-id": uuid(2), "attached-mac": "fa:16:3e:00:00:02", "iface-status": "active" },
      },
      "i",
    ),
    o.insert("Port", { name: "tap2", interfaces: ["i"] }, "p"),
    o.mutate("Bridge", [["_uuid", "==", br._uuid]], [["ports", "insert", ["p"]]]),
  ]);
  await settle(r);
  assert.deepEqual([...r.converger.failedFeatures], []);
  assert.equal(r.converger.counts.failures, 0);
  assert.equal(r.flows.int.desired.flowsOf(owner("tap2")).length, 1);
  assert.equal(r.flows.int.desired.has(owner("tap1")), false);
  assert.equal(r.meters.int.meters.ownerOf(METER_BASE + 5), "128/vif:tap2");
  assert.ok(r.meters.int.onSwitch.has(METER_BASE + 5), "the meter stayed on the switch");
});

test("a feature that throws fails alone; the others' flows go in and its own stay as they were", async () => {
  const state = { broken: false };
  const r = await wiredHost(state);
  r.plug("tap1", uuid(1), 5);
  await settle(r);
  const before = r.flows.int.desired.flowsOf(owner("tap1"));
  state.broken = true;
  // A new network for the port: l2 features plan new flows; guard throws.
  const N2 = uuid(0x200);
  r.converger.onControlChange(
    r.control.applyEvent({ kind: "port.updated", port: details(uuid(1), N2, { segmentation_id: 2000 }) }, 5),
  );
  r.converger.onControlChange(
    r.control.applyEvent({ kind: "network.updated", network: network(N2, { segmentation_id: 2000 }) }, 6),
  );
  await settle(r);
  assert.equal(r.converger.failedFeatures.get("guard"), "transient failure");
  assert.equal(r.converger.vifs.get("tap1")?.networkId, N2, "re-wired on its new network");
  assert.ok(r.flows.tun.desired.has({ ownerClass: 0x06, key: `net:${N2}` }), "the new network's flows");
  assert.deepEqual(r.flows.int.desired.flowsOf(owner("tap1")), before, "guard's flows stayed as they were");
});
