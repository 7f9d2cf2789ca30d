// OVSDB client benchmark (issue 2): creating 1,000 ports with external_ids in one transaction and in 1,000
// transactions, and monitor latency (transact sent → update delivered), each beside ovs-vsctl /
// ovsdb-client doing the same work against the same kind of fresh ovsdb-server.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { OvsdbCache, OvsdbClient, type VswitchTables, vswitchDb } from "../src/ovsdb/index.ts";
import {
  defaultRunRoot,
  type OvsPaths,
  ovsPaths,
  removeTestbed,
  startOvsdbServer,
  vsctl,
} from "../src/testbed/index.ts";
import { describeMachine, machine, saveResult, updateBenchmarksDoc } from "./report.ts";
import { ms, summary } from "./stats.ts";

const ports = 1000;
const runs = Number(process.env.WEIR_BENCH_RUNS ?? 3);
const latencySamples = 1000;
const benchName = "benchovsdb";

interface Vif {
  name: string;
  ids: Record<string, string>;
}

function vifs(): Vif[] {
  return Array.from({ length: ports }, (_, i) => {
    const id = randomUUID();
    const mac = `fa:16:3e:${((i >> 16) & 255).toString(16).padStart(2, "0")}:${((i >> 8) & 255).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
    return {
      name: `tap${id.slice(0, 11)}`,
      ids: { "iface-id": id, "attached-mac": mac, "iface-status": "active", "vm-uuid": randomUUID() },
    };
  });
}

/** A fresh ovsdb-server with br-int, under the testbed run root (swept by `weir testbed down --all`). */
async function freshServer(): Promise<OvsPaths> {
  const dir = join(defaultRunRoot, benchName);
  await removeTestbed(defaultRunRoot, benchName);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "owner"), "bench\n");
  const paths = ovsPaths(join(dir, "db"));
  await startOvsdbServer(paths);
  await vsctl(paths, ["--no-wait", "add-br", "br-int"]);
  return paths;
}

async function connect(paths: OvsPaths) {
  return OvsdbClient.connect({ endpoint: paths.ovsdb, probeIntervalMs: 0 });
}

async function time(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

async function weirOneTransaction(paths: OvsPaths, list: Vif[]): Promise<number> {
  const client = await connect(paths);
  try {
    const ops = await client.operations<VswitchTables>(vswitchDb);
    return await time(async () => {
      const operations = list.flatMap((vif, i) => [
        ops.insert("Interface", { name: vif.name, external_ids: vif.ids }, `i${i}`),
        ops.insert("Port", { name: vif.name, interfaces: [`i${i}`] }, `p${i}`),
      ]);
      operations.push(
        ops.mutate("Bridge", [["name", "==", "br-int"]], [["ports", "insert", list.map((_, i) => `p${i}`)]]),
      );
      await client.transact(vswitchDb, operations);
    });
  } finally {
    client.close();
  }
}

async function weirManyTransactions(paths: OvsPaths, list: Vif[]): Promise<number> {
  const client = await connect(paths);
  try {
    const ops = await client.operations<VswitchTables>(vswitchDb);
    return await time(async () => {
      for (const vif of list) {
        await client.transact(vswitchDb, [
          ops.insert("Interface", { name: vif.name, external_ids: vif.ids }, "i"),
          ops.insert("Port", { name: vif.name, interfaces: ["i"] }, "p"),
          ops.mutate("Bridge", [["name", "==", "br-int"]], [["ports", "insert", ["p"]]]),
        ]);
      }
    });
  } finally {
    client.close();
  }
}

const vsctlAddPort = (vif: Vif) => [
  "--",
  "add-port",
  "br-int",
  vif.name,
  "--",
  "set",
  "Interface",
  vif.name,
  ...Object.entries(vif.ids).map(([k, v]) => `external_ids:${k}=${v}`),
];

function vsctlOneTransaction(paths: OvsPaths, list: Vif[]): Promise<number> {
  return time(() => vsctl(paths, list.flatMap(vsctlAddPort), { noWait: true }));
}

function vsctlManyTransactions(paths: OvsPaths, list: Vif[]): Promise<number> {
  return time(async () => {
    for (const vif of list) await vsctl(paths, vsctlAddPort(vif), { noWait: true });
  });
}

/** Median of `runs` runs of `scenario`, each on a fresh server. */
async function median(scenario: (paths: OvsPaths, list: Vif[]) => Promise<number>): Promise<number[]> {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const paths = await freshServer();
    times.push(await scenario(paths, vifs()));
  }
  return times;
}

/**
 * Monitor latency: a writer inserts one Interface at a time; our replica (OvsdbCache over monitor_cond) and
 * `ovsdb-client monitor` watch the same table. Latency = transact sent → the insert is delivered.
 */
async function monitorLatency(): Promise<{ weir: number[]; ovsdbClient: number[] }> {
  const paths = await freshServer();
  const writer = await connect(paths);
  const reader = await connect(paths);
  const cache = await OvsdbCache.start<VswitchTables>(reader, vswitchDb, { Interface: ["name"] });
  const monitor = spawn(
    "ovsdb-client",
    ["monitor", paths.ovsdb, vswitchDb, "Interface", "name", "--format=csv"],
    {
      stdio: ["ignore", "pipe", "ignore"],
    },
  );
  const weirSeen = new Map<string, number>();
  const clientSeen = new Map<string, number>();
  cache.subscribe((events) => {
    const now = performance.now();
    for (const e of events) if (e.type === "insert" && e.table === "Interface") weirSeen.set(e.new.name, now);
  });
  createInterface({ input: monitor.stdout }).on("line", (line) => {
    const now = performance.now();
    const [, action, name] = line.split(",");
    if ((action === "insert" || action === "initial") && name !== undefined) clientSeen.set(name, now);
  });
  const ops = await writer.operations<VswitchTables>(vswitchDb);
  const weir: number[] = [];
  const ovsdbClient: number[] = [];
  try {
    // Let ovsdb-client connect and print its initial table.
    await waitUntil(() => clientSeen.has("br-int"), 5_000);
    for (let i = 0; i < latencySamples; i++) {
      const name = `lat${i}`;
      const sent = performance.now();
      await writer.transact(vswitchDb, [
        ops.insert("Interface", { name }, "i"),
        ops.insert("Port", { name, interfaces: ["i"] }, "p"),
        ops.mutate("Bridge", [["name", "==", "br-int"]], [["ports", "insert", ["p"]]]),
      ]);
      await waitUntil(() => weirSeen.has(name) && clientSeen.has(name), 5_000);
      weir.push(weirSeen.get(name)! - sent);
      ovsdbClient.push(clientSeen.get(name)! - sent);
    }
  } finally {
    monitor.kill("SIGTERM");
    await cache.close();
    reader.close();
    writer.close();
  }
  return { weir, ovsdbClient };
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error("timed out waiting for monitor output");
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export async function runOvsdbBench(): Promise<void> {
  const m = machine();
  try {
    console.log(`ovsdb bench: ${ports} ports, ${runs} runs each, fresh ovsdb-server per run`);
    const rows = [
      ["1 transaction", await median(weirOneTransaction), await median(vsctlOneTransaction)],
      [`${ports} transactions`, await median(weirManyTransactions), await median(vsctlManyTransactions)],
    ] as const;
    for (const [what, weir, ovs] of rows) {
      console.log(`  ${what}: weir ${weir.map(ms).join("/")} ms, ovs-vsctl ${ovs.map(ms).join("/")} ms`);
    }
    const latency = await monitorLatency();
    const weirLat = summary(latency.weir);
    const clientLat = summary(latency.ovsdbClient);
    console.log(
      `  monitor latency p50/p99: weir ${ms(weirLat.p50)}/${ms(weirLat.p99)} ms, ovsdb-client ${ms(clientLat.p50)}/${ms(clientLat.p99)} ms`,
    );
    const file = saveResult("ovsdb", { machine: m, ports, runs, creation: rows, latency });
    const med = (v: readonly number[]) => ms(summary(v).p50);
    updateBenchmarksDoc(
      "ovsdb",
      [
        `Measured ${describeMachine(m)}. Raw data: \`${file.slice(file.indexOf("bench/"))}\` (not committed).`,
        "",
        `| create ${ports} ports with 4 external_ids each | Weir client (median of ${runs}) | ovs-vsctl --no-wait (median of ${runs}) | ratio |`,
        "| --- | ---: | ---: | ---: |",
        ...rows.map(
          ([what, weir, ovs]) =>
            `| in ${what} | ${med(weir)} ms | ${med(ovs)} ms | ${(summary(ovs).p50 / summary(weir).p50).toFixed(1)}× faster |`,
        ),
        "",
        `| monitor latency, transact sent → insert delivered (${latencySamples} inserts) | p50 | p99 | max |`,
        "| --- | ---: | ---: | ---: |",
        `| Weir replica (monitor_cond, update2) | ${ms(weirLat.p50)} ms | ${ms(weirLat.p99)} ms | ${ms(weirLat.max)} ms |`,
        `| ovsdb-client monitor (C, same server, same inserts) | ${ms(clientLat.p50)} ms | ${ms(clientLat.p99)} ms | ${ms(clientLat.max)} ms |`,
      ].join("\n"),
    );
    console.log(`  wrote docs/BENCHMARKS.md and ${file}`);
  } finally {
    await removeTestbed(defaultRunRoot, benchName);
    await rm(join(defaultRunRoot, benchName), { recursive: true, force: true });
  }
}
