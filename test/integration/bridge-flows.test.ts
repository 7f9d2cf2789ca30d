import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { TimeoutError } from "../../src/base/index.ts";
import {
  actions as A,
  BridgeFlows,
  type Disturbance,
  type Flow,
  type FlowOwner,
  flow,
  formatCookie,
  learnedCookie,
  makeCookie,
  nextGeneration,
  type OpenFlowConnection,
} from "../../src/openflow/index.ts";
import { openVswitchDb, persistGeneration, readGeneration } from "../../src/ovs/index.ts";
import { OvsdbClient } from "../../src/ovsdb/index.ts";
import { daemonPid, ovsPaths, restartVswitchd } from "../../src/testbed/index.ts";
import { openflowBed } from "../support/openflow.ts";

const classes: Record<string, number> = { base: 1, port: 4 };
/** "port:a" → the owner of class 4 (port) keyed "port:a"; "base" → class 1's own flows. */
const o = (name: string): FlowOwner => ({
  ownerClass: classes[name.split(":")[0]!] ?? 0x20,
  key: name === "base" ? "" : name,
});

function portFlows(port: number, extra = 0): Flow[] {
  return [
    flow({
      table: 0,
      priority: 100,
      match: { in_port: port },
      actions: [A.load(port, A.subfield("reg5")), A.gotoTable(10)],
    }),
    flow({ table: 10, priority: 50, match: { reg5: port }, actions: [A.output(port)] }),
    ...Array.from({ length: extra }, (_, i) =>
      flow({ table: 20, priority: 10, match: { reg5: port, reg6: i }, actions: [A.output(port)] }),
    ),
  ];
}

const baseFlows = (): Flow[] => [
  flow({ table: 0, priority: 0, actions: [] }),
  flow({ table: 10, priority: 0, actions: [] }),
];

async function bridgeFlows(
  c: OpenFlowConnection,
  generation: number,
  onDisturbance?: (d: Disturbance) => void,
) {
  const flows = new BridgeFlows({
    connection: c,
    generation,
    ...(onDisturbance ? { onDisturbance } : {}),
  });
  await flows.watch();
  return flows;
}

test("a new generation replaces every flow in place, deletes stale ones, and leaves foreign and learned flows", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-x"] });
  const c1 = await bed.connect("br-x");
  const gen1 = await bridgeFlows(c1, 1);
  await gen1.set(o("base"), baseFlows());
  await gen1.set(o("port:a"), portFlows(1, 3));
  await gen1.set(o("port:gone"), portFlows(2));
  const first = await gen1.reconcile();
  assert.deepEqual([first.added, first.modified, first.deleted, first.unchanged], [9, 0, 0, 0]);
  // Somebody else's flow, and one the switch "learned" (learn action cookies use LEARNED_CLASS).
  await bed.ofctl("add-flow", bed.mgmt("br-x"), "table=50,priority=1,cookie=0x1234,actions=drop");
  const learned = learnedCookie(7);
  await bed.ofctl(
    "add-flow",
    bed.mgmt("br-x"),
    `table=20,priority=1,cookie=0x${learned.toString(16)},reg6=77,actions=drop`,
  );
  await gen1.close();
  c1.close();

  // The next run: generation 2, port "gone" no longer exists.
  const c2 = await bed.connect("br-x");
  const gen2 = await bridgeFlows(c2, 2);
  await gen2.set(o("base"), baseFlows());
  await gen2.set(o("port:a"), portFlows(1, 3));
  const second = await gen2.reconcile();
  assert.deepEqual([second.added, second.modified, second.deleted, second.unchanged], [0, 7, 2, 0]);
  const lines = await bed.dump("br-x");
  const weirLines = lines.filter((l) => l.startsWith("cookie=0x57"));
  assert.equal(weirLines.length, 8, lines.join("\n"));
  const gen2Prefix = `cookie=0x570002`;
  assert.equal(
    weirLines.filter((l) => l.startsWith(gen2Prefix)).length,
    7,
    "every owned flow carries generation 2",
  );
  assert.ok(
    lines.some((l) => l.startsWith("cookie=0x1234,")),
    "foreign flow untouched",
  );
  assert.ok(
    weirLines.some((l) => l.includes("reg6=0x4d")),
    `learned flow untouched (${formatCookie(learned)})`,
  );

  // Nothing changed: a reconcile now sends nothing.
  const third = await gen2.reconcile();
  assert.deepEqual([third.added, third.modified, third.deleted, third.unchanged], [0, 0, 0, 7]);
});

test("incremental updates send only the difference of one owner, in one bundle", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-x"] });
  const flows = await bridgeFlows(await bed.connect("br-x"), 1);
  await flows.set(o("base"), baseFlows());
  await flows.reconcile();
  const added = await flows.set(o("port:a"), portFlows(1, 2));
  assert.deepEqual([added.added, added.modified, added.deleted], [4, 0, 0]);
  const [classify, , extra0] = portFlows(1, 1);
  const changed = await flows.set(o("port:a"), [
    classify!,
    extra0!,
    flow({ table: 10, priority: 50, match: { reg5: 1 }, actions: [A.output(1), A.output(99)] }),
  ]);
  assert.deepEqual([changed.added, changed.modified, changed.deleted, changed.unchanged], [0, 1, 1, 2]);
  assert.ok((await bed.dump("br-x")).some((l) => l.includes("actions=output:1,output:99")));
  const removed = await flows.set(o("port:a"), []);
  assert.equal(removed.deleted, 3);
  assert.equal((await bed.dump("br-x")).length, 2);
  // Two owners may not claim one flow.
  await flows.set(o("port:b"), portFlows(2));
  await assert.rejects(flows.set(o("port:c"), portFlows(2)), /owned by 4\/port:b/);
});

test("an operator's del-flows is reported with the owner and repaired", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-x"] });
  const disturbances: Disturbance[] = [];
  const flows = await bridgeFlows(await bed.connect("br-x"), 1, (d) => disturbances.push(d));
  await flows.set(o("base"), baseFlows());
  await flows.set(o("port:a"), portFlows(1));
  await flows.reconcile();
  const before = await bed.dump("br-x");
  await bed.ofctl("del-flows", bed.mgmt("br-x"), "table=10");
  for (
    let i = 0;
    i < 200 && !((await bed.dump("br-x")).length === before.length && disturbances.length > 0);
    i++
  )
    await sleep(10);
  const changed = disturbances.find((d) => d.kind === "flows-changed");
  assert.ok(changed && changed.kind === "flows-changed", JSON.stringify(disturbances.map((d) => d.kind)));
  assert.deepEqual(changed.owners.map((x) => x.key).sort(), ["", "port:a"]);
  assert.deepEqual(await bed.dump("br-x"), before, "repaired");
});

test("after ovs-vswitchd restarts with empty tables, the flows are reinstalled from the desired state", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-x"] });
  const disturbances: string[] = [];
  const flows = await bridgeFlows(await bed.connect("br-x"), 1, (d) => disturbances.push(d.kind));
  await flows.set(o("base"), baseFlows());
  await flows.set(o("port:a"), portFlows(1, 50));
  await flows.reconcile();
  const before = await bed.dump("br-x");
  await restartVswitchd(bed.host, { kill: true });
  for (let i = 0; i < 300 && (await bed.dump("br-x").catch(() => [])).length !== before.length; i++)
    await sleep(10);
  assert.ok(disturbances.includes("switch-restarted"), disturbances.join(","));
  assert.deepEqual(await bed.dump("br-x"), before);
});

test("a bundle whose outcome is unknown (switch frozen past the timeout) is settled by a reconcile by dump", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-x"] });
  const c = await bed.connect("br-x", { requestTimeoutMs: 300, probeIntervalMs: 0 });
  const flows = new BridgeFlows({ connection: c, generation: 1 });
  await flows.set(o("base"), baseFlows());
  await flows.reconcile();
  const pid = (await daemonPid(ovsPaths(bed.host.runDir), "ovs-vswitchd"))!;
  process.kill(pid, "SIGSTOP");
  t.after(() => process.kill(pid, "SIGCONT"));
  const pending = flows.set(o("port:a"), portFlows(1, 10));
  await sleep(100);
  await assert.rejects(pending, TimeoutError);
  assert.equal(flows.inSync, false, "not known to be in sync");
  process.kill(pid, "SIGCONT");
  for (let i = 0; i < 300 && !flows.inSync; i++) await sleep(10);
  assert.equal(flows.inSync, true);
  const lines = await bed.dump("br-x");
  assert.equal(lines.length, 2 + 12, lines.join("\n"));
});

test("a generation swap (no dump) replaces in place, keeps learned and foreign flows, and falls back when leftovers remain", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-x"] });
  const c1 = await bed.connect("br-x");
  const gen1 = await bridgeFlows(c1, 1);
  await gen1.set(o("base"), baseFlows());
  await gen1.set(o("port:a"), portFlows(1, 3));
  await gen1.set(o("port:gone"), portFlows(2));
  await gen1.reconcile();
  await bed.ofctl("add-flow", bed.mgmt("br-x"), "table=50,priority=1,cookie=0x1234,actions=drop");
  await bed.ofctl(
    "add-flow",
    bed.mgmt("br-x"),
    `table=20,priority=1,cookie=0x${learnedCookie(7).toString(16)},reg6=77,actions=drop`,
  );
  c1.close();

  const c2 = await bed.connect("br-x");
  const gen2 = await bridgeFlows(c2, 2);
  await gen2.set(o("base"), baseFlows());
  await gen2.set(o("port:a"), portFlows(1, 3));
  const swapped = await gen2.swapGeneration(1);
  assert.deepEqual([swapped.replaced, swapped.verified, swapped.fellBack], [7, true, false]);
  const lines = await bed.dump("br-x");
  assert.equal(lines.filter((l) => l.startsWith("cookie=0x570002")).length, 7);
  assert.ok(
    lines.some((l) => l.startsWith("cookie=0x1234,")),
    "foreign flow untouched",
  );
  assert.ok(
    lines.some((l) => l.includes("reg6=0x4d")),
    "learned flow untouched",
  );
  assert.equal(lines.length, 9);
  c2.close();

  // A leftover of an older generation (a crash long ago) is not caught by the generation mask: the
  // counts disagree and the swap falls back to a reconcile by dump, which removes it.
  await bed.ofctl(
    "add-flow",
    bed.mgmt("br-x"),
    `table=40,priority=1,cookie=0x${makeCookie({ generation: 9, ownerClass: 4, object: 1 }).toString(16)},actions=drop`,
  );
  const c3 = await bed.connect("br-x");
  const gen3 = await bridgeFlows(c3, 3);
  await gen3.set(o("base"), baseFlows());
  await gen3.set(o("port:a"), portFlows(1, 3));
  const fallback = await gen3.swapGeneration(2);
  assert.deepEqual([fallback.verified, fallback.fellBack, fallback.repaired?.deleted], [false, true, 1]);
  assert.equal((await bed.dump("br-x")).filter((l) => l.startsWith("cookie=0x570003")).length, 7);
  assert.equal((await bed.dump("br-x")).length, 9);
});

test("the generation is persisted only after a swap completes; a crash before that is repaired by the next run", async (t) => {
  const bed = await openflowBed(t, { bridges: ["br-x"] });
  const client = await OvsdbClient.connect({ endpoint: bed.host.ovsdb });
  t.after(() => client.close());
  const db = await openVswitchDb(client);
  assert.equal(await readGeneration(db, "br-x"), undefined);

  // An agent run: read the last generation, install the next, then persist it.
  const agentRun = async (options: { crashBeforePersist?: boolean; extra?: number } = {}) => {
    const previous = await readGeneration(db, "br-x");
    const generation = nextGeneration(previous);
    const c = await bed.connect("br-x");
    const flows = new BridgeFlows({ connection: c, generation, autoRepair: false });
    await flows.set(o("base"), baseFlows());
    await flows.set(o("port:a"), portFlows(1, options.extra ?? 0));
    const result = await flows.swapGeneration(previous);
    if (!options.crashBeforePersist) await persistGeneration(db, "br-x", generation);
    c.close();
    return { generation, result };
  };

  assert.equal((await agentRun()).generation, 1);
  assert.equal(await readGeneration(db, "br-x"), 1);
  // Generation 2 commits its flows, then the agent dies before persisting.
  const crashed = await agentRun({ crashBeforePersist: true, extra: 2 });
  assert.equal(crashed.generation, 2);
  assert.equal(await readGeneration(db, "br-x"), 1);
  // The next run computes generation 2 again; the switch already holds it; the swap verifies; persisted.
  const next = await agentRun({ extra: 2 });
  assert.deepEqual([next.generation, next.result.verified, next.result.fellBack], [2, true, false]);
  assert.equal(await readGeneration(db, "br-x"), 2);
  const lines = await bed.dump("br-x");
  assert.equal(lines.length, 6);
  assert.ok(
    lines.every((l) => l.startsWith("cookie=0x570002")),
    lines.join("\n"),
  );
});
