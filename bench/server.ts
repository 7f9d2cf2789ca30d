// Server benchmark (issue 4): port create/show/list with 10,000 ports while 500 simulated agents heartbeat
// every 5 s, and event fan-out latency to 500 streaming agents — for SQLite and PostgreSQL. The server runs
// as its own process (bin/weir server); load comes from this one, over loopback only.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SseParser } from "../src/protocol/index.ts";
import { defaultRunRoot, removeTestbed } from "../src/testbed/index.ts";
import { describeMachine, machine, saveResult, updateBenchmarksDoc } from "./report.ts";
import { ms, summary } from "./stats.ts";

const PORTS = 10_000;
const AGENTS = 500;
const NETWORKS = 50;
const CONCURRENCY = 16;
const exec = promisify(execFile);
const weir = new URL("../bin/weir", import.meta.url).pathname;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function startPostgres(): Promise<string> {
  const root = join(defaultRunRoot, "benchpg");
  await removeTestbed(defaultRunRoot, "benchpg");
  await mkdir(join(root, "postgres"), { recursive: true });
  await writeFile(join(root, "owner"), "bench\n");
  const uid = Number((await exec("id", ["-u", "postgres"])).stdout.trim());
  await chown(join(root, "postgres"), uid, uid);
  await chmod(root, 0o755);
  const port = await freePort();
  const dir = join(root, "postgres");
  const bin = "/usr/lib/postgresql/15/bin";
  await exec("runuser", [
    "-u",
    "postgres",
    "--",
    `${bin}/initdb`,
    "-D",
    join(dir, "data"),
    "-A",
    "trust",
    "-U",
    "weir",
    "-E",
    "UTF8",
  ]);
  await exec("runuser", [
    "-u",
    "postgres",
    "--",
    `${bin}/pg_ctl`,
    "-D",
    join(dir, "data"),
    "-l",
    join(dir, "postgres.log"),
    "-w",
    "-o",
    `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c max_connections=200`,
    "start",
  ]);
  return `postgres://weir@127.0.0.1:${port}/postgres`;
}

async function startServer(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(weir, ["server", "--listen", `127.0.0.1:${port}`, "--noauth", ...args], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, WEIR_LOG_LEVEL: "warn" },
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 400; i++) {
    try {
      if ((await fetch(`${url}/`)).ok) return { url, child };
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error("server did not start");
}

async function call(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(`${url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Runs `count` requests with `CONCURRENCY` in flight; returns per-request latencies and the rate. */
async function load(count: number, request: (i: number) => Promise<unknown>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        await request(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { rps: count / seconds, ...summary(latencies) };
}

const config = (i: number) => ({
  bridge_mappings: { physnet1: "br-phys" },
  tunnel_types: ["vxlan"],
  tunneling_ip: `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`,
  integration_bridge: "br-int",
  datapath_type: "netdev",
  firewall_driver: "noop",
  l2_population: true,
  arp_responder: false,
  devices: 0,
});

interface Stream {
  readonly received: Map<string, number>;
  close(): void;
}

/** An SSE client that records when each network.updated event (by network id + revision) arrived. */
function stream(url: string, host: string, since: number): Stream {
  const received = new Map<string, number>();
  const controller = new AbortController();
  void (async () => {
    try {
      const r = await fetch(`${url}/agent/v1/stream?host=${host}&since=${since}`, {
        signal: controller.signal,
      });
      const decoder = new TextDecoder();
      const parser = new SseParser();
      for await (const chunk of r.body!) {
        for (const m of parser.push(decoder.decode(chunk, { stream: true }))) {
          if (m.event !== "network.updated") continue;
          const event = JSON.parse(m.data);
          received.set(`${event.event.network.network_id}/${event.event.network.mtu}`, performance.now());
        }
      }
    } catch {
      // closed
    }
  })();
  return { received, close: () => controller.abort() };
}

async function runBackend(kind: "sqlite" | "postgres") {
  const dataDir = await mkdtemp(join(tmpdir(), "weir-bench-"));
  const args =
    kind === "sqlite" ? ["--data-dir", dataDir] : ["--data-dir", dataDir, "--db", await startPostgres()];
  const { url, child } = await startServer(args);
  const heartbeats: NodeJS.Timeout[] = [];
  const streams: Stream[] = [];
  try {
    const report = (i: number, start: boolean) =>
      call(url, "POST", "/agent/v1/report-state", {
        host: `host-${i}`,
        agent_type: "Open vSwitch agent",
        binary: "weir-agent",
        configurations: config(i),
        start_flag: start,
      });
    for (let i = 0; i < AGENTS; i++) await report(i, true);
    // Heartbeats every 5 s, spread evenly: 100 requests/s of background load from now on.
    for (let i = 0; i < AGENTS; i++) {
      setTimeout(
        () => heartbeats.push(setInterval(() => void report(i, false).catch(() => {}), 5_000)),
        (i * 5_000) / AGENTS,
      );
    }
    const networks: string[] = [];
    for (let i = 0; i < NETWORKS; i++) {
      const n = (await call(url, "POST", "/v2.0/networks", { network: { name: `net-${i}` } })).network;
      await call(url, "POST", "/v2.0/subnets", { subnet: { network_id: n.id, cidr: `10.${i}.0.0/16` } });
      networks.push(n.id);
    }
    const portIds: string[] = [];
    const create = await load(PORTS, async (i) => {
      const host = i % AGENTS;
      const body = {
        port: {
          network_id: networks[host % NETWORKS],
          "binding:host_id": `host-${host}`,
          device_id: `vm-${i}`,
        },
      };
      portIds.push((await call(url, "POST", "/v2.0/ports", body)).port.id);
    });
    const show = await load(5_000, (i) =>
      call(url, "GET", `/v2.0/ports/${portIds[(i * 7919) % portIds.length]}`),
    );
    const listNetwork = await load(500, (i) =>
      call(url, "GET", `/v2.0/ports?network_id=${networks[i % NETWORKS]}`),
    );
    const listAll = await load(20, () => call(url, "GET", "/v2.0/ports"));

    // Fan-out: 500 agents stream; an admin changes a network's MTU; time until each agent has the event.
    const revision = (await call(url, "POST", "/agent/v1/sync", { host: "host-0" })).revision;
    for (let i = 0; i < AGENTS; i++) streams.push(stream(url, `host-${i}`, revision));
    await new Promise((r) => setTimeout(r, 3_000));
    const fanout: number[] = [];
    for (let round = 0; round < 20; round++) {
      const network = networks[round % NETWORKS]!;
      const mtu = 1400 - round;
      const sent = performance.now();
      await call(url, "PUT", `/v2.0/networks/${network}`, { network: { mtu } });
      const key = `${network}/${mtu}`;
      for (let wait = 0; wait < 400 && streams.some((s) => !s.received.has(key)); wait++)
        await new Promise((r) => setTimeout(r, 5));
      for (const s of streams) if (s.received.has(key)) fanout.push(s.received.get(key)! - sent);
    }
    const fan = summary(fanout);
    const missed = 20 * AGENTS - fanout.length;
    return { kind, create, show, listNetwork, listAll, fanout: { ...fan, missed } };
  } finally {
    for (const h of heartbeats) clearInterval(h);
    for (const s of streams) s.close();
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    await rm(dataDir, { recursive: true, force: true });
    if (kind === "postgres") await removeTestbed(defaultRunRoot, "benchpg");
  }
}

export async function runServerBench(): Promise<void> {
  const m = machine();
  const results: Awaited<ReturnType<typeof runBackend>>[] = [];
  for (const kind of ["sqlite", "postgres"] as const) {
    console.log(`  server bench on ${kind}…`);
    const r = await runBackend(kind);
    console.log(
      `  ${kind}: create ${Math.round(r.create.rps)}/s, show ${Math.round(r.show.rps)}/s, list ${Math.round(r.listNetwork.rps)}/s, fan-out p50 ${ms(r.fanout.p50)} p99 ${ms(r.fanout.p99)} ms`,
    );
    results.push(r);
  }
  const file = saveResult("server", { machine: m, results });
  const row = (
    label: string,
    pick: (r: (typeof results)[number]) => { rps: number; p50: number; p99: number },
  ) =>
    `| ${label} | ${results.map((r) => `${Math.round(pick(r).rps).toLocaleString("en")}/s · ${ms(pick(r).p50)} / ${ms(pick(r).p99)} ms`).join(" | ")} |`;
  updateBenchmarksDoc(
    "server",
    [
      `Measured ${describeMachine(m)}. Raw data: \`${file.slice(file.indexOf("bench/"))}\` (not committed).`,
      "",
      `${PORTS.toLocaleString("en")} ports on ${NETWORKS} networks, bound to ${AGENTS} simulated agents that heartbeat every 5 s throughout; ${CONCURRENCY} requests in flight; loopback.`,
      "",
      "| operation (requests/s · p50 / p99) | SQLite (embedded) | PostgreSQL 15 |",
      "| --- | ---: | ---: |",
      row(`port create, bound to a host (${PORTS.toLocaleString("en")})`, (r) => r.create),
      row("port show (5,000)", (r) => r.show),
      row("port list of one network, 200 ports (500)", (r) => r.listNetwork),
      row(`port list, all ${PORTS.toLocaleString("en")} ports (20)`, (r) => r.listAll),
      `| event fan-out to ${AGENTS} streaming agents, change committed → event at each agent, p50 / p99 / max (20 changes) | ${results.map((r) => `${ms(r.fanout.p50)} / ${ms(r.fanout.p99)} / ${ms(r.fanout.max)} ms${r.fanout.missed ? ` (${r.fanout.missed} missed)` : ""}`).join(" | ")} |`,
    ].join("\n"),
  );
  console.log(`  wrote docs/BENCHMARKS.md and ${file}`);
}
