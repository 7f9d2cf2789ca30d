import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { OvsdbClient, OvsdbTransactionError, OvsdbTransportError } from "../../src/ovsdb/index.ts";
import { miniSchema, type RequestHandler, ScriptedTransport } from "../support/scripted-server.ts";

const basic: RequestHandler = (method, params) => {
  if (method === "list_dbs") return { result: ["Open_vSwitch"] };
  if (method === "get_schema") return { result: miniSchema };
  if (method === "echo") return { result: params };
  return { error: "unknown method" };
};

async function connected(transport: ScriptedTransport, probeIntervalMs = 0) {
  const client = await OvsdbClient.connect({
    endpoint: transport,
    probeIntervalMs,
    backoff: { initialMs: 10, maxMs: 20, factor: 2 },
    waitMs: 2_000,
  });
  return client;
}

test("the client answers the server's echo with the same params", async (t) => {
  const transport = new ScriptedTransport(basic);
  const client = await connected(transport);
  t.after(() => client.close());
  transport.current.send({ method: "echo", params: ["ping", 1], id: "e1" });
  await sleep(20);
  assert.deepEqual(
    transport.current.received.find((m) => m.id === "e1"),
    { result: ["ping", 1], error: null, id: "e1" },
  );
});

test("a server that stops answering is declared dead within two probe intervals", async (t) => {
  const transport = new ScriptedTransport((method, params) =>
    method === "echo" ? "no-reply" : basic(method, params, transport.current),
  );
  const client = await connected(transport, 50);
  t.after(() => client.close());
  const statuses: string[] = [];
  const dead = new Promise<Error>((resolve) =>
    client.onStatus((s) => {
      statuses.push(s.state);
      if (s.state === "disconnected") resolve(s.error);
    }),
  );
  const started = performance.now();
  const error = await dead;
  const elapsed = performance.now() - started;
  assert.ok(error instanceof OvsdbTransportError);
  assert.match(error.message, /echo unanswered/);
  // Bounded: 2 × 50 ms plus scheduling slack, not "eventually".
  assert.ok(elapsed < 1_000, `detected after ${elapsed} ms`);
  assert.ok(
    transport.current.received.some((m) => m.method === "echo"),
    "an echo probe was sent",
  );
});

test("an unknown method from the server gets a JSON-RPC error and the session survives", async (t) => {
  const transport = new ScriptedTransport(basic);
  const client = await connected(transport);
  t.after(() => client.close());
  transport.current.send({ method: "frobnicate", params: [], id: 99 });
  await sleep(20);
  assert.deepEqual(
    transport.current.received.find((m) => m.id === 99),
    { result: null, error: "unknown method", id: 99 },
  );
  assert.deepEqual(await client.listDbs(), ["Open_vSwitch"]);
});

test("garbage bytes close the session with a protocol error, then the client reconnects", async (t) => {
  const transport = new ScriptedTransport(basic);
  const client = await connected(transport);
  t.after(() => client.close());
  const disconnected = new Promise<Error>((resolve) =>
    client.onStatus((s) => s.state === "disconnected" && resolve(s.error)),
  );
  const reconnected = new Promise<void>((resolve) =>
    client.onStatus((s) => s.state === "connected" && resolve()),
  );
  transport.current.send("\x00\x01garbage");
  const error = await disconnected;
  assert.match(error.message, /unexpected byte 0x00/);
  await reconnected;
  assert.equal(transport.sessions.length, 2);
  assert.deepEqual(await client.listDbs(), ["Open_vSwitch"]);
});

test("a truncated message is reported as such when the connection drops", async (t) => {
  const transport = new ScriptedTransport(basic);
  const client = await connected(transport);
  t.after(() => client.close());
  const disconnected = new Promise<Error>((resolve) =>
    client.onStatus((s) => s.state === "disconnected" && resolve(s.error)),
  );
  transport.current.send('{"id":1,"result":[1,2');
  await sleep(10);
  transport.current.close();
  assert.match((await disconnected).message, /closed inside a message \(\d+ bytes/);
});

test("requests in flight fail with a transport error when the connection is lost", async (t) => {
  const transport = new ScriptedTransport((method, params, session) =>
    method === "transact" ? "no-reply" : basic(method, params, session),
  );
  const client = await connected(transport);
  t.after(() => client.close());
  const pending = client.transact("Open_vSwitch", [{ op: "comment", comment: "x" }]);
  await sleep(10);
  transport.refusing = true;
  transport.current.close();
  await assert.rejects(pending, OvsdbTransportError);
  await assert.rejects(client.listDbs(), /not connected/);
});

test("transact names the failing operation, and an extra result means the commit failed", async (t) => {
  let results: unknown[] = [];
  const transport = new ScriptedTransport((method, params, session) =>
    method === "transact" ? { result: results as never } : basic(method, params, session),
  );
  const client = await connected(transport);
  t.after(() => client.close());
  const ops = [
    { op: "insert", table: "Port", row: { name: "a" } },
    { op: "insert", table: "Port", row: { name: "b" } },
  ];
  results = [{ uuid: ["uuid", "u"] }, { error: "constraint violation", details: "duplicate name" }];
  await assert.rejects(client.transact("Open_vSwitch", ops), (error: unknown) => {
    assert.ok(error instanceof OvsdbTransactionError);
    assert.equal(error.index, 1);
    assert.deepEqual(error.operation, ops[1]);
    assert.equal(error.details, "duplicate name");
    assert.match(error.message, /operation 1 \(insert Port\) failed: constraint violation: duplicate name/);
    return true;
  });
  results = [{ uuid: ["uuid", "u"] }, { uuid: ["uuid", "v"] }, { error: "referential integrity violation" }];
  await assert.rejects(client.transact("Open_vSwitch", ops), (error: unknown) => {
    assert.ok(error instanceof OvsdbTransactionError);
    assert.equal(error.index, 2);
    assert.equal(error.operation, undefined);
    assert.match(error.message, /^commit failed: referential integrity violation/);
    return true;
  });
});

test("monitor falls back to RFC 7047 monitor when monitor_cond is unknown", async (t) => {
  const transport = new ScriptedTransport((method, params, session) => {
    if (method === "monitor_cond") return { error: "unknown method" };
    if (method === "monitor") return { result: { Port: { u1: { new: { name: "tap1", tag: 5 } } } } };
    return basic(method, params, session);
  });
  const client = await connected(transport);
  t.after(() => client.close());
  const seen: string[] = [];
  const monitor = await client.monitor(
    "Open_vSwitch",
    { Port: { columns: ["name", "tag"] } },
    (phase, changes) => {
      for (const [table, rows] of changes)
        for (const row of rows) seen.push(`${phase} ${table} ${row.kind} ${row.uuid}`);
    },
  );
  assert.equal(monitor.method, "monitor");
  transport.current.send({
    method: "update",
    params: [monitor.id, { Port: { u1: { old: { tag: 5 }, new: { name: "tap1", tag: 6 } } } }],
    id: null,
  });
  await sleep(20);
  assert.deepEqual(seen, ["initial Port insert u1", "update Port replace u1"]);
  const monitorRequest = transport.current.received.find((m) => m.method === "monitor");
  assert.deepEqual((monitorRequest!.params as unknown[])[2], { Port: { columns: ["name", "tag"] } });
});

test("an update that overtakes the monitor reply is applied after the initial contents", async (t) => {
  const transport = new ScriptedTransport((method, params, session) => {
    if (method === "monitor_cond") {
      const id = (params as unknown[])[1];
      // Reply and a following update in one chunk: the update is dispatched before the reply settles.
      session.send(
        `{"id":${JSON.stringify(session.received.at(-1)!.id)},"result":{"Port":{"u1":{"initial":{"name":"a"}}}},"error":null}` +
          `{"method":"update2","params":[${JSON.stringify(id)},{"Port":{"u1":{"modify":{"name":"b"}}}}],"id":null}`,
      );
      return "no-reply";
    }
    return basic(method, params, session);
  });
  const client = await connected(transport);
  t.after(() => client.close());
  const phases: string[] = [];
  await client.monitor("Open_vSwitch", { Port: {} }, (phase, changes) => {
    phases.push(`${phase}:${changes.get("Port")?.[0]?.kind}`);
  });
  await sleep(20);
  assert.deepEqual(phases, ["initial:insert", "update:modify"]);
});
