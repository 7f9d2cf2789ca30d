// The server as a process: restarts and kill -9 lose nothing committed and leave nothing half-written;
// two PostgreSQL replicas share events; config errors exit 2 before anything starts; /metrics.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { freeLoopbackPort } from "../../src/testbed/index.ts";
import { agentReport } from "../support/api-suite.ts";
import { type PostgresCluster, postgresCluster } from "../support/postgres.ts";
import { openSse } from "../support/sse.ts";

const weir = new URL("../../bin/weir", import.meta.url).pathname;
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups) await cleanup();
});
let cluster: Promise<PostgresCluster> | undefined;
const pg = () => (cluster ??= postgresCluster((fn) => cleanups.push(fn)));

interface Proc {
  readonly url: string;
  readonly child: ChildProcess;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

async function serverProcess(t: import("node:test").TestContext, args: string[]): Promise<Proc> {
  const port = await freeLoopbackPort();
  const child = spawn(weir, ["server", "--listen", `127.0.0.1:${port}`, "--noauth", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => {
    output += String(d);
  });
  child.stderr!.on("data", (d) => {
    output += String(d);
  });
  t.after(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`server exited: ${output}`);
    try {
      if ((await fetch(`${url}/`)).ok) break;
    } catch {
      if (i > 200) throw new Error(`server did not start: ${output}`);
      await sleep(25);
    }
  }
  return {
    url,
    child,
    api: async (method, path, body) => {
      const r = await fetch(`${url}${path}`, {
        method,
        headers: { "content-type": "application/json" },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : undefined };
    },
  };
}

async function killed(p: Proc): Promise<void> {
  const exited = new Promise((resolve) => p.child.once("exit", resolve));
  p.child.kill("SIGKILL");
  await exited;
}

for (const backend of ["sqlite", "postgres"] as const) {
  test(`[${backend}] kill -9 during 60 concurrent port creates loses nothing committed and leaves nothing half-written`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "weir-test-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const args =
      backend === "sqlite" ? ["--data-dir", dir] : ["--data-dir", dir, "--db", await (await pg()).database()];
    const first = await serverProcess(t, args);
    const net = (await first.api("POST", "/v2.0/networks", { network: { name: "durable" } })).body.network;
    await first.api("POST", "/v2.0/subnets", { subnet: { network_id: net.id, cidr: "198.19.80.0/24" } });
    const acknowledged: string[] = [];
    const creates = Array.from({ length: 60 }, async () => {
      try {
        const r = await first.api("POST", "/v2.0/ports", { port: { network_id: net.id } });
        if (r.status === 201) acknowledged.push(r.body.port.id);
      } catch {
        // Cut off by the kill: the outcome is unknown to this client.
      }
    });
    // Kill it mid-stream: some creates acknowledged, some in flight.
    for (let i = 0; i < 300 && acknowledged.length < 5; i++) await sleep(5);
    await killed(first);
    await Promise.all(creates);

    const second = await serverProcess(t, args);
    const ports = (await second.api("GET", `/v2.0/ports?network_id=${net.id}`)).body.ports;
    const ids = new Set(ports.map((p: any) => p.id));
    for (const id of acknowledged) assert.ok(ids.has(id), `acknowledged port ${id} survived`);
    for (const p of ports)
      assert.equal(p.fixed_ips.length, 1, "every port that exists is whole (port and IP in one transaction)");
    assert.equal(new Set(ports.map((p: any) => p.mac_address)).size, ports.length);
    assert.equal(new Set(ports.map((p: any) => p.fixed_ips[0].ip_address)).size, ports.length);
    // And it keeps working where it left off.
    assert.equal((await second.api("POST", "/v2.0/ports", { port: { network_id: net.id } })).status, 201);
    t.diagnostic(`${acknowledged.length} acknowledged before the kill, ${ports.length} found after`);
  });
}

test("[postgres] two replicas share one database: an agent streaming from A sees a change made through B", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "weir-test-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const db = await (await pg()).database();
  const a = await serverProcess(t, ["--data-dir", dir, "--db", db]);
  const b = await serverProcess(t, ["--data-dir", dir, "--db", db]);
  const report = agentReport("h1");
  const registered = await a.api("POST", "/agent/v1/report-state", report);
  const stream = openSse(`${a.url}/agent/v1/stream?host=h1&since=${registered.body.revision}`);
  t.after(() => stream.close());
  const net = (await b.api("POST", "/v2.0/networks", { network: { name: "via-b" } })).body.network;
  const [event] = await stream.waitFor(1);
  assert.equal(event!.event, "network.updated");
  assert.equal(event!.data.event.network.network_id, net.id);
  // Concurrent writes through both replicas still get distinct segments.
  const both = await Promise.all([a, b, a, b].map((r) => r.api("POST", "/v2.0/networks", { network: {} })));
  const segments = both.map((r) => r.body.network["provider:segmentation_id"]);
  assert.equal(new Set(segments).size, 4, JSON.stringify(segments));
});

test("configuration errors exit 2 naming file, section and key, before anything starts; /metrics counts requests", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "weir-test-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(weir, ["server", "--listen", "127.0.0.1:1", "--data-dir", dir, ...args], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr!.on("data", (d) => {
        stderr += String(d);
      });
      child.on("exit", (code) => resolve({ code, stderr }));
    });
  const bad = join(dir, "bad.ini");
  await writeFile(bad, "[ml2_type_vlan]\nnetwork_vlan_ranges = physnet1:300:200\n");
  const r1 = await run(["--config", bad, "--noauth"]);
  assert.equal(r1.code, 2);
  assert.match(r1.stderr, /bad\.ini \[ml2_type_vlan\] network_vlan_ranges: "300:200" is not a range/);
  await writeFile(bad, "[ml2]\ntenant_network_type = vxlan\n");
  const r2 = await run(["--config", bad, "--noauth"]);
  assert.match(r2.stderr, /\[ml2\] tenant_network_type: unknown key/);
  const r3 = await run([]);
  assert.equal(r3.code, 2);
  assert.match(r3.stderr, /no admin token configured/);

  const p = await serverProcess(t, ["--data-dir", dir]);
  await p.api("GET", "/v2.0/networks");
  const metrics = await (await fetch(`${p.url}/metrics`)).text();
  assert.match(metrics, /weir_http_requests_total\{route="\/v2.0\/networks",method="GET",status="200"\} 1/);
  assert.match(metrics, /weir_connected_agents 0/);
});
