// QoS's OVSDB state against a scripted database: policing tagged as the agent's, a dead VIF losing the
// agent's QoS row and policing (and keeping anyone else's), every wish [] once applied (the agent tells
// its echoes by that), and the cleanup after qos left the configuration (B11).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import type { FeatureContext, VifContext, VifRows } from "../../src/agent/index.ts";
import {
  leftoverOperations,
  policingOperations,
  portQosOperations,
  qos,
  qosCleanup,
  replicaSpec,
  vifQosClearOperations,
} from "../../src/agent/internal.ts";
import type { VswitchTables } from "../../src/ovsdb/index.ts";
import { FakeSwitch } from "../support/fake-switch.ts";

type Row = Record<string, unknown> & { _uuid: string };

/** A switch with one VIF (tap1); `qos` and `queue` make its Port.qos row, tagged as the agent's or not. */
function vifSwitch(options: { policing?: [number, number, string?]; qos?: "ours" | "theirs" } = {}) {
  const sw = new FakeSwitch(replicaSpec([qos.replica!]));
  const o = sw.db.ops;
  const [rate, burst, tag] = options.policing ?? [0, 0];
  const tagFor = (by: "ours" | "theirs"): Record<string, string> =>
    by === "ours" ? { "weir-interface": "tap1" } : {};
  sw.transact([
    o.insert(
      "Interface",
      {
        name: "tap1",
        ingress_policing_rate: rate,
        ingress_policing_burst: burst,
        external_ids: { "iface-id": "p1", ...(tag === undefined ? {} : { "weir-policing": tag }) },
      },
      "i",
    ),
    ...(options.qos === undefined
      ? []
      : [
          o.insert(
            "Queue",
            { other_config: { "max-rate": "8000000" }, external_ids: tagFor(options.qos) },
            "q",
          ),
          o.insert(
            "QoS",
            {
              type: "linux-htb",
              other_config: { "max-rate": "8000000" },
              queues: new Map([[0, "q"]]),
              external_ids: tagFor(options.qos),
            },
            "qos",
          ),
        ]),
    o.insert("Port", { name: "tap1", interfaces: ["i"], ...(options.qos ? { qos: "qos" } : {}) }, "p"),
    o.insert("Bridge", { name: "br-int", ports: ["p"] }, "b"),
  ]);
  const rows = (): VifRows => {
    const find = (table: string) => sw.rows(table)[0] as Row;
    return {
      port: find("Port") as unknown as VswitchTables["Port"],
      iface: find("Interface") as unknown as VswitchTables["Interface"],
      get: (table, uuid) => sw.rows(table).find((r) => r._uuid === uuid) as never,
    };
  };
  return { sw, ops: o, rows };
}

const ops = (list: readonly { op: string; table?: unknown }[]) => list.map((x) => `${x.op} ${x.table}`);

test("policing the agent sets is tagged; untagged values it wants get the tag once, without a rewrite", () => {
  const { sw, ops: o, rows } = vifSwitch();
  const limit = { kbps: 10_000, burstKb: 8_000 };
  const set = policingOperations(o, rows(), limit);
  assert.deepEqual(ops(set), ["update Interface", "mutate Interface"]);
  sw.transact(set);
  assert.deepEqual(
    [rows().iface.ingress_policing_rate, rows().iface.external_ids["weir-policing"]],
    [10_000, "10000/8000"],
  );
  assert.deepEqual(policingOperations(o, rows(), limit), [], "applied: the echo is recognised");

  const legacy = vifSwitch({ policing: [10_000, 8_000] });
  assert.deepEqual(ops(policingOperations(legacy.ops, legacy.rows(), limit)), ["mutate Interface"]);

  const cleared = policingOperations(o, rows(), undefined);
  assert.deepEqual(ops(cleared), ["update Interface", "mutate Interface"]);
  sw.transact(cleared);
  assert.deepEqual(
    [rows().iface.ingress_policing_rate, rows().iface.external_ids["weir-policing"]],
    [0, undefined],
  );
  assert.deepEqual(policingOperations(o, rows(), undefined), []);
});

test("a dead VIF loses the agent's QoS row, queue and policing; [] once it has", () => {
  const { sw, ops: o, rows } = vifSwitch({ policing: [10_000, 8_000, "10000/8000"], qos: "ours" });
  const clear = vifQosClearOperations(o, rows());
  assert.deepEqual(ops(clear), [
    "update Interface",
    "mutate Interface",
    "update Port",
    "delete QoS",
    "delete Queue",
  ]);
  sw.transact(clear);
  assert.deepEqual(
    [rows().port.qos, rows().iface.ingress_policing_rate, rows().iface.external_ids],
    [null, 0, { "iface-id": "p1" }],
  );
  assert.deepEqual([sw.rows("QoS"), sw.rows("Queue")], [[], []]);
  assert.deepEqual(vifQosClearOperations(o, rows()), []);
});

test("a dead VIF keeps someone else's QoS row and policing; policing changed after the agent's only loses the tag", () => {
  const theirs = vifSwitch({ policing: [500, 50], qos: "theirs" });
  assert.deepEqual(vifQosClearOperations(theirs.ops, theirs.rows()), []);
  const changed = vifSwitch({ policing: [500, 50, "10000/8000"] });
  const clear = vifQosClearOperations(changed.ops, changed.rows());
  assert.deepEqual(ops(clear), ["mutate Interface"]);
  changed.sw.transact(clear);
  assert.equal(changed.rows().iface.ingress_policing_rate, 500);
});

test("removing the agent's QoS row for a policy without limits deletes the row and its queue (root tables)", () => {
  const { ops: o, rows } = vifSwitch({ qos: "ours" });
  assert.deepEqual(ops(portQosOperations(o, rows(), undefined)), [
    "update Port",
    "delete QoS",
    "delete Queue",
  ]);
});

test("qos asks a dead VIF for its OVSDB cleanup only: no flows, no meters", () => {
  const { rows } = vifSwitch({ qos: "ours" });
  const vif: VifContext = {
    iface: "tap1",
    ofport: 5,
    state: "dead",
    portId: "p1",
    mac: undefined,
    network: undefined,
    details: undefined,
    rows: rows(),
  };
  const plan = qos.vif!(vif, {} as FeatureContext);
  assert.deepEqual([plan?.flows, plan?.meters], [undefined, undefined]);
  assert.deepEqual(ops(plan!.ovsdb!(rows(), vifSwitch().ops)), ["update Port", "delete QoS", "delete Queue"]);
});

test("the cleanup after qos was removed: the agent's rows, references and policing go, others' stay", async () => {
  const { sw } = vifSwitch({ policing: [10_000, 8_000, "10000/8000"], qos: "ours" });
  const o = sw.db.ops;
  sw.transact([
    o.insert("Interface", { name: "tap2", ingress_policing_rate: 300, ingress_policing_burst: 30 }, "i2"),
    o.insert("QoS", { type: "linux-htb", external_ids: { owner: "operator" } }, "theirs"),
    o.insert("Port", { name: "tap2", interfaces: ["i2"], qos: "theirs" }, "p2"),
    o.mutate("Bridge", [], [["ports", "insert", ["p2"]]]),
  ]);
  await qosCleanup(sw.db);
  assert.deepEqual(
    sw.rows("QoS").map((q) => q.external_ids),
    [{ owner: "operator" }],
  );
  assert.deepEqual(sw.rows("Queue"), []);
  assert.deepEqual(
    sw.rows("Port").map((p) => [p.name, p.qos !== null]),
    [
      ["tap1", false],
      ["tap2", true],
    ],
  );
  assert.deepEqual(
    sw.rows("Interface").map((i) => [i.name, i.ingress_policing_rate, i.external_ids]),
    [
      ["tap1", 0, { "iface-id": "p1" }],
      ["tap2", 300, {}],
    ],
  );
  const rows = {
    qos: sw.rows("QoS"),
    queues: sw.rows("Queue"),
    ports: sw.rows("Port"),
    interfaces: sw.rows("Interface"),
  } as never;
  assert.deepEqual(leftoverOperations(o, rows), [], "clean: nothing more to do");
});

test("the cleanup deletes the agent's orphaned queues too, but not one someone else's QoS row uses", () => {
  const { ops: o } = vifSwitch();
  const tagged = { "weir-interface": "tap9" };
  const [theirs, orphan, shared] = [randomUUID(), randomUUID(), randomUUID()];
  const operations = leftoverOperations(o, {
    qos: [{ _uuid: theirs, external_ids: {}, queues: new Map([[0, shared]]) }],
    queues: [
      { _uuid: orphan, external_ids: tagged },
      { _uuid: shared, external_ids: tagged },
    ],
    ports: [],
    interfaces: [],
  } as never);
  assert.deepEqual(
    operations.map((x) => [x.op, x.table, JSON.stringify(x.where)]),
    [["delete", "Queue", JSON.stringify([["_uuid", "==", ["uuid", orphan]]])]],
  );
});
