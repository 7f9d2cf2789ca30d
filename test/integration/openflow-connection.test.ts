import assert from "node:assert/strict";
import { rm, symlink } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  actions as A,
  BundleError,
  FlowModCommand,
  flow,
  OpenFlowConnection,
  OpenFlowDecodeError,
  type SwitchStatus,
} from "../../src/openflow/index.ts";
import { daemonPid, ovsPaths, restartVswitchd, vsctl } from "../../src/testbed/index.ts";
import { openflowBed } from "../support/openflow.ts";

const add = (f: ReturnType<typeof flow>) => ({ flow: f, options: { command: FlowModCommand.add } });

test("hello negotiates OpenFlow 1.5, features give the datapath id, barrier and echo answer", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-x"] });
  const c = await bed.connect("br-x");
  const dpid = (await bed.ofctl("show", bed.mgmt("br-x"))).match(/dpid:([0-9a-f]+)/)?.[1];
  assert.equal(c.datapathId?.toString(16).padStart(16, "0"), dpid);
  await c.barrier();
  await c.echo();
});

test("a bundle the switch refuses is not applied at all, and the error names OVS's reason", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-x"] });
  const c = await bed.connect("br-x");
  await c.bundle([add(flow({ table: 0, priority: 5, cookie: 1n, actions: [A.output(1)] }))]);
  const before = await bed.dump("br-x");
  const good = Array.from({ length: 50 }, (_, i) =>
    add(flow({ table: 1, priority: 10, match: { reg0: i }, actions: [A.output(2)] })),
  );
  // eth_type is not writable: OVS refuses this flow_mod when it is added to the bundle.
  const bad = add(flow({ table: 2, priority: 1, actions: [A.setField("eth_type", 0x800n)] }));
  await assert.rejects(
    c.bundle([...good, bad, ...good.slice(0, 1).map((m) => ({ ...m, flow: { ...m.flow, priority: 11 } }))]),
    (error: unknown) => {
      assert.ok(error instanceof BundleError, String(error));
      assert.equal(error.errors[0]?.typeName, "BAD_ACTION");
      assert.equal(error.errors[0]?.codeName, "BAD_SET_ARGUMENT");
      assert.match(error.message, /nothing applied/);
      return true;
    },
  );
  assert.deepEqual(await bed.dump("br-x"), before, "the bridge is unchanged");
  // The connection is still usable afterwards.
  await c.bundle(good);
  assert.equal((await bed.dump("br-x")).length, before.length + good.length);
});

test("a restart of ovs-vswitchd is detected: the session comes back marked as restarted", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-x"] });
  const c = await bed.connect("br-x");
  const statuses: SwitchStatus[] = [];
  c.onStatus((s) => statuses.push(s));
  const back = new Promise<SwitchStatus>((resolve) =>
    c.onStatus((s) => s.state === "connected" && resolve(s)),
  );
  await restartVswitchd(bed.host);
  const status = await back;
  assert.equal(status.state === "connected" && status.restarted, true);
  assert.ok(
    statuses.some((s) => s.state === "disconnected"),
    statuses.map((s) => s.state).join(" → "),
  );
  await c.barrier();
});

test("with no deadline, start waits through a switch that stalls hello and one not there yet, and connects once it answers", async (t) => {
  const bed = await openflowBed(t);
  const path = join(bed.host.runDir, "late.mgmt");
  let accepted = 0;
  // First a switch that accepts and never says hello (one busy reconfiguring thousands of ports).
  const stalled = createServer((socket) => {
    accepted++;
    socket.on("data", () => {});
  });
  await new Promise<void>((resolve) => stalled.listen(path, resolve));
  const c = new OpenFlowConnection({
    endpoint: `unix:${path}`,
    backoff: { initialMs: 20, maxMs: 50, factor: 2 },
    connectTimeoutMs: 200,
  });
  t.after(() => c.close());
  let connected = false;
  const started = c.start(Number.POSITIVE_INFINITY).then(() => {
    connected = true;
  });
  await sleep(700);
  assert.ok(accepted >= 2, `attempts while the switch stalled: ${accepted}`);
  assert.equal(connected, false);
  await new Promise<void>((resolve) => stalled.close(() => resolve()));
  // Then nothing listening at all for a while, then the real bridge behind the same path.
  await sleep(300);
  assert.equal(connected, false);
  await vsctl(ovsPaths(bed.host.runDir), [
    "add-br",
    "br-late",
    "--",
    "set",
    "Bridge",
    "br-late",
    "datapath_type=netdev",
  ]);
  await rm(path, { force: true });
  await symlink(join(bed.host.runDir, "br-late.mgmt"), path);
  await started;
  await c.barrier();
});

test("malformed bytes from a switch give a typed error and a reconnect, never a crash or a hang", async (t) => {
  const bed = await openflowBed(t);
  const path = join(bed.host.runDir, "fake.mgmt");
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.on("data", () => {});
    if (connections === 1) {
      // A valid OF1.5 hello, then a header whose length is shorter than a header.
      socket.write(Buffer.from("0600001000000001000100080000004000000000000000", "hex").subarray(0, 16));
      socket.write(Buffer.from("0600000400000002", "hex"));
    } else {
      // Hello, then half a message and a close.
      socket.write(Buffer.from("06000010000000010001000800000040", "hex"));
      socket.end(Buffer.from("0613004000000003", "hex"));
    }
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  t.after(() => server.close());
  const c = new OpenFlowConnection({
    endpoint: path,
    backoff: { initialMs: 10, maxMs: 20, factor: 1 },
    connectTimeoutMs: 500,
  });
  t.after(() => c.close());
  const errors: Error[] = [];
  const twoFailures = new Promise<void>((resolve) =>
    c.onStatus((s) => {
      if (s.state === "disconnected") errors.push(s.error);
      if (errors.length >= 2) resolve();
    }),
  );
  void c.start(2_000).catch(() => {});
  await twoFailures;
  c.close();
  assert.ok(
    errors.some(
      (e) => e instanceof OpenFlowDecodeError && /shorter than the OpenFlow header/.test(e.message),
    ),
    errors.map(String).join("; "),
  );
  assert.ok(
    errors.some((e) => /hello|closed/.test(e.message)),
    errors.map(String).join("; "),
  );
});

test("the flow monitor sees another client's del-flows within a bounded time", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-x"] });
  const c = await bed.connect("br-x");
  const seen: string[] = [];
  await c.monitorFlows((updates) => {
    for (const u of updates)
      seen.push("table" in u ? `${u.event} table=${u.table} cookie=0x${u.cookie.toString(16)}` : u.event);
  });
  await c.bundle([
    add(
      flow({
        table: 3,
        priority: 7,
        cookie: 0x5700000000000042n,
        match: { reg1: 9 },
        actions: [A.output(1)],
      }),
    ),
  ]);
  await c.barrier();
  const started = performance.now();
  await bed.ofctl("del-flows", bed.mgmt("br-x"), "table=3");
  while (!seen.some((s) => s.startsWith("removed")) && performance.now() - started < 2_000) await sleep(5);
  assert.ok(seen.includes("abbrev"), "our own bundle is reported abbreviated");
  assert.ok(seen.includes("removed table=3 cookie=0x5700000000000042"), seen.join("; "));
  assert.ok(performance.now() - started < 2_000, "within two seconds");
});

test("a frozen switch is found dead by the echo probe; flow_mod modify_strict and delete_strict act on one flow", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-x"] });
  const c = await bed.connect("br-x", { probeIntervalMs: 100 });
  const f1 = flow({ table: 1, priority: 10, match: { reg0: 1 }, actions: [A.output(1)] });
  const f2 = flow({ table: 1, priority: 11, match: { reg0: 1 }, actions: [A.output(2)] });
  await c.bundle([add(f1), add(f2)]);
  await c.bundle([
    { flow: { ...f1, actions: [A.output(3)] }, options: { command: FlowModCommand.modifyStrict } },
  ]);
  await c.sendFlowMods([{ flow: f2, options: { command: FlowModCommand.deleteStrict } }]);
  assert.deepEqual(await bed.dump("br-x"), ["table=1, priority=10,reg0=0x1 actions=output:3"]);

  const pid = (await daemonPid(ovsPaths(bed.host.runDir), "ovs-vswitchd"))!;
  const dead = new Promise<Error>((resolve) =>
    c.onStatus((s) => s.state === "disconnected" && resolve(s.error)),
  );
  process.kill(pid, "SIGSTOP");
  t.after(() => process.kill(pid, "SIGCONT"));
  const started = performance.now();
  const error = await dead;
  process.kill(pid, "SIGCONT");
  assert.match(error.message, /echo unanswered/);
  assert.ok(performance.now() - started < 2_000);
});
