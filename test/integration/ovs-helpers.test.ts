import assert from "node:assert/strict";
import { test } from "node:test";
import {
  clearMapKeys,
  deletePort,
  ensureBridge,
  ensurePort,
  internalPort,
  OvsConflictError,
  OvsNotFoundError,
  openVswitchDb,
  patchPort,
  setMapKeys,
  tunnelPort,
} from "../../src/ovs/index.ts";
import { type CacheEvent, OvsdbCache, type VswitchTables, vswitchDb } from "../../src/ovsdb/index.ts";
import { type OvsPaths, vsctl } from "../../src/testbed/index.ts";
import { client, ovsdbServer } from "../support/ovs.ts";

const get = async (paths: OvsPaths, ...args: string[]) =>
  (await vsctl(paths, ["--no-wait", "get", ...args])).trim();

async function setup(t: import("node:test").TestContext) {
  const paths = await ovsdbServer(t);
  const db = await openVswitchDb(await client(t, paths.ovsdb));
  return { paths, db };
}

test("ensureBridge creates the bridge with every column in one transaction, then leaves it alone", async (t) => {
  const { paths, db } = await setup(t);
  // Watch the Bridge table: the bridge must appear fully configured in one update, never half-made.
  const cache = await OvsdbCache.start<VswitchTables>(db.client, vswitchDb, {
    Bridge: ["name", "fail_mode", "datapath_type"],
  });
  t.after(() => cache.close());
  const events: CacheEvent<VswitchTables>[] = [];
  cache.subscribe((batch) => events.push(...batch));
  const spec = {
    name: "br-int",
    datapathType: "netdev",
    failMode: "secure" as const,
    protocols: ["OpenFlow10", "OpenFlow15"] as ("OpenFlow10" | "OpenFlow15")[],
    otherConfig: { hwaddr: "02:00:00:00:00:01", "disable-in-band": "true" },
    externalIds: { "weir-owner": "agent" },
  };
  const created = await ensureBridge(db, spec);
  assert.equal(created.created, true);
  assert.match(created.uuid, /^[0-9a-f-]{36}$/);
  assert.equal(await get(paths, "Bridge", "br-int", "fail_mode"), "secure");
  assert.equal(await get(paths, "Bridge", "br-int", "datapath_type"), "netdev");
  assert.equal(await get(paths, "Bridge", "br-int", "other_config:hwaddr"), '"02:00:00:00:00:01"');
  assert.equal(await get(paths, "Bridge", "br-int", "protocols"), "[OpenFlow10, OpenFlow15]");
  // The bridge's own internal port exists, as ovs-vsctl add-br makes it.
  assert.equal(await get(paths, "Interface", "br-int", "type"), "internal");
  assert.deepEqual(
    events.map((e) => ({ type: e.type, row: e.type === "delete" ? undefined : e.new })),
    [
      {
        type: "insert",
        row: { _uuid: created.uuid, name: "br-int", fail_mode: "secure", datapath_type: "netdev" },
      },
    ],
  );
  const again = await ensureBridge(db, spec);
  assert.deepEqual(again, { uuid: created.uuid, created: false, changed: [], previousFailMode: "secure" });
});

test("ensureBridge on an existing bridge changes only what differs, and reports a fail_mode change", async (t) => {
  const { paths, db } = await setup(t);
  await vsctl(paths, [
    "--no-wait",
    "add-br",
    "br-ex",
    "--",
    "set",
    "Bridge",
    "br-ex",
    "other_config:keep=me",
    "external_ids:k=v",
  ]);
  const result = await ensureBridge(db, {
    name: "br-ex",
    failMode: "secure",
    otherConfig: { hwaddr: "02:00:00:00:00:02" },
  });
  assert.equal(result.created, false);
  assert.deepEqual([...result.changed].sort(), ["fail_mode", "other_config"]);
  assert.equal(result.previousFailMode, null);
  assert.equal(await get(paths, "Bridge", "br-ex", "other_config:keep"), "me", "other keys untouched");
  assert.equal(await get(paths, "Bridge", "br-ex", "external_ids:k"), "v");
});

test("ensurePort creates patch, internal and tunnel ports, converges options, never re-creates", async (t) => {
  const { paths, db } = await setup(t);
  await ensureBridge(db, { name: "br-int" });
  await ensureBridge(db, { name: "br-tun" });
  const patch = await ensurePort(db, "br-int", patchPort("patch-tun", "patch-int"));
  await ensurePort(db, "br-tun", patchPort("patch-int", "patch-tun"));
  assert.equal(patch.created, true);
  assert.equal(await get(paths, "Interface", "patch-tun", "type"), "patch");
  assert.equal(await get(paths, "Interface", "patch-tun", "options:peer"), "patch-int");
  const samePatch = await ensurePort(db, "br-int", patchPort("patch-tun", "patch-int"));
  assert.deepEqual(samePatch, { uuid: patch.uuid, created: false, changed: [] }, "same row, untouched");

  await ensurePort(db, "br-int", internalPort("int0"));
  assert.equal(await get(paths, "Interface", "int0", "type"), "internal");

  for (const type of ["vxlan", "gre", "geneve"] as const) {
    const name = `${type}-c6120002`;
    await ensurePort(db, "br-tun", tunnelPort({ name, type, remoteIp: "198.18.0.2", localIp: "198.18.0.1" }));
    assert.equal(await get(paths, "Interface", name, "type"), type);
    assert.equal(await get(paths, "Interface", name, "options:remote_ip"), '"198.18.0.2"');
    assert.equal(await get(paths, "Interface", name, "options:in_key"), "flow");
  }
  // Converge: a changed remote updates the options of the same row.
  const moved = await ensurePort(
    db,
    "br-tun",
    tunnelPort({ name: "vxlan-c6120002", type: "vxlan", remoteIp: "198.18.0.9" }),
  );
  assert.deepEqual(moved.changed, ["Interface.options"]);
  assert.equal(await get(paths, "Interface", "vxlan-c6120002", "options:remote_ip"), '"198.18.0.9"');
  assert.equal(
    await get(paths, "Interface", "vxlan-c6120002", "options"),
    '{in_key=flow, out_key=flow, remote_ip="198.18.0.9"}',
    "the options map is the spec's, whole",
  );

  // Tags and external_ids on a VIF, set and cleared.
  await vsctl(paths, [
    "--no-wait",
    "add-port",
    "br-int",
    "tap1",
    "--",
    "set",
    "Interface",
    "tap1",
    "external_ids:iface-id=p1",
  ]);
  const tagged = await ensurePort(db, "br-int", {
    name: "tap1",
    tag: 3,
    interfaceExternalIds: { "weir-installed": "1" },
  });
  assert.deepEqual([...tagged.changed].sort(), ["Interface.external_ids", "Port.tag"]);
  assert.equal(await get(paths, "Port", "tap1", "tag"), "3");
  assert.equal(await get(paths, "Interface", "tap1", "external_ids:iface-id"), "p1", "Nova's keys untouched");
  await ensurePort(db, "br-int", { name: "tap1", tag: null });
  assert.equal(await get(paths, "Port", "tap1", "tag"), "[]");
});

test("errors are clear and change nothing: unknown bridge, port on another bridge", async (t) => {
  const { paths, db } = await setup(t);
  await ensureBridge(db, { name: "br-int" });
  await ensureBridge(db, { name: "br-tun" });
  await assert.rejects(ensurePort(db, "br-nope", internalPort("x")), (error: unknown) => {
    assert.ok(error instanceof OvsNotFoundError);
    assert.equal(error.code, "OVS_NOT_FOUND");
    assert.match(error.message, /Bridge "br-nope" does not exist/);
    return true;
  });
  await ensurePort(db, "br-int", patchPort("patch-tun", "patch-int"));
  await assert.rejects(ensurePort(db, "br-tun", patchPort("patch-tun", "x")), OvsConflictError);
  assert.equal(await get(paths, "Interface", "patch-tun", "options:peer"), "patch-int", "unchanged");
  await assert.rejects(deletePort(db, "br-tun", "patch-tun"), OvsConflictError);
  await assert.rejects(
    setMapKeys(db, { table: "Bridge", name: "br-nope" }, "external_ids", { a: "b" }),
    OvsNotFoundError,
  );
  assert.deepEqual((await vsctl(paths, ["--no-wait", "list-br"])).trim().split("\n"), ["br-int", "br-tun"]);
});

test("deletePort removes only that port; map keys are set and cleared without touching others", async (t) => {
  const { paths, db } = await setup(t);
  await ensureBridge(db, { name: "br-int", externalIds: { keep: "1" } });
  await ensurePort(db, "br-int", internalPort("a"));
  await ensurePort(db, "br-int", internalPort("b"));
  assert.equal(await deletePort(db, "br-int", "a"), true);
  assert.equal(await deletePort(db, "br-int", "a"), false, "idempotent");
  assert.deepEqual((await vsctl(paths, ["--no-wait", "list-ports", "br-int"])).trim().split("\n"), ["b"]);

  await setMapKeys(db, { table: "Bridge", name: "br-int" }, "external_ids", {
    "weir-generation": "7",
    keep: "1",
  });
  await setMapKeys(db, { table: "Bridge", name: "br-int" }, "external_ids", { "weir-generation": "8" });
  assert.equal(await get(paths, "Bridge", "br-int", "external_ids:weir-generation"), '"8"');
  await clearMapKeys(db, { table: "Bridge", name: "br-int" }, "external_ids", ["weir-generation", "absent"]);
  assert.equal(await get(paths, "Bridge", "br-int", "external_ids"), '{keep="1"}');
  await setMapKeys(db, { table: "Open_vSwitch" }, "other_config", { "flow-restore-wait": "true" });
  assert.equal(await get(paths, "Open_vSwitch", ".", "other_config:flow-restore-wait"), '"true"');
});
