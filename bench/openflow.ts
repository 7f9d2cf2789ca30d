// OpenFlow benchmark (issue 3): installing 10,000 and 100,000 flows, reconciling 100,000 to a new
// generation, and one port's incremental update on a bridge holding 100,000 — each beside the raw
// `ovs-ofctl --bundle add-flows` of the same flows (the physical limit on this machine), as a ratio.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  actions as A,
  BridgeFlows,
  type Flow,
  type FlowOwner,
  flow,
  formatFlow,
  OpenFlowConnection,
} from "../src/openflow/index.ts";
import { defaultRunRoot, ovsPaths, removeTestbed, run, Testbed, vsctl } from "../src/testbed/index.ts";
import { describeMachine, machine, saveResult, updateBenchmarksDoc } from "./report.ts";
import { ms, summary } from "./stats.ts";

const name = "benchof";
const FLOWS_PER_PORT = 10;
/** The owner of a port's flows (class 4, keyed by port), as the agent's per-VIF owners are. */
const portOwner = (port: number | string): FlowOwner => ({ ownerClass: 4, key: `port:${port}` });
const incrementalSamples = 200;

/** Realistic L2-agent flows: VLAN+MAC to a port, anti-spoofing by in_port/MAC/IP, VLAN+MAC to a tunnel. */
function portFlows(port: number): Flow[] {
  const vlan = 1 + (port % 4000);
  const mac = `fa:16:3e:${((port >> 16) & 255).toString(16).padStart(2, "0")}:${((port >> 8) & 255).toString(16).padStart(2, "0")}:${(port & 255).toString(16).padStart(2, "0")}`;
  const ip = `198.19.${(port >> 8) & 255}.${port & 255}`;
  const ofport = 1 + (port % 60000);
  const flows: Flow[] = [
    flow({
      table: 60,
      priority: 90,
      match: { vlan_tci: [0x1000 | vlan, 0x1fff], eth_dst: mac },
      actions: [A.popVlan, A.output(ofport)],
    }),
    flow({
      table: 71,
      priority: 95,
      match: { in_port: ofport, eth_src: mac, eth_type: 0x800, ip_src: ip },
      actions: [A.resubmit(73)],
    }),
    flow({
      table: 71,
      priority: 95,
      match: { in_port: ofport, eth_src: mac, eth_type: 0x806, arp_spa: ip },
      actions: [A.resubmit(94)],
    }),
    flow({
      table: 20,
      priority: 2,
      match: { vlan_tci: [0x1000 | vlan, 0x1fff], eth_dst: mac },
      actions: [A.popVlan, A.setTunnel(1000 + (port % 5000)), A.output(2)],
    }),
  ];
  for (let i = flows.length; i < FLOWS_PER_PORT; i++) {
    flows.push(
      flow({
        table: 82,
        priority: 70,
        match: { reg5: ofport, reg6: i },
        actions: [A.conjunction(port, 1, 2)],
      }),
    );
  }
  return flows;
}

function flowsFor(ports: number): Map<string, Flow[]> {
  return new Map(Array.from({ length: ports }, (_, p) => [`port:${p}`, portFlows(p)]));
}

async function time<T>(work: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const value = await work();
  return [performance.now() - started, value];
}

export async function runOpenFlowBench(): Promise<void> {
  const m = machine();
  await removeTestbed(defaultRunRoot, name);
  const tb = await Testbed.up({ name, hosts: 1, owner: "bench" });
  try {
    const host = tb.info.hosts[0]!;
    const paths = ovsPaths(host.runDir);
    await vsctl(paths, [
      "add-br",
      "br-bench",
      "--",
      "set",
      "Bridge",
      "br-bench",
      "datapath_type=netdev",
      "fail_mode=secure",
      "other_config:hwaddr=02:00:00:00:00:aa",
    ]);
    const mgmt = `unix:${host.runDir}/br-bench.mgmt`;
    const clear = () => run("ovs-ofctl", ["del-flows", mgmt]);
    const connect = () => OpenFlowConnection.connect({ endpoint: mgmt, requestTimeoutMs: 300_000 });
    const rows: Record<string, unknown>[] = [];

    const rawAdd = async (flows: Flow[], cookie: bigint) => {
      const file = join(host.runDir, "raw.txt");
      await writeFile(file, `${flows.map((f) => formatFlow({ ...f, cookie })).join("\n")}\n`);
      const [elapsed] = await time(() =>
        run("ovs-ofctl", ["-O", "OpenFlow15", "--bundle", "add-flows", mgmt, file], { timeoutMs: 600_000 }),
      );
      return elapsed;
    };

    for (const total of [10_000, 100_000]) {
      const owners = flowsFor(total / FLOWS_PER_PORT);
      const all = [...owners.values()].flat();
      await clear();
      const raw = await rawAdd(all, 0x5700010100000000n);
      await clear();
      const c = await connect();
      const bridge = new BridgeFlows({ connection: c, generation: 1, autoRepair: false });
      await bridge.apply([...owners].map(([owner, list]) => [portOwner(owner.slice(5)), list] as const));
      const [weir] = await time(() => bridge.reconcile());
      c.close();
      rows.push({ what: `install ${total.toLocaleString("en")} flows into an empty bridge`, weir, raw });
      console.log(`  install ${total}: weir ${ms(weir)} ms, raw ${ms(raw)} ms`);
    }

    // The bridge now holds 100,000 generation-1 flows. A restarted agent reconciles to generation 2.
    const owners = flowsFor(100_000 / FLOWS_PER_PORT);
    const all = [...owners.values()].flat();
    const rssBefore = process.memoryUsage().rss;
    const c2 = await connect();
    const gen2 = new BridgeFlows({ connection: c2, generation: 2, autoRepair: false });
    await gen2.apply([...owners].map(([owner, list]) => [portOwner(owner.slice(5)), list] as const));
    const [reconcile, result] = await time(() => gen2.reconcile());
    const rss = process.memoryUsage().rss;
    if (result.modified !== all.length)
      throw new Error(`reconcile replaced ${result.modified} of ${all.length}`);
    const rawReAdd = await rawAdd(all, 0x5700030100000000n);
    rows.push({
      what: "reconcile 100,000 flows to a new generation (dump, diff, re-add all)",
      weir: reconcile,
      raw: rawReAdd,
    });
    console.log(
      `  reconcile 100k: weir ${ms(reconcile)} ms, raw re-add ${ms(rawReAdd)} ms; rss ${Math.round(rss / 2 ** 20)} MiB`,
    );

    // The restart fast path: generation 3 replaces generation 2 without a dump (swapGeneration).
    const c3 = await connect();
    const gen3 = new BridgeFlows({ connection: c3, generation: 3, autoRepair: false });
    await gen3.apply([...owners].map(([owner, list]) => [portOwner(owner.slice(5)), list] as const));
    await gen2.reconcile(); // the raw re-add changed every cookie: give the bridge back generation 2
    const [swap, swapped] = await time(() => gen3.swapGeneration(2));
    if (swapped.fellBack) throw new Error("the swap fell back to a dump");
    rows.push({
      what: "swap 100,000 flows to a new generation (restart fast path: re-add all, delete the old generation by cookie mask, verify by counts)",
      weir: swap,
      raw: rawReAdd,
    });
    console.log(`  swap 100k: weir ${ms(swap)} ms, raw re-add ${ms(rawReAdd)} ms`);
    c3.close();

    // Steady state for incremental updates: generation 2 again, then let ovs-vswitchd settle.
    await gen2.reconcile();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await c2.barrier();
    const incremental: number[] = [];
    for (let i = 0; i < incrementalSamples; i++) {
      const port = (i * 37) % (100_000 / FLOWS_PER_PORT);
      const changed = portFlows(port).map((f, j) =>
        j === 0 ? { ...f, actions: [A.popVlan, A.output(40000 + i)] } : f,
      );
      const [elapsed] = await time(async () => {
        await gen2.set(portOwner(port), changed);
        await c2.barrier();
      });
      incremental.push(elapsed);
    }
    const rawSingle: number[] = [];
    for (let i = 0; i < 20; i++) rawSingle.push(await rawAdd(portFlows(i), 0x5700020400000000n));
    const inc = summary(incremental);
    const rawInc = summary(rawSingle);
    console.log(
      `  incremental one port: p50 ${ms(inc.p50)} p99 ${ms(inc.p99)} ms; raw ovs-ofctl p50 ${ms(rawInc.p50)} ms`,
    );
    c2.close();

    const file = saveResult("openflow", {
      machine: m,
      rows,
      incremental,
      rawSingle,
      rssBytes: rss,
      rssBeforeBytes: rssBefore,
    });
    const ratio = (weir: number, raw: number) => `${(weir / raw).toFixed(2)}×`;
    updateBenchmarksDoc(
      "openflow",
      [
        `Measured ${describeMachine(m)}. Raw data: \`${file.slice(file.indexOf("bench/"))}\` (not committed).`,
        "",
        "| operation | Weir (native client, one atomic bundle) | raw `ovs-ofctl --bundle add-flows`, same flows | Weir ÷ raw |",
        "| --- | ---: | ---: | ---: |",
        ...rows.map(
          (r) =>
            `| ${r.what} | ${ms(r.weir as number)} ms | ${ms(r.raw as number)} ms | ${ratio(r.weir as number, r.raw as number)} |`,
        ),
        `| one port's incremental update (${FLOWS_PER_PORT} flows, 1 changed) on a bridge holding 100,000, to barrier reply — p50 / p99 / max of ${incrementalSamples} | ${ms(inc.p50)} / ${ms(inc.p99)} / ${ms(inc.max)} ms | ${ms(rawInc.p50)} ms (p50 of 20; a process start each) | — |`,
        "",
        `Node.js RSS while holding 100,000 desired flows and a dump of 100,000: ${Math.round(rss / 2 ** 20)} MiB.`,
      ].join("\n"),
    );
    console.log(`  wrote docs/BENCHMARKS.md and ${file}`);
  } finally {
    await tb.down();
  }
}
