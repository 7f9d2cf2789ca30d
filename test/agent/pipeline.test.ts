// Building the pipeline checks it as a whole, before anything touches OVS: every contradiction between
// features is an error naming both. And the dispatcher it builds orders stages by kind, not by number.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { type Feature, type FlowsByBridge, parseAgentConfig } from "../../src/agent/index.ts";
import {
  allCoreFeatures,
  coreFeatures,
  dispatcherFlow,
  documentedPipeline,
  type LoadedFeature,
  Pipeline,
  PipelineError,
  qos,
  stageMark,
} from "../../src/agent/internal.ts";
import {
  actions as A,
  type Action,
  type Flow,
  flow,
  formatFlow,
  type LearnSpec,
} from "../../src/openflow/index.ts";

const core = (): LoadedFeature[] =>
  allCoreFeatures.map((feature) => ({ feature, ownerClass: feature.ownerClass!, extension: false }));
const ext = (feature: Feature, ownerClass = 0x80): LoadedFeature => ({
  feature,
  ownerClass,
  extension: true,
});

const feature = (overrides: Partial<Feature> & { name: string }): Feature => ({
  summary: "a test's",
  tables: [],
  ...overrides,
});

const refuses = (features: LoadedFeature[], pattern: RegExp) =>
  assert.throws(
    () => Pipeline.build(features),
    (e: unknown) => e instanceof PipelineError && pattern.test(e.message),
  );

test("the core features, QoS and DHCP make a pipeline; QoS modifies, then DHCP answers, before L2 forwards", () => {
  const pipeline = documentedPipeline();
  assert.deepEqual(
    pipeline.stages.map((s) => [s.feature.name, s.stage.kind]),
    [
      ["qos", "modify"],
      ["dhcp", "filter"],
      ["l2-base", "forward"],
    ],
  );
});

test("two features claiming one table: refused, naming both", () => {
  const a = feature({
    name: "alpha",
    tables: [{ bridge: "int", number: 101, name: "A", purpose: "", miss: () => [] }],
  });
  const b = feature({
    name: "beta",
    tables: [{ bridge: "int", number: 101, name: "B", purpose: "", miss: () => [] }],
  });
  refuses([...core(), ext(a), ext(b, 0x81)], /beta and alpha both declare br-int table 101/);
  // The core's own tables are taken too.
  const c = feature({
    name: "gamma",
    tables: [{ bridge: "tun", number: 22, name: "C", purpose: "", miss: () => [] }],
  });
  refuses([...core(), ext(c)], /gamma and tunnels both declare br-tun table 22/);
});

test("a table number out of range is refused", () => {
  const a = feature({
    name: "alpha",
    tables: [{ bridge: "int", number: 255, name: "A", purpose: "", miss: () => [] }],
  });
  refuses([...core(), ext(a)], /alpha declares br-int table 255: tables are 0-254/);
});

test("overlapping bands in a shared table, and bands in tables nobody shares: refused, naming both", () => {
  const a = feature({
    name: "alpha",
    bands: [{ bridge: "int", table: 0, min: 30_500, max: 31_000, purpose: "" }],
  });
  refuses([...core(), ext(a)], /alpha's band 30500-31000 in br-int table 0 overlaps provider's 30000-30999/);
  const b = feature({ name: "beta", bands: [{ bridge: "int", table: 0, min: 5, max: 6, purpose: "" }] });
  refuses([...core(), ext(b)], /overlaps the dispatcher's 1-9999/);
  const c = feature({ name: "gamma", bands: [{ bridge: "tun", table: 22, min: 5, max: 6, purpose: "" }] });
  refuses([...core(), ext(c)], /gamma declares a band in br-tun table 22, which tunnels does not share/);
  const d = feature({ name: "delta", bands: [{ bridge: "int", table: 99, min: 5, max: 6, purpose: "" }] });
  refuses([...core(), ext(d)], /no feature declares/);
});

test("a base flow outside the feature's tables and bands is refused, naming the table's owner", () => {
  const a = feature({
    name: "alpha",
    baseFlows: ({ host }) =>
      new Map([[host.integrationBridge, [flow({ table: 60, priority: 50, actions: [A.normal] })]]]),
  });
  refuses(
    [...core(), ext(a)],
    /alpha's flow in br-int table 60 priority 50 is outside its tables and bands \(the table is l2-base's\)/,
  );
  const b = feature({
    name: "beta",
    bands: [{ bridge: "int", table: 0, min: 40_000, max: 40_099, purpose: "" }],
    baseFlows: ({ host }) =>
      new Map([[host.integrationBridge, [flow({ table: 0, priority: 40_100, actions: [] })]]]),
  });
  refuses([...core(), ext(b)], /beta's flow in br-int table 0 priority 40100 is outside/);
});

test("a stage must start in one of the feature's own br-int tables, and fit a mark", () => {
  const a = feature({ name: "alpha", stage: { kind: "filter", table: 60 } });
  refuses([...core(), ext(a)], /alpha's stage starts in br-int table 60, which is not one of its own tables/);
  const b = feature({
    name: "beta",
    tables: [{ bridge: "int", number: 102, name: "B", purpose: "", miss: (ctx) => ctx.next() }],
    stage: { kind: "filter", table: 102 },
  });
  refuses([...core(), ext(b, 0xa0)], /needs a class up to 0x9f/);
  refuses(
    core().filter((f) => f.feature.name !== "l2-base"),
    /no feature declares br-int table 0/,
  );
});

test("cookie classes: unique, and core and extension classes in their ranges", () => {
  refuses(
    [...core(), ext(feature({ name: "alpha" }), 0x05)],
    /alpha has cookie class 0x5, outside its range/,
  );
  refuses(
    [...core(), ext(feature({ name: "alpha" })), ext(feature({ name: "beta" }))],
    /beta and alpha both have cookie class 0x80/,
  );
  refuses([...core(), ext(feature({ name: "l2-base" }))], /two features are called l2-base/);
});

test("meter ids of two features may not overlap", () => {
  const a = feature({ name: "alpha", meterIds: { min: 0x10100, max: 0x10200 } });
  refuses([...core(), ext(qos), ext(a, 0x81)], /alpha's meter ids 65792-66048 overlap qos's 65536-131071/);
});

test("stages are ordered by kind, then class — not by table number — and each has its own mark", () => {
  const table = (n: number) => ({
    bridge: "int" as const,
    number: n,
    name: `T${n}`,
    purpose: "",
    miss: () => [],
  });
  const filter = feature({ name: "filter", tables: [table(103)], stage: { kind: "filter", table: 103 } });
  const modify = feature({ name: "marker", tables: [table(95)], stage: { kind: "modify", table: 95 } });
  const pipeline = Pipeline.build([...core(), ext(filter, 0x80), ext(modify, 0x81)]);
  assert.deepEqual(
    pipeline.stages.map((s) => s.feature.name),
    ["marker", "filter", "l2-base"],
  );
  const marks = pipeline.stages.map((s) => {
    const m = stageMark(s.ownerClass);
    return `${m.field}[${m.start}]`;
  });
  assert.equal(new Set(marks).size, marks.length);
  // A stage's dispatcher flow depends only on its own kind, class and table: adding another stage
  // changes no flow of this one.
  const alone = Pipeline.build([...core(), ext(filter, 0x80)]);
  const flowsOf = (p: Pipeline, name: string) =>
    [
      ...p
        .baseFlows(
          p.feature(name)!,
          p.context(p.feature(name)!, host, () => undefined),
        )
        .values(),
    ]
      .flat()
      .map((f) => formatFlow(f));
  assert.deepEqual(flowsOf(alone, "filter"), flowsOf(pipeline, "filter"));
  assert.equal(
    formatFlow(dispatcherFlow("filter", 0x80, 103)),
    "cookie=0x0,table=0,priority=2127,reg1=0x0/0x1 actions=goto_table:103",
  );
});

const host = {
  host: "h",
  integrationBridge: "br-int",
  tunnelBridge: "br-tun",
  physicalBridges: new Map([["physnet1", "br-phys"]]),
  datapath: "netdev" as const,
  tunnelTypes: ["vxlan" as const],
  l2Population: true,
  arpResponder: false,
  tunPatch: { intSide: 1, tunSide: 1 },
  physPatches: new Map([["physnet1", { intSide: 2, physSide: 1 }]]),
};

// ── Jumps and marks: a flow's actions, not only its place (flow-reach.ts) ─────────────────────────────

const stageTable = (n: number) => ({
  bridge: "int" as const,
  number: n,
  name: `T${n}`,
  purpose: "",
  miss: (ctx: { next(): readonly Action[] }) => ctx.next(),
});
/** An extension with a filter stage in br-int table 120, like the RA guard. */
const filterAt120 = (overrides: Partial<Feature> = {}) =>
  feature({ name: "alpha", tables: [stageTable(120)], stage: { kind: "filter", table: 120 }, ...overrides });

const on = (bridge: string | undefined, flows: Flow[]): FlowsByBridge => new Map([[bridge!, flows]]);
/** br-tun tables of tunnels (Neutron's numbers). */
const TunTable = { ucastToTun: 20, floodToTun: 22 } as const;

/** Why the pipeline refuses `flows` of the named feature on `bridge`, from violation(). */
function violationOf(pipeline: Pipeline, name: string, bridge: string, flows: Flow[]): string | undefined {
  return pipeline.violation(pipeline.feature(name)!, on(bridge, flows), host);
}

test("a base flow or miss that jumps to another feature's table is refused at build, naming both", () => {
  // goto_table only goes forward (flow() checks), so this stage sits before TRANSIENT.
  const jumps = feature({
    name: "alpha",
    tables: [stageTable(50)],
    stage: { kind: "filter", table: 50 },
    baseFlows: ({ host }) =>
      on(host.integrationBridge, [
        flow({ table: 50, priority: 10, match: { in_port: 5 }, actions: [A.gotoTable(60)] }),
      ]),
  });
  refuses(
    [...core(), ext(jumps)],
    /alpha's flow in br-int table 50 priority 10 jumps to table 60 \(goto_table\), which is l2-base's \(a feature may jump only to its own tables, to br-int table 0 by ctx.next\(\), or to a table another feature declares as a hand-off\)/,
  );
  // A stage whose flows end by next() (here its miss) is fine: br-int table 0 is the dispatcher.
  Pipeline.build([...core(), ext(filterAt120())]);
  const missJumps = feature({
    name: "beta",
    tables: [{ bridge: "int", number: 121, name: "B", purpose: "", miss: () => [A.resubmit(23)] }],
  });
  refuses(
    [...core(), ext(missJumps)],
    /beta's flow in br-int table 121 priority 0 jumps to table 23 \(resubmit\), which is l2-base's/,
  );
  const nowhere = filterAt120({
    baseFlows: ({ host }) =>
      on(host.integrationBridge, [flow({ table: 120, priority: 10, actions: [A.gotoTable(130)] })]),
  });
  refuses(
    [...core(), ext(nowhere)],
    /alpha's flow in br-int table 120 priority 10 jumps to table 130 \(goto_table\), which no feature declares/,
  );
});

test("a per-VIF flow that jumps to another feature's table is refused by violation()", () => {
  const pipeline = Pipeline.build([...core(), ext(filterAt120())]);
  const ctx = pipeline.context(pipeline.feature("alpha")!, host, () => undefined);
  assert.equal(
    violationOf(pipeline, "alpha", "br-int", [
      flow({ table: 120, priority: 10, match: { in_port: 5 }, actions: ctx.next() }),
    ]),
    undefined,
  );
  assert.match(
    violationOf(pipeline, "alpha", "br-int", [
      flow({ table: 120, priority: 10, match: { in_port: 5 }, actions: [A.resubmit(60)] }),
    ]) ?? "",
    /^alpha's flow in br-int table 120 priority 10 jumps to table 60 \(resubmit\), which is l2-base's/,
  );
  // resubmit to a port only stays in the flow's own table.
  assert.equal(
    violationOf(pipeline, "alpha", "br-int", [
      flow({ table: 120, priority: 10, actions: [{ type: "resubmit", port: 5 }] }),
    ]),
    undefined,
  );
  // Table numbers are per bridge: br-tun's table 0 is tunnels', not a dispatcher.
  const tunnelFlows = pipeline.violation(
    pipeline.feature("l2pop")!,
    on("br-tun", [
      flow({ table: 20, priority: 2, match: { eth_dst: "fa:16:3e:00:00:02" }, actions: [A.resubmit(0)] }),
    ]),
    host,
  );
  assert.match(
    tunnelFlows ?? "",
    /l2pop's flow in br-tun table 20 priority 2 jumps to table 0 \(resubmit\), which is tunnels's/,
  );
});

test("a jump to a table declared a hand-off is accepted; without the declaration it is refused", () => {
  const tunTable = { bridge: "tun" as const, number: 15, name: "T15", purpose: "", miss: () => [] };
  const flooder = feature({
    name: "flooder",
    tables: [tunTable],
    baseFlows: ({ host }) =>
      on(host.tunnelBridge, [flow({ table: 15, priority: 1, actions: [A.gotoTable(TunTable.floodToTun)] })]),
  });
  const pipeline = Pipeline.build([...core(), ext(flooder)]);
  assert.ok(pipeline.table("tun", TunTable.floodToTun)?.handOff);
  // Another table of the same feature is not a hand-off: its unicast table stays its own.
  assert.match(
    violationOf(pipeline, "flooder", "br-tun", [
      flow({ table: 15, priority: 2, actions: [A.gotoTable(TunTable.ucastToTun)] }),
    ]) ?? "",
    /flooder's flow in br-tun table 15 priority 2 jumps to table 20 \(goto_table\), which is tunnels's/,
  );
  // The core depends on the declaration: arp-responder floods what it cannot answer through table 22.
  const undeclared = core().map((f) =>
    f.feature.name !== "tunnels"
      ? f
      : {
          ...f,
          feature: {
            ...f.feature,
            tables: f.feature.tables.map(({ handOff: _, ...t }) => t),
          },
        },
  );
  refuses(
    undeclared,
    /arp-responder's flow in br-tun table 21 priority 0 jumps to table 22 \(goto_table\), which is tunnels's/,
  );
});

test("a ct(table=…) recirculation into another feature's table is refused, and actions nested in ct are checked", () => {
  const pipeline = Pipeline.build([...core(), ext(filterAt120())]);
  const ipv4 = { eth_type: 0x0800 };
  assert.match(
    violationOf(pipeline, "alpha", "br-int", [
      flow({ table: 120, priority: 10, match: ipv4, actions: [A.ct({ table: 60 })] }),
    ]) ?? "",
    /alpha's flow in br-int table 120 priority 10 jumps to table 60 \(ct\(table=…\)\), which is l2-base's/,
  );
  // Recirculating into its own table is the usual conntrack pattern.
  assert.equal(
    violationOf(pipeline, "alpha", "br-int", [
      flow({ table: 120, priority: 10, match: ipv4, actions: [A.ct({ table: 120, zone: 1 })] }),
    ]),
    undefined,
  );
  // ct's own builder allows only nat and ct_mark/ct_label inside; a hand-made action is walked anyway.
  const nested = (actions: Action[]): Action => ({ type: "ct", commit: true, force: false, actions });
  assert.match(
    violationOf(pipeline, "alpha", "br-int", [
      flow({ table: 120, priority: 10, match: ipv4, actions: [nested([A.gotoTable(60)])] }),
    ]) ?? "",
    /jumps to table 60 \(goto_table\), which is l2-base's/,
  );
  assert.match(
    violationOf(pipeline, "alpha", "br-int", [
      flow({
        table: 120,
        priority: 10,
        match: ipv4,
        actions: [nested([A.load(1, A.subfield("reg0", 1, 1))])],
      }),
    ]) ?? "",
    /sets reg0\[1\] \(set_field\), l2-base's stage mark/,
  );
});

test("a flow that sets another feature's mark, or the entry mark without a band in table 0, is refused", () => {
  const beta = feature({ name: "beta", tables: [stageTable(121)], stage: { kind: "filter", table: 121 } });
  const pipeline = Pipeline.build([...core(), ext(filterAt120(), 0x80), ext(beta, 0x81)]);
  const at120 = (actions: Action[]) =>
    violationOf(pipeline, "alpha", "br-int", [flow({ table: 120, priority: 10, actions })]);
  // Its own mark (reg1[0], class 0x80), as next() sets it.
  assert.equal(at120([A.load(1, stageMark(0x80)), A.resubmit(0)]), undefined);
  assert.match(
    at120([A.load(1, stageMark(0x81)), A.resubmit(0)]) ?? "",
    /^alpha's flow in br-int table 120 priority 10 sets reg1\[1\] \(set_field\), beta's stage mark \(a feature may set only its own marks, by ctx.next\(\): reg1\[0\]\)/,
  );
  // Clearing is writing, and a whole register holds everyone's marks.
  assert.match(
    at120([A.load(0, stageMark(0x01))]) ?? "",
    /sets reg0\[1\] \(set_field\), l2-base's stage mark/,
  );
  assert.match(at120([A.setField("reg1", 1n)]) ?? "", /sets reg1\[1\] \(set_field\), beta's stage mark/);
  assert.match(
    at120([A.move(A.subfield("reg2", 0, 0), A.subfield("reg0", 0, 0))]) ?? "",
    /sets reg0\[0\] \(move\), the entry mark, which only features with entry flows \(a band in br-int table 0\) set/,
  );
  // A mark no stage holds is still refused; other registers are not the dispatcher's.
  assert.match(
    at120([A.load(1, A.subfield("reg1", 5, 5))]) ?? "",
    /sets reg1\[5\] \(set_field\), the stage mark of cookie class 0x85/,
  );
  assert.equal(at120([A.load(7, A.subfield("reg2", 0, 2)), A.resubmit(0)]), undefined);

  // next() of a feature without a stage is the entry mark: fine with a band in table 0, refused without.
  const entry = (bands: Feature["bands"]) =>
    feature({
      name: "gamma",
      bands,
      tables: [{ bridge: "int", number: 122, name: "G", purpose: "", miss: (ctx) => ctx.next() }],
    });
  refuses(
    [...core(), ext(entry(undefined))],
    /gamma's flow in br-int table 122 priority 0 sets reg0\[0\] \(set_field\), the entry mark, .* \(a feature may set only its own marks, by ctx.next\(\): none, it has no stage\)/,
  );
  Pipeline.build([
    ...core(),
    ext(entry([{ bridge: "int", table: 0, min: 40_000, max: 40_099, purpose: "" }])),
  ]);
});

test("learn may write flows only into the feature's own tables; an undecodable action is refused", () => {
  const pipeline = Pipeline.build([...core(), ext(filterAt120())]);
  const learnInto = (table: number, specs: LearnSpec[] = []) =>
    violationOf(pipeline, "alpha", "br-int", [
      flow({ table: 120, priority: 10, actions: [A.learn({ table, specs })] }),
    ]);
  assert.equal(learnInto(120), undefined);
  assert.match(
    learnInto(60) ?? "",
    /alpha's flow in br-int table 120 priority 10 learns flows into table 60, which is l2-base's/,
  );
  assert.match(
    learnInto(120, [{ kind: "load", dst: A.subfield("reg0", 1, 1), src: 1n }]) ?? "",
    /sets reg0\[1\] \(learn\), l2-base's stage mark/,
  );
  assert.match(
    violationOf(pipeline, "alpha", "br-int", [
      flow({ table: 120, priority: 10, actions: [{ type: "unknown", bytes: new Uint8Array(8) }] }),
    ]) ?? "",
    /alpha's flow in br-int table 120 priority 10 has an action the agent cannot decode/,
  );
});

test("the core features with every option build, and their per-object flows pass the same check", () => {
  const example = readFileSync(new URL("../../contrib/agent.ini.example", import.meta.url), "utf8");
  const config = parseAgentConfig(
    example.replace("arp_responder = false", "arp_responder = true"),
    "agent.ini",
  );
  const features = coreFeatures(config);
  assert.deepEqual(
    features.map((f) => f.name),
    allCoreFeatures.map((f) => f.name),
  );
  const pipeline = Pipeline.build([
    ...features.map((feature) => ({ feature, ownerClass: feature.ownerClass!, extension: false })),
    ext(qos),
  ]);
  let checked = 0;
  for (const f of pipeline.features) {
    for (const { title, flows } of f.feature.examples?.(pipeline.context(f, host, () => undefined)) ?? []) {
      assert.equal(pipeline.violation(f, flows, host), undefined, `${f.feature.name}: ${title}`);
      checked++;
    }
  }
  assert.ok(checked >= 6);
});

test("a flow found in its place for one feature is still checked for another (violation() remembers per feature)", () => {
  const pipeline = Pipeline.build([...core(), ext(filterAt120())]);
  const ctx = pipeline.context(pipeline.feature("alpha")!, host, () => undefined);
  const own = flow({ table: 120, priority: 10, match: { in_port: 5 }, actions: ctx.next() });
  assert.equal(violationOf(pipeline, "alpha", "br-int", [own]), undefined);
  assert.equal(violationOf(pipeline, "alpha", "br-int", [own]), undefined, "the same object again");
  assert.match(violationOf(pipeline, "l2pop", "br-int", [own]) ?? "", /^l2pop's flow in br-int table 120/);
  // The same object on another kind of bridge is checked there.
  assert.match(violationOf(pipeline, "alpha", "br-tun", [own]) ?? "", /alpha's flow in br-tun table 120/);
});
