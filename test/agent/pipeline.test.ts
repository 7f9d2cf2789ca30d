// Building the pipeline checks it as a whole, before anything touches OVS: every contradiction between
// features is an error naming both. And the dispatcher it builds orders stages by kind, not by number.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Feature } from "../../src/agent/index.ts";
import {
  allCoreFeatures,
  dispatcherFlow,
  documentedPipeline,
  type LoadedFeature,
  Pipeline,
  PipelineError,
  qos,
  stageMark,
} from "../../src/agent/internal.ts";
import { actions as A, flow, formatFlow } from "../../src/openflow/index.ts";

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

test("the core features and QoS make a pipeline; QoS modifies before L2 forwards", () => {
  const pipeline = documentedPipeline();
  assert.deepEqual(
    pipeline.stages.map((s) => [s.feature.name, s.stage.kind]),
    [
      ["qos", "modify"],
      ["l2-base", "forward"],
    ],
  );
});

test("two features claiming one table: refused, naming both", () => {
  const a = feature({
    name: "alpha",
    tables: [{ bridge: "int", number: 71, name: "A", purpose: "", miss: () => [] }],
  });
  const b = feature({
    name: "beta",
    tables: [{ bridge: "int", number: 71, name: "B", purpose: "", miss: () => [] }],
  });
  refuses([...core(), ext(a), ext(b, 0x81)], /beta and alpha both declare br-int table 71/);
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
    tables: [{ bridge: "int", number: 91, name: "B", purpose: "", miss: (ctx) => ctx.next() }],
    stage: { kind: "filter", table: 91 },
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
  const filter = feature({ name: "firewall", tables: [table(71)], stage: { kind: "filter", table: 71 } });
  const modify = feature({ name: "marker", tables: [table(95)], stage: { kind: "modify", table: 95 } });
  const pipeline = Pipeline.build([...core(), ext(filter, 0x80), ext(modify, 0x81)]);
  assert.deepEqual(
    pipeline.stages.map((s) => s.feature.name),
    ["marker", "firewall", "l2-base"],
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
  assert.deepEqual(flowsOf(alone, "firewall"), flowsOf(pipeline, "firewall"));
  assert.equal(
    formatFlow(dispatcherFlow("filter", 0x80, 71)),
    "cookie=0x0,table=0,priority=2127,reg1=0x0/0x1 actions=goto_table:71",
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
