// The converger without OVS (the rig: converger-rig.ts). What must hold: the order that never opens a
// gap (meters and flows added, then tags, then flows and meters removed, then marks and status); no pass
// for the echo of the agent's own writes or for server events that change nothing here; one VIF looked
// at per new port, whatever the host holds; a failing feature isolated, and back once it works.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Feature } from "../../src/agent/index.ts";
import { labels, N1, rig, settle } from "./converger-rig.ts";
import { details, fdbEntry, network, sync, uuid } from "./fixtures.ts";

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
  // A network repeated as it is; an fdb entry repeated as it is; another host's port on a network not
  // here, new: nothing of it is forwarded here.
  r.converger.onControlChange(r.control.applyEvent({ kind: "network.updated", network: network(N1) }, 11));
  r.converger.onControlChange(
    r.control.applyEvent({ kind: "fdb.updated", entry: fdbEntry(uuid(2), N1) }, 12),
  );
  await settle(r);
  const afterFdb = r.converger.counts.passes;
  r.converger.onControlChange(
    r.control.applyEvent({ kind: "fdb.updated", entry: fdbEntry(uuid(2), N1) }, 13),
  );
  r.converger.onControlChange(
    r.control.applyEvent(
      { kind: "fdb.updated", entry: fdbEntry(uuid(3), uuid(0x999), { ip_addresses: [] }) },
      14,
    ),
  );
  await settle(r);
  assert.equal(afterFdb, passes + 1, "a new remote port on a network here is one pass");
  assert.equal(r.converger.counts.passes, afterFdb, "no pass for echoes or repeats");
  assert.equal(r.converger.counts.idle, idleBefore, "not even one that finds nothing");
  assert.equal(r.converger.counts.vifsDecided, decided, "no VIF looked at again");
  // Someone else re-tags the port: that is a change, and the agent puts its tag back.
  const port = r.sw.find("Port", "tap1")!;
  r.sw.startRecording();
  r.steps.length = 0;
  r.sw.transact([r.sw.db.ops.update("Port", [["_uuid", "==", port._uuid]], { tag: 99 })]);
  await settle(r);
  assert.equal(r.converger.counts.passes, afterFdb + 1);
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
  const r = rig({ extensions: [trespasser] });
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
