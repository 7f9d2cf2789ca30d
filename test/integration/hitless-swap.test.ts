// The property the whole project rests on: replacing every flow of a bridge with a new generation, in one
// atomic bundle, drops nothing — measured with 1 ms probes between two VMs whose traffic those flows carry.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  actions as A,
  BridgeFlows,
  type Flow,
  FlowModCommand,
  type FlowOwner,
  flow,
  MAGIC_MASK,
  MAGIC_VALUE,
  type OpenFlowConnection,
} from "../../src/openflow/index.ts";
import { ensureBridge, openVswitchDb } from "../../src/ovs/index.ts";
import { OvsdbClient } from "../../src/ovsdb/index.ts";
import { ip, ovsPaths, startEchoResponder, startProbe, type VmInfo, vsctl } from "../../src/testbed/index.ts";
import { openflowBed } from "../support/openflow.ts";

const classes: Record<string, number> = { base: 1, port: 4, filler: 9, stale: 10 };
const owner = (name: string): FlowOwner => ({ ownerClass: classes[name.split(":")[0]!] ?? 0x20, key: name });

function ownersFor(ports: { a: number; b: number; macA: string; macB: string }, withStale: boolean) {
  const owners = new Map<string, Flow[]>();
  owners.set("base", [
    flow({ table: 0, priority: 0, actions: [] }),
    flow({ table: 10, priority: 0, actions: [] }),
  ]);
  for (const [port, mac] of [
    [ports.a, ports.macA],
    [ports.b, ports.macB],
  ] as const) {
    owners.set(`port:${port}`, [
      flow({
        table: 0,
        priority: 100,
        match: { in_port: port },
        actions: [A.load(port, A.subfield("reg5")), A.gotoTable(10)],
      }),
      flow({ table: 10, priority: 50, match: { eth_dst: mac }, actions: [A.output(port)] }),
    ]);
  }
  for (let n = 0; n < 20; n++) {
    owners.set(
      `filler:${n}`,
      Array.from({ length: 100 }, (_, i) =>
        flow({
          table: 30 + (n % 10),
          priority: 10,
          match: { reg5: 1000 + n, reg6: i },
          actions: [A.output(1 + (i % 8))],
        }),
      ),
    );
  }
  if (withStale) {
    owners.set(
      "stale:x",
      Array.from({ length: 100 }, (_, i) =>
        flow({ table: 40, priority: 5, match: { reg7: i }, actions: [] }),
      ),
    );
  }
  return owners;
}

async function setup(t: import("node:test").TestContext) {
  const bed = await openflowBed(t, { vmsPerHost: 2 });
  const a = bed.tb.vm("h1-vm1");
  const b = bed.tb.vm("h1-vm2");
  const paths = ovsPaths(bed.host.runDir);
  const ofport = async (vm: VmInfo) =>
    Number((await vsctl(paths, ["get", "Interface", vm.port, "ofport"])).trim());
  const ports = { a: await ofport(a), b: await ofport(b), macA: a.mac, macB: b.mac };
  // Secure: with no matching flow, packets are dropped (no NORMAL fallback hides a gap).
  const client = await OvsdbClient.connect({ endpoint: bed.host.ovsdb });
  t.after(() => client.close());
  await ensureBridge(await openVswitchDb(client), { name: "br-int", failMode: "secure" });
  // Static neighbours: the probes measure the flows, not ARP.
  await ip(["neigh", "replace", b.ip, "lladdr", b.mac, "dev", "eth0", "nud", "permanent"], a.namespace);
  await ip(["neigh", "replace", a.ip, "lladdr", a.mac, "dev", "eth0", "nud", "permanent"], b.namespace);
  const echo = await startEchoResponder(b, 300);
  t.after(() => echo.stop());
  return { bed, a, b, ports };
}

async function install(c: OpenFlowConnection, generation: number, owners: Map<string, Flow[]>) {
  const flows = new BridgeFlows({ connection: c, generation, autoRepair: false });
  await flows.apply([...owners].map(([name, list]) => [owner(name), list] as const));
  return flows.reconcile();
}

async function swap(c: OpenFlowConnection, generation: number, owners: Map<string, Flow[]>) {
  const flows = new BridgeFlows({ connection: c, generation, autoRepair: false });
  await flows.apply([...owners].map(([name, list]) => [owner(name), list] as const));
  return flows.swapGeneration(generation - 1);
}

test("50 generation changes (by dump-and-diff reconcile and by swap) with all cookies changed and stale flows removed lose no 1 ms probe", async (t) => {
  const { bed, a, b, ports } = await setup(t);
  const first = await bed.connect("br-int");
  await install(first, 1, ownersFor(ports, true));
  first.close();

  const probe = await startProbe(a, b.ip, { intervalUs: 1000, maxSeconds: 240 });
  let replaced = 0;
  for (let generation = 2; generation <= 51; generation++) {
    // Each swap is a fresh agent run: a new connection, a new generation, flows re-declared.
    const c = await bed.connect("br-int");
    const withStale = generation % 2 === 1;
    if (generation % 4 < 2) {
      const result = await install(c, generation, ownersFor(ports, withStale));
      replaced += result.modified;
      assert.equal(result.added, withStale ? 100 : 0);
      assert.equal(result.deleted, withStale ? 0 : 100);
    } else {
      const result = await swap(c, generation, ownersFor(ports, withStale));
      assert.equal(result.fellBack, false, "the swap verified without a dump");
      replaced += result.replaced - (withStale ? 100 : 0);
    }
    c.close();
  }
  const result = await probe.stop();
  t.diagnostic(
    `${replaced} flows replaced in 50 bundles; probes sent ${result.sent}, lost ${result.lost}, longest gap ${result.longestGapMs} ms`,
  );
  assert.ok(replaced >= 50 * 2006, `every swap replaced every flow (${replaced})`);
  assert.ok(result.received > 500, `probes flowed (${result.received} of ${result.sent})`);
  assert.equal(
    result.lost,
    0,
    `lost ${result.lost} of ${result.sent}: ${JSON.stringify(result.lostRanges.slice(0, 5))}`,
  );
});

test("the same swaps done non-atomically (delete, then add) do lose probes — the test can fail", async (t) => {
  const { bed, a, b, ports } = await setup(t);
  const c = await bed.connect("br-int");
  const owners = ownersFor(ports, false);
  await install(c, 1, owners);
  // Forwarding flows last, as a naive agent might add them: the gap spans the whole add.
  const all = [...owners.entries()].sort(
    ([x], [y]) => (x.startsWith("port") ? 1 : 0) - (y.startsWith("port") ? 1 : 0),
  );
  const adds = all.flatMap(([, list]) =>
    list.map((f) => ({ flow: { ...f, cookie: MAGIC_VALUE }, options: { command: FlowModCommand.add } })),
  );
  const probe = await startProbe(a, b.ip, { intervalUs: 1000, maxSeconds: 120 });
  await new Promise((r) => setTimeout(r, 200));
  for (let i = 0; i < 10; i++) {
    await c.deleteByCookie(MAGIC_VALUE, MAGIC_MASK);
    await c.sendFlowMods(adds);
  }
  const result = await probe.stop();
  t.diagnostic(
    `non-atomic: probes sent ${result.sent}, lost ${result.lost}, longest gap ${result.longestGapMs} ms`,
  );
  assert.ok(result.lost > 0, `expected loss, got ${result.lost} of ${result.sent}`);
});
