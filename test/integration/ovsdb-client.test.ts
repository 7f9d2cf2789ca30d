import assert from "node:assert/strict";
import { createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type CacheEvent,
  OvsdbCache,
  OvsdbClient,
  OvsdbProtocolError,
  OvsdbRpcError,
  OvsdbTransactionError,
  type VswitchTables,
  vswitchDb,
} from "../../src/ovsdb/index.ts";
import { daemonPid, ovsdbTcpPort, run, startOvsdbServer, stopOvs, vsctl } from "../../src/testbed/index.ts";
import { client, ovsdbServer } from "../support/ovs.ts";

const db = vswitchDb;

test("list_dbs, get_schema and echo over the unix socket and over TCP", async (t) => {
  const paths = await ovsdbServer(t);
  const port = await ovsdbTcpPort(paths);
  for (const endpoint of [paths.ovsdb, `tcp:127.0.0.1:${port}`]) {
    const c = await client(t, endpoint);
    assert.ok((await c.listDbs()).includes("Open_vSwitch"), endpoint);
    const schema = await c.getSchema(db);
    assert.equal(schema.name, "Open_vSwitch");
    assert.ok(schema.tables.get("Bridge")?.columns.has("fail_mode"));
    assert.deepEqual(await c.echo(["hello", 7]), ["hello", 7]);
  }
});

test("transact round trip: insert, select, update, mutate, wait, comment, delete", async (t) => {
  const paths = await ovsdbServer(t);
  const c = await client(t, paths.ovsdb);
  const ops = await c.operations<VswitchTables>(db);
  const [, , , inserted] = await c.transact(db, [
    ops.comment("weir test: create br-test"),
    ops.insert("Interface", { name: "br-test", type: "internal" }, "i"),
    ops.insert("Port", { name: "br-test", interfaces: ["i"] }, "p"),
    ops.insert("Bridge", { name: "br-test", ports: ["p"], external_ids: { owner: "weir" } }, "b"),
    ops.mutate("Open_vSwitch", [], [["bridges", "insert", ["b"]]]),
  ]);
  assert.ok(inserted?.uuid, "insert result carries the uuid");
  // ovs-vsctl (the oracle) sees what we wrote.
  assert.equal(
    (await vsctl(paths, ["--no-wait", "get", "Bridge", "br-test", "external_ids:owner"])).trim(),
    "weir",
  );

  await c.transact(db, [
    ops.wait("Bridge", [["name", "==", "br-test"]], {
      columns: ["fail_mode"],
      until: "==",
      rows: [{ fail_mode: null }],
    }),
    ops.update("Bridge", [["name", "==", "br-test"]], { fail_mode: "secure" }),
    ops.mutate(
      "Bridge",
      [["name", "==", "br-test"]],
      [
        ["external_ids", "delete", ["owner"]],
        ["external_ids", "insert", { owner: "weir-2", extra: "x" }],
      ],
    ),
  ]);
  const [selected] = await c.transact(db, [
    ops.select("Bridge", [["name", "==", "br-test"]], ["fail_mode", "external_ids"]),
  ]);
  assert.deepEqual(selected?.rows, [
    {
      fail_mode: "secure",
      external_ids: [
        "map",
        [
          ["extra", "x"],
          ["owner", "weir-2"],
        ],
      ],
    },
  ]);

  await c.transact(db, [
    ops.mutate("Open_vSwitch", [], [["bridges", "delete", [(inserted!.uuid as string[])[1]]]]),
  ]);
  const [deleted] = await c.transact(db, [ops.select("Bridge", [["name", "==", "br-test"]])]);
  assert.deepEqual(deleted?.rows, [], "the bridge is garbage-collected with its last reference");

  // abort: the transaction fails at that operation and nothing before it is kept.
  await assert.rejects(
    c.transact(db, [
      ops.insert("Bridge", { name: "br-aborted" }, "b"),
      ops.mutate("Open_vSwitch", [], [["bridges", "insert", ["b"]]]),
      ops.abort(),
    ]),
    (error: unknown) =>
      error instanceof OvsdbTransactionError && error.index === 2 && error.error === "aborted",
  );
  const [aborted] = await c.transact(db, [ops.select("Bridge", [])]);
  assert.deepEqual(aborted?.rows, []);
});

test("a failed transaction names its operation and changes nothing", async (t) => {
  const paths = await ovsdbServer(t);
  const c = await client(t, paths.ovsdb);
  const ops = await c.operations<VswitchTables>(db);
  // A wait that cannot hold: the whole transaction, including the insert before it, is rolled back.
  await assert.rejects(
    c.transact(db, [
      ops.insert("Interface", { name: "x", type: "internal" }, "i"),
      ops.insert("Port", { name: "x", interfaces: ["i"] }, "p"),
      ops.wait("Open_vSwitch", [], { columns: ["bridges"], until: "==", rows: [{ bridges: ["p"] }] }),
    ]),
    (error: unknown) => {
      assert.ok(error instanceof OvsdbTransactionError);
      assert.equal(error.index, 2);
      assert.equal(error.error, "timed out");
      return true;
    },
  );
  // A commit-time failure (duplicate index value) is reported as the commit, one past the last operation.
  await assert.rejects(
    c.transact(db, [
      ops.insert("Interface", { name: "dup", type: "internal" }, "i"),
      ops.insert("Port", { name: "dup", interfaces: ["i"] }, "p1"),
      ops.insert("Port", { name: "dup", interfaces: ["i"] }, "p2"),
      ops.insert("Bridge", { name: "br-dup", ports: ["p1", "p2"] }, "b"),
      ops.mutate("Open_vSwitch", [], [["bridges", "insert", ["b"]]]),
    ]),
    (error: unknown) => {
      assert.ok(error instanceof OvsdbTransactionError);
      assert.equal(error.index, 5);
      assert.equal(error.error, "constraint violation");
      return true;
    },
  );
  const [result] = await c.transact(db, [ops.select("Port", [])]);
  assert.deepEqual(result?.rows, [], "nothing was written");
  // Bad input never reaches the server.
  assert.throws(
    () => ops.update("Port", [["name", "==", "x"]], { tag: 5000 }),
    /Port\.tag: 5000 is outside 0\.\.4095/,
  );
  assert.throws(() => ops.insert("Bridge", { nosuch: 1 } as never), /Bridge\.nosuch: no such column/);
  await assert.rejects(c.transact("NoSuchDb", [ops.comment("x")]), OvsdbRpcError);
});

test("the replica follows port insert, modify and delete made by ovs-vsctl", async (t) => {
  const paths = await ovsdbServer(t);
  const c = await client(t, paths.ovsdb);
  await vsctl(paths, ["--no-wait", "add-br", "br-int"]);
  const cache = await OvsdbCache.start<VswitchTables>(c, db, {
    Bridge: ["name", "ports"],
    Port: ["name", "tag", "interfaces"],
    Interface: ["name", "external_ids"],
  });
  t.after(() => cache.close());
  assert.equal(cache.find("Bridge", "name", "br-int")?.ports.length, 1);

  const events: CacheEvent<VswitchTables>[] = [];
  cache.subscribe((batch) => events.push(...batch));
  const next = async (predicate: (e: CacheEvent<VswitchTables>) => boolean) => {
    for (let i = 0; i < 200; i++) {
      const found = events.find(predicate);
      if (found) return found;
      await sleep(10);
    }
    assert.fail("event did not arrive");
  };

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
  const inserted = await next((e) => e.type === "insert" && e.table === "Interface");
  assert.equal(
    inserted.type === "insert" &&
      (inserted.new as { external_ids: Record<string, string> }).external_ids["iface-id"],
    "p1",
  );
  assert.ok(cache.find("Port", "name", "tap1"));

  await vsctl(paths, ["--no-wait", "set", "Port", "tap1", "tag=101"]);
  const modified = await next((e) => e.type === "modify" && e.table === "Port");
  assert.ok(modified.type === "modify");
  assert.equal((modified.old as { tag: number | null }).tag, null);
  assert.equal((modified.new as { tag: number | null }).tag, 101);

  await vsctl(paths, ["--no-wait", "del-port", "br-int", "tap1"]);
  await next((e) => e.type === "delete" && e.table === "Port");
  assert.equal(cache.find("Port", "name", "tap1"), undefined);
  assert.equal(cache.find("Bridge", "name", "br-int")?.ports.length, 1);
});

test("after ovsdb-server is killed and restarted, the client reconnects and the replica converges", async (t) => {
  const paths = await ovsdbServer(t);
  const c = await client(t, paths.ovsdb, 200);
  await vsctl(paths, [
    "--no-wait",
    "add-br",
    "br-int",
    "--",
    "add-port",
    "br-int",
    "keep",
    "--",
    "add-port",
    "br-int",
    "gone",
  ]);
  const cache = await OvsdbCache.start<VswitchTables>(c, db, { Port: ["name", "tag"] });
  t.after(() => cache.close());
  const statuses: string[] = [];
  c.onStatus((s) => statuses.push(s.state));
  const resyncs: CacheEvent<VswitchTables>[][] = [];
  const updates: CacheEvent<VswitchTables>[] = [];
  cache.subscribe((events, phase) =>
    phase === "resync" ? resyncs.push([...events]) : updates.push(...events),
  );

  await stopOvs(paths); // SIGTERM; the database file survives, as on a real host
  // Change the database while no server runs (ovsdb-tool writes the file directly), so the client can only
  // learn of it from the resync after it reconnects.
  const gone = cache.find("Port", "name", "gone")!._uuid;
  await run("ovsdb-tool", [
    "transact",
    paths.db,
    JSON.stringify([
      db,
      { op: "insert", table: "Interface", row: { name: "new" }, "uuid-name": "i" },
      {
        op: "insert",
        table: "Port",
        row: { name: "new", interfaces: ["named-uuid", "i"] },
        "uuid-name": "p",
      },
      {
        op: "mutate",
        table: "Bridge",
        where: [["name", "==", "br-int"]],
        mutations: [
          ["ports", "delete", ["uuid", gone]],
          ["ports", "insert", ["named-uuid", "p"]],
        ],
      },
      { op: "update", table: "Port", where: [["name", "==", "keep"]], row: { tag: 7 } },
    ]),
  ]);
  await startOvsdbServer(paths);

  for (let i = 0; i < 300 && resyncs.length === 0; i++) await sleep(10);
  assert.ok(statuses.includes("disconnected") && statuses.at(-1) === "connected", statuses.join(" → "));
  assert.equal(resyncs.length, 1, "one resync");
  const summary = resyncs[0]!
    .map(
      (e) =>
        `${e.type} ${e.type === "delete" ? (e.old as { name: string }).name : (e.new as { name: string }).name}`,
    )
    .sort();
  // Only the differences — not an insert for every row.
  assert.deepEqual(summary, ["delete gone", "insert new", "modify keep"]);
  assert.equal(cache.find("Port", "name", "keep")?.tag, 7);
  assert.deepEqual(updates, [], "no other events");
  assert.ok((await c.listDbs()).includes(db), "requests work again");
});

test("locks: one holder at a time, the waiter is told when it gets it, steal tells the loser", async (t) => {
  const paths = await ovsdbServer(t);
  const a = await client(t, paths.ovsdb);
  const b = await client(t, paths.ovsdb);
  const bEvents: string[] = [];
  b.onLock((e) => bEvents.push(`${e.type} ${e.lock}`));
  assert.equal(await a.lock("weir_agent"), true);
  assert.equal(await b.lock("weir_agent"), false, "b waits");
  const ops = await b.operations<VswitchTables>(db);
  // A transaction asserting a lock we do not hold fails.
  await assert.rejects(b.transact(db, [ops.assert("weir_agent")]), /not owner/);
  await a.unlock("weir_agent");
  await sleep(50);
  assert.deepEqual(bEvents, ["locked weir_agent"]);
  await b.transact(db, [ops.assert("weir_agent")]);
  assert.equal(await a.steal("weir_agent"), true);
  await sleep(50);
  assert.deepEqual(bEvents, ["locked weir_agent", "stolen weir_agent"]);
});

test("server errors are typed; garbage from a peer on a real socket gives a protocol error, not a crash", async (t) => {
  const paths = await ovsdbServer(t);
  const c = await client(t, paths.ovsdb);
  await assert.rejects(c.getSchema("nosuchdb"), (error: unknown) => {
    assert.ok(error instanceof OvsdbRpcError);
    assert.equal(error.method, "get_schema");
    assert.match(error.message, /unknown database/);
    return true;
  });

  // A "server" on a real unix socket that answers with garbage.
  const socketPath = join(paths.dir, "garbage.sock");
  const server = createServer((socket) => socket.end("\u0000\u0001 this is not JSON-RPC"));
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  t.after(() => server.close());
  const garbage = new OvsdbClient({
    endpoint: `unix:${socketPath}`,
    backoff: { initialMs: 1000, maxMs: 1000, factor: 1 },
  });
  t.after(() => garbage.close());
  const failed = new Promise<Error>((resolve) =>
    garbage.onStatus((s) => s.state === "disconnected" && resolve(s.error)),
  );
  await garbage.start(2_000).catch(() => {});
  const error = await failed;
  assert.ok(error instanceof OvsdbProtocolError, String(error));
  assert.match(error.message, /unexpected byte 0x00/);
});

test("a frozen ovsdb-server is detected by the echo probe within two probe intervals", async (t) => {
  const paths = await ovsdbServer(t);
  const c = await client(t, paths.ovsdb, 100);
  const pid = (await daemonPid(paths, "ovsdb-server"))!;
  const dead = new Promise<Error>((resolve) =>
    c.onStatus((s) => s.state === "disconnected" && resolve(s.error)),
  );
  process.kill(pid, "SIGSTOP");
  t.after(() => process.kill(pid, "SIGCONT"));
  const started = performance.now();
  const error = await dead;
  const elapsed = performance.now() - started;
  process.kill(pid, "SIGCONT");
  assert.match(error.message, /echo unanswered/);
  assert.ok(elapsed < 2_000, `noticed after ${Math.round(elapsed)} ms`);
  // And it comes back once the server runs again.
  await new Promise<void>((resolve) => c.onStatus((s) => s.state === "connected" && resolve()));
  assert.ok((await c.listDbs()).includes(db));
});

test("monitor_cond conditions select rows on the server", async (t) => {
  const paths = await ovsdbServer(t);
  const c = await client(t, paths.ovsdb);
  await vsctl(paths, [
    "--no-wait",
    "add-br",
    "br-int",
    "--",
    "add-port",
    "br-int",
    "tap1",
    "--",
    "add-port",
    "br-int",
    "tap2",
  ]);
  const seen: string[] = [];
  const monitor = await c.monitor(
    db,
    { Interface: { columns: ["name"], where: [["name", "==", "tap2"]] } },
    (phase, changes) => {
      for (const change of changes.get("Interface") ?? []) seen.push(`${phase} ${change.kind}`);
    },
  );
  assert.equal(monitor.method, "monitor_cond");
  await vsctl(paths, ["--no-wait", "set", "Interface", "tap1", "external_ids:x=1"]);
  await vsctl(paths, ["--no-wait", "del-port", "tap2"]);
  for (let i = 0; i < 100 && seen.length < 2; i++) await sleep(10);
  assert.deepEqual(seen, ["initial insert", "update delete"]);
  await monitor.cancel();
  await vsctl(paths, ["--no-wait", "add-port", "br-int", "tap2"]);
  await sleep(100);
  assert.deepEqual(seen, ["initial insert", "update delete"], "nothing after monitor_cancel");
});
