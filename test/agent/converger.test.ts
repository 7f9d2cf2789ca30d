// The converger without OVS: a scripted switch database (test/support/fake-switch.ts) whose transactions
// echo back through the replica as ovsdb-server's would, and flow sinks that record each bundle. What must
// hold: the order that never opens a gap (flows added, then tags, then flows removed, then marks and
// status); no pass for the echo of the agent's own writes or for server events that change nothing here;
// one VIF looked at per new port, whatever the host holds; a failing feature isolated.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Feature } from "../../src/agent/index.ts";
import { parseAgentConfig } from "../../src/agent/index.ts";
import {
  ControlState,
  Converger,
  coreFeatures,
  type FlowSink,
  type LoadedFeature,
  LocalVlans,
  type MeterSink,
  OvsView,
  Pipeline,
  replicaSpec,
  StatusReports,
} from "../../src/agent/internal.ts";
import { silentLog } from "../../src/base/index.ts";
import { DesiredFlows, type Flow, type FlowOwner, ownerId } from "../../src/openflow/index.ts";
import { FakeSwitch, type Step } from "../support/fake-switch.ts";
import { details, HOST, network, sync, uuid } from "./fixtures.ts";

const N1 = uuid(0x100);
const config = parseAgentConfig(
  [
    "[DEFAULT]",
    `host = ${HOST}`,
    "[ovs]",
    "local_ip = 198.18.0.1",
    "datapath_type = netdev",
    "[agent]",
    "tunnel_types = vxlan",
  ].join("\n"),
);

type Recorded =
  | Step
  | { readonly kind: "status"; readonly up: readonly string[]; readonly down: readonly string[] };

/** A bridge's flows as the converger sees them, recording every bundle it would send. */
class FakeFlows implements FlowSink {
  readonly desired = new DesiredFlows();
  inSync = true;
  readonly #bridge: string;
  readonly #steps: Recorded[];

  constructor(bridge: string, steps: Recorded[]) {
    this.#bridge = bridge;
    this.#steps = steps;
  }

  onInSync(): () => void {
    return () => {};
  }

  async apply(changes: Iterable<readonly [FlowOwner, readonly Flow[]]>) {
    let adds = 0;
    let removes = 0;
    const owners: string[] = [];
    for (const [owner, flows] of [...changes].sort(
      ([, a], [, b]) => Number(a.length > 0) - Number(b.length > 0),
    )) {
      const delta = this.desired.replace(owner, flows);
      adds += delta.upserts.length;
      removes += delta.removals.length;
      if (delta.upserts.length + delta.removals.length > 0) owners.push(ownerId(owner));
    }
    if (adds + removes > 0) this.#steps.push({ kind: "flows", bridge: this.#bridge, owners, adds, removes });
    return { added: adds, modified: 0, deleted: removes, unchanged: 0, durationMs: 0 };
  }
}

const noMeters: MeterSink = {
  has: () => false,
  replace: () => ({ adds: [], modifies: [], deletes: [] }),
  upsert: async () => {},
  delete: async () => {},
};

interface Rig {
  readonly sw: FakeSwitch;
  readonly converger: Converger;
  readonly control: ControlState;
  readonly steps: Recorded[];
  readonly detailsAsked: string[][];
  plug(name: string, portId: string, ofport: number): void;
}

function rig(extensions: Feature[] = []): Rig {
  const steps: Recorded[] = [];
  const features: LoadedFeature[] = [
    ...coreFeatures(config).map((feature) => ({
      feature,
      ownerClass: feature.ownerClass!,
      extension: false,
    })),
    ...extensions.map((feature, i) => ({ feature, ownerClass: 0x80 + i, extension: true })),
  ];
  const pipeline = Pipeline.build(features);
  const sw = new FakeSwitch(
    replicaSpec(features.flatMap((f) => (f.feature.replica ? [f.feature.replica] : []))),
    steps as Step[],
  );
  const o = sw.db.ops;
  sw.transact([
    o.insert(
      "Interface",
      { name: "patch-tun", type: "patch", ofport: 1, options: { peer: "patch-int" } },
      "i1",
    ),
    o.insert("Port", { name: "patch-tun", interfaces: ["i1"] }, "p1"),
    o.insert("Bridge", { name: "br-int", ports: ["p1"], fail_mode: "secure", datapath_type: "netdev" }, "b1"),
    o.insert(
      "Interface",
      { name: "patch-int", type: "patch", ofport: 1, options: { peer: "patch-tun" } },
      "i2",
    ),
    o.insert("Port", { name: "patch-int", interfaces: ["i2"] }, "p2"),
    o.insert("Bridge", { name: "br-tun", ports: ["p2"], fail_mode: "secure", datapath_type: "netdev" }, "b2"),
  ]);
  const view = new OvsView(sw.cache);
  const control = new ControlState(HOST);
  const detailsAsked: string[][] = [];
  const status = new StatusReports(
    {
      deviceStatus: async (up, down) => {
        steps.push({ kind: "status", up: [...up], down: [...down] });
        return { updated: [...up, ...down], failed: [] };
      },
    },
    silentLog,
    () => true,
  );
  const converger = new Converger({
    config,
    pipeline,
    db: sw.db,
    view,
    flows: new Map([
      ["br-tun", new FakeFlows("br-tun", steps)],
      ["br-int", new FakeFlows("br-int", steps)],
    ]),
    meters: new Map([
      ["br-tun", noMeters],
      ["br-int", noMeters],
    ]),
    vlans: new LocalVlans(),
    control,
    server: {
      deviceDetails: async (ids) => {
        detailsAsked.push([...ids]);
        return { devices: ids.map((id) => details(id, N1)), failed: [] };
      },
    },
    status,
    log: silentLog,
    isOnline: () => true,
    isSwapped: () => true,
    repairBridges: async () => false,
    ensureTunnelPort: async () => {},
    deleteTunnelPort: async () => {},
  });
  sw.cache.subscribe((events) => converger.onOvsdbEvents(events));
  const plug = (name: string, portId: string, ofport: number) => {
    const br = sw.find("Bridge", "br-int")!;
    sw.transact([
      o.insert(
        "Interface",
        {
          name,
          ofport,
          external_ids: {
            "iface-id": portId,
            "attached-mac": "fa:16:3e:00:00:01",
            "iface-status": "active",
            "vm-uuid": uuid(0xdd),
          },
        },
        "vif_i",
      ),
      o.insert("Port", { name, interfaces: ["vif_i"] }, "vif_p"),
      o.mutate("Bridge", [["_uuid", "==", br._uuid]], [["ports", "insert", ["vif_p"]]]),
    ]);
  };
  return { sw, converger, control, steps, detailsAsked, plug };
}

/** The steps as short labels: "flows br-int +1 -0 (4/vif:tap1)", "ovsdb Port.update,…", "status up". */
function labels(steps: readonly Recorded[]): string[] {
  return steps.map((s) => {
    if (s.kind === "flows") return `flows ${s.bridge} +${s.adds} -${s.removes}`;
    if (s.kind === "status") return `status${s.up.length ? " up" : ""}${s.down.length ? " down" : ""}`;
    return `ovsdb ${s.operations.map((op) => `${op.table}.${op.op}`).join(",")}`;
  });
}

async function settle(r: Rig): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await r.converger.idle();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test("a port the server knows: network flows, then its tag, then its mark and ACTIVE — nothing else", async () => {
  const r = rig();
  r.control.applySync(sync({ ports: [details(uuid(1), N1)], networks: [network(N1)] }));
  await r.converger.passNow();
  r.sw.startRecording();
  r.steps.length = 0;
  r.plug("tap1", uuid(1), 5);
  await settle(r);
  assert.deepEqual(labels(r.steps), [
    "ovsdb Interface.insert,Port.insert,Bridge.mutate", // os-vif plugs the VIF
    "flows br-tun +1 -0", // the network's VNI → local VLAN
    "ovsdb Port.update,Port.mutate", // Port.tag and other_config
    "ovsdb Interface.mutate", // weir-installed
    "status up",
  ]);
  assert.equal(r.converger.vifs.get("tap1")?.state, "wired");
});

test("a port the server does not know yet: parked dead first, then wired — the drop flow goes after the tag", async () => {
  const r = rig();
  r.control.applySync(sync({ networks: [network(N1)] }));
  await r.converger.passNow();
  r.sw.startRecording();
  r.steps.length = 0;
  r.plug("tap1", uuid(1), 5);
  await settle(r);
  assert.deepEqual(r.detailsAsked, [[uuid(1)]], "the details were asked for, once");
  assert.deepEqual(labels(r.steps), [
    "ovsdb Interface.insert,Port.insert,Bridge.mutate", // os-vif plugs the VIF
    "flows br-int +1 -0", // the dead port's drop flow
    "ovsdb Port.update", // tag 4095
    "flows br-tun +1 -0", // the network's flows, before…
    "ovsdb Port.update,Port.mutate", // …the tag, before…
    "flows br-int +0 -1", // …the drop flow goes
    "ovsdb Interface.mutate", // then the mark
    "status up", // and ACTIVE
  ]);
});

test("the echo of the agent's own writes, and a status-only event from the server, start no pass", async () => {
  const r = rig();
  r.control.applySync(sync({ ports: [details(uuid(1), N1)], networks: [network(N1)] }));
  await r.converger.passNow();
  const idleBefore = r.converger.counts.idle;
  r.plug("tap1", uuid(1), 5);
  await settle(r);
  assert.equal(r.converger.counts.idle, idleBefore, "the echoes of the tag and mark writes started no pass");
  const passes = r.converger.counts.passes;
  const decided = r.converger.counts.vifsDecided;
  // The port went ACTIVE: the server says so with a port.updated carrying only a new status and revision.
  const active = details(uuid(1), N1, { status: "ACTIVE", revision_number: 2 });
  const change = r.control.applyEvent({ kind: "port.updated", port: active }, 10);
  r.converger.onControlChange(change);
  // Another host's port changed status: the server no longer sends anything for it; an fdb entry repeated
  // as it is, is nothing either.
  r.converger.onControlChange(r.control.applyEvent({ kind: "network.updated", network: network(N1) }, 11));
  await settle(r);
  assert.equal(r.converger.counts.passes, passes, "no pass for echoes or repeats");
  assert.equal(r.converger.counts.idle, idleBefore, "not even one that finds nothing");
  assert.equal(r.converger.counts.vifsDecided, decided, "no VIF looked at again");
  // Someone else re-tags the port: that is a change, and the agent puts its tag back.
  const port = r.sw.find("Port", "tap1")!;
  r.sw.startRecording();
  r.steps.length = 0;
  r.sw.transact([r.sw.db.ops.update("Port", [["_uuid", "==", port._uuid]], { tag: 99 })]);
  await settle(r);
  assert.equal(r.converger.counts.passes, passes + 1);
  assert.equal(r.sw.find("Port", "tap1")!.tag, r.converger.vifs.get("tap1")!.lvid, "tag put back");
});

test("a new port on a host with 200 ports is one VIF looked at, in at most two passes", async () => {
  const r = rig();
  const ports = Array.from({ length: 201 }, (_, i) => details(uuid(1000 + i), N1));
  r.control.applySync(sync({ ports, networks: [network(N1)] }));
  await r.converger.passNow();
  for (let i = 0; i < 200; i++) r.plug(`tap${i}`, uuid(1000 + i), 10 + i);
  await settle(r);
  assert.equal([...r.converger.vifs.values()].filter((v) => v.state === "wired").length, 200);
  const { passes, vifsDecided } = r.converger.counts;
  r.plug("tapnew", uuid(1200), 500);
  await settle(r);
  assert.equal(r.converger.vifs.get("tapnew")?.state, "wired");
  assert.ok(r.converger.counts.passes - passes <= 2, `${r.converger.counts.passes - passes} passes`);
  assert.equal(r.converger.counts.vifsDecided - vifsDecided, 1, "only the new VIF was looked at");
});

test("a feature that throws fails alone: the others' flows and the port's wiring go on", async () => {
  const broken: Feature = {
    name: "broken",
    summary: "throws for every VIF",
    tables: [{ bridge: "int", number: 90, name: "BROKEN", purpose: "a test's", miss: (ctx) => ctx.next() }],
    stage: { kind: "filter", table: 90 },
    vif: () => {
      throw new Error("cannot plan this");
    },
  };
  const r = rig([broken]);
  r.control.applySync(sync({ ports: [details(uuid(1), N1)], networks: [network(N1)] }));
  await r.converger.passNow();
  r.plug("tap1", uuid(1), 5);
  await settle(r);
  assert.equal(r.converger.vifs.get("tap1")?.state, "wired", "L2 wiring went on");
  assert.equal(r.converger.failedFeatures.get("broken"), "cannot plan this");
  assert.equal(r.sw.find("Port", "tap1")!.tag, r.converger.vifs.get("tap1")!.lvid);
});

test("a feature whose flow lies outside its tables is refused the same way", async () => {
  const trespasser: Feature = {
    name: "trespasser",
    summary: "puts a flow in TRANSIENT",
    tables: [],
    vif: (_vif, ctx) => ({
      flows: new Map([
        [
          ctx.host.integrationBridge,
          [{ table: 60, priority: 500, cookie: 0n, idleTimeout: 0, hardTimeout: 0, match: [], actions: [] }],
        ],
      ]),
    }),
  };
  const r = rig([trespasser]);
  r.control.applySync(sync({ ports: [details(uuid(1), N1)], networks: [network(N1)] }));
  await r.converger.passNow();
  r.plug("tap1", uuid(1), 5);
  await settle(r);
  assert.equal(r.converger.vifs.get("tap1")?.state, "wired");
  assert.match(
    r.converger.failedFeatures.get("trespasser") ?? "",
    /outside its tables and bands \(the table is l2-base's\)/,
  );
});
