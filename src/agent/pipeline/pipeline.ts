/**
 * The pipeline of this agent run: its features with their cookie classes, checked as a whole before
 * anything touches OVS. Building it refuses — naming both features — two features claiming one table,
 * overlapping bands in a shared table, a band in a table nobody shares, a stage outside the feature's
 * tables, a table number out of range, and any base flow outside its feature's tables and bands or
 * whose actions reach further than they may (flow-reach.ts: jumps into another feature's table, writes to
 * another's mark). Flows computed later (per port, per network) are checked against the same declarations
 * as they are planned.
 */
import { describeError, WeirError } from "../../base/index.ts";
import {
  EXTENSION_CLASS_MAX,
  EXTENSION_CLASS_MIN,
  type Flow,
  type FlowOwner,
  METER_MAX,
  type Meter,
  flow as makeFlow,
  type Subfield,
} from "../../openflow/index.ts";
import { FEATURE_NAME } from "../../protocol/index.ts";
import {
  classifiedAsIs,
  DISPATCH_TABLE,
  DispatchBand,
  dispatcherFlow,
  dispatchPriority,
  entryDone,
  stageDone,
  stageKindOrder,
} from "./dispatcher.ts";
import type {
  BandDecl,
  BridgeKind,
  Feature,
  FeatureContext,
  FlowsByBridge,
  HostContext,
  StageDecl,
  TableDecl,
} from "./feature.ts";
import { reachViolation } from "./flow-reach.ts";
import { ENTRY_MARK, MAX_CORE_STAGE_CLASS, MAX_EXTENSION_STAGE_CLASS, stageMark } from "./registers.ts";

/** The pipeline's declarations contradict each other; nothing was touched. */
export class PipelineError extends WeirError {
  constructor(message: string) {
    super("WEIR_PIPELINE_INVALID", message);
  }
}

export interface LoadedFeature {
  readonly feature: Feature;
  readonly ownerClass: number;
  /** Loaded by name from [agent] extensions (else one of the agent's core features). */
  readonly extension: boolean;
}

export interface TableInfo extends TableDecl {
  readonly owner: LoadedFeature;
  readonly bands: readonly (BandDecl & { readonly owner: LoadedFeature | undefined })[];
}

/** Base flows are checked with this host: every bridge, made-up ofports. */
const sampleHost: HostContext = {
  host: "check",
  integrationBridge: "int",
  tunnelBridge: "tun",
  physicalBridges: new Map([["physnet", "phys"]]),
  datapath: "netdev",
  tunnelTypes: ["vxlan", "gre", "geneve"],
  l2Population: true,
  arpResponder: true,
  tunPatch: { intSide: 65001, tunSide: 65002 },
  physPatches: new Map([["physnet", { intSide: 65003, physSide: 65004 }]]),
};

const tableKey = (bridge: BridgeKind, number: number) => `${bridge}:${number}`;

export class Pipeline {
  readonly features: readonly LoadedFeature[];
  /** Staged features in dispatch order. */
  readonly stages: readonly (LoadedFeature & { readonly stage: StageDecl })[];
  readonly #tables = new Map<string, TableInfo>();
  /** Flows found in their place (violation()), per feature and kind of bridge. */
  readonly #allowed = new WeakMap<Flow, { feature: LoadedFeature; kind: BridgeKind }>();
  readonly #byClass = new Map<number, LoadedFeature>();
  readonly #byName = new Map<string, LoadedFeature>();

  private constructor(features: readonly LoadedFeature[]) {
    this.features = features;
    for (const f of features) {
      this.#byClass.set(f.ownerClass, f);
      this.#byName.set(f.feature.name, f);
    }
    this.stages = features
      .filter((f): f is LoadedFeature & { stage: StageDecl } => f.feature.stage !== undefined)
      .map((f) => ({ ...f, stage: f.feature.stage! }))
      .sort(
        (a, b) =>
          stageKindOrder.indexOf(a.stage.kind) - stageKindOrder.indexOf(b.stage.kind) ||
          a.ownerClass - b.ownerClass,
      );
  }

  /** Builds and checks the pipeline; throws PipelineError naming what conflicts. */
  static build(features: readonly LoadedFeature[]): Pipeline {
    checkIdentities(features);
    const pipeline = new Pipeline(features);
    pipeline.#declareTables();
    pipeline.#declareBands();
    pipeline.#checkStages();
    checkMeterRanges(features);
    for (const f of features) pipeline.#checkBaseFlows(f);
    return pipeline;
  }

  feature(name: string): LoadedFeature | undefined {
    return this.#byName.get(name);
  }

  featureOfClass(ownerClass: number): LoadedFeature | undefined {
    return this.#byClass.get(ownerClass);
  }

  table(bridge: BridgeKind, number: number): TableInfo | undefined {
    return this.#tables.get(tableKey(bridge, number));
  }

  /**
   * The register bits the feature may set: its stage's mark, and the entry mark if it has entry flows
   * (it owns br-int table 0 or has a band there).
   */
  ownMarks(f: LoadedFeature): Subfield[] {
    const marks = f.feature.stage === undefined ? [] : [stageMark(f.ownerClass)];
    const entry = this.#tables.get(tableKey("int", DISPATCH_TABLE));
    if (entry !== undefined && (entry.owner === f || entry.bands.some((b) => b.owner === f)))
      marks.push(ENTRY_MARK);
    return marks;
  }

  /** The tables of one bridge kind, by number. */
  tables(bridge: BridgeKind): TableInfo[] {
    return [...this.#tables.values()].filter((t) => t.bridge === bridge).sort((a, b) => a.number - b.number);
  }

  /** The context a feature's functions are called with. */
  context(
    f: LoadedFeature,
    host: HostContext,
    section: FeatureContext["section"],
    sectionKeys: FeatureContext["sectionKeys"] = () => [],
  ): FeatureContext {
    const next = f.feature.stage === undefined ? entryDone : stageDone(f.ownerClass);
    return { host, next: () => next, section, sectionKeys };
  }

  /** The feature's base owner: its base flows, table misses and dispatcher flow. */
  baseOwner(f: LoadedFeature): FlowOwner {
    return { ownerClass: f.ownerClass, key: "" };
  }

  /**
   * Everything the feature owns on every bridge independently of ports and networks: its base flows,
   * each of its tables' miss flow and, for a stage, its dispatcher flow (for l2-base, which owns table 0,
   * also the entry flow that classifies frames no other entry flow wanted).
   */
  baseFlows(f: LoadedFeature, ctx: FeatureContext): Map<string, Flow[]> {
    const out = new Map<string, Flow[]>();
    const add = (bridge: string | undefined, flows: readonly Flow[]) => {
      if (bridge === undefined || flows.length === 0) return;
      out.set(bridge, [...(out.get(bridge) ?? []), ...flows]);
    };
    for (const [bridge, flows] of f.feature.baseFlows?.(ctx) ?? new Map()) add(bridge, flows);
    for (const table of f.feature.tables) {
      const miss = makeFlow({ table: table.number, priority: 0, actions: table.miss(ctx) });
      for (const bridge of bridgesOf(table.bridge, ctx.host)) add(bridge, [miss]);
    }
    const { stage } = f.feature;
    if (stage !== undefined)
      add(ctx.host.integrationBridge, [dispatcherFlow(stage.kind, f.ownerClass, stage.table)]);
    if (this.#tables.get(tableKey("int", DISPATCH_TABLE))?.owner === f)
      add(ctx.host.integrationBridge, [classifiedAsIs]);
    return out;
  }

  /**
   * Why `flows` may not be the feature's, or undefined: each must lie in one of its own tables (outside
   * the bands others hold there) or in one of its bands, and its actions may jump only where the
   * feature may and set only its own marks (flow-reach.ts).
   */
  violation(f: LoadedFeature, flows: FlowsByBridge, host: HostContext): string | undefined {
    for (const [bridge, list] of flows) {
      const kind = kindOf(bridge, host);
      if (kind === undefined) return `flows for ${bridge}, which is not one of the agent's bridges`;
      for (const flow of list) {
        // A flow is checked once per feature and kind of bridge: features that memoise their flows hand
        // the same objects over pass after pass, and what is checked here depends on nothing else.
        const checked = this.#allowed.get(flow);
        if (checked !== undefined && checked.feature === f && checked.kind === kind) continue;
        const where = `${kindName[kind]} table ${flow.table} priority ${flow.priority}`;
        const why = this.#placement(f, kind, flow, where) ?? reachViolation(f, kind, flow, where, this);
        if (why !== undefined) return why;
        this.#allowed.set(flow, { feature: f, kind });
      }
    }
    return undefined;
  }

  /** Why `meters` may not be the feature's, or undefined: their ids must lie in its declared range. */
  meterViolation(f: LoadedFeature, meters: ReadonlyMap<string, readonly Meter[]>): string | undefined {
    const range = f.feature.meterIds;
    for (const [bridge, list] of meters) {
      for (const m of list) {
        if (range === undefined || m.id < range.min || m.id > range.max)
          return `${f.feature.name}'s meter ${m.id} on ${bridge} is outside its meter ids${range ? ` ${range.min}-${range.max}` : " (it declares none)"}`;
      }
    }
    return undefined;
  }

  /** Every feature's meter ids, for the reconcile that deletes stale meters. */
  meterRanges(): { min: number; max: number }[] {
    return this.features.flatMap((f) => (f.feature.meterIds ? [f.feature.meterIds] : []));
  }

  #placement(f: LoadedFeature, kind: BridgeKind, flow: Flow, where: string): string | undefined {
    const table = this.#tables.get(tableKey(kind, flow.table));
    if (table === undefined) return `${f.feature.name}'s flow in ${where}: no feature declares that table`;
    const band = table.bands.find((b) => flow.priority >= b.min && flow.priority <= b.max);
    // The dispatcher band holds one flow per stage, the stage's own, at the priority its kind and class give.
    const { stage } = f.feature;
    if (band !== undefined && band.owner === undefined && kind === "int" && flow.table === DISPATCH_TABLE)
      return stage !== undefined && flow.priority === dispatchPriority(stage.kind, f.ownerClass)
        ? undefined
        : `${f.feature.name}'s flow in ${where} lies in the dispatcher's band, where only its stage's dispatcher flow may be`;
    if (table.owner === f) {
      if (band === undefined || band.owner === f) {
        const ownBands = table.bands.filter((b) => b.owner === f);
        if (ownBands.length === 0 || band !== undefined) return undefined;
      }
      return `${f.feature.name}'s flow in ${where} lies in ${band ? bandOwnerName(band) : "no band of its own"}`;
    }
    if (band?.owner === f) return undefined;
    return `${f.feature.name}'s flow in ${where} is outside its tables and bands (the table is ${table.owner.feature.name}'s${band ? `, the band ${bandOwnerName(band)}'s` : ""})`;
  }

  #declareTables(): void {
    for (const f of this.features) {
      for (const t of f.feature.tables) {
        if (!Number.isInteger(t.number) || t.number < 0 || t.number > 254)
          throw new PipelineError(
            `${f.feature.name} declares ${kindName[t.bridge]} table ${t.number}: tables are 0-254`,
          );
        const key = tableKey(t.bridge, t.number);
        const holder = this.#tables.get(key);
        if (holder !== undefined)
          throw new PipelineError(
            `${f.feature.name} and ${holder.owner.feature.name} both declare ${kindName[t.bridge]} table ${t.number}`,
          );
        this.#tables.set(key, { ...t, owner: f, bands: [] });
      }
    }
    const entry = this.#tables.get(tableKey("int", DISPATCH_TABLE));
    if (entry === undefined) throw new PipelineError("no feature declares br-int table 0 (the dispatcher)");
    this.#tables.set(tableKey("int", DISPATCH_TABLE), {
      ...entry,
      bands: [{ bridge: "int", table: 0, ...DispatchBand, purpose: "the dispatcher", owner: undefined }],
    });
  }

  #declareBands(): void {
    for (const f of this.features) {
      for (const b of f.feature.bands ?? []) {
        const key = tableKey(b.bridge, b.table);
        const table = this.#tables.get(key);
        const where = `${kindName[b.bridge]} table ${b.table}`;
        if (table === undefined)
          throw new PipelineError(`${f.feature.name} declares a band in ${where}, which no feature declares`);
        if (!table.shared && table.owner !== f)
          throw new PipelineError(
            `${f.feature.name} declares a band in ${where}, which ${table.owner.feature.name} does not share`,
          );
        if (
          !(
            Number.isInteger(b.min) &&
            Number.isInteger(b.max) &&
            b.min >= 0 &&
            b.min <= b.max &&
            b.max <= 0xffff
          )
        )
          throw new PipelineError(
            `${f.feature.name}'s band ${b.min}-${b.max} in ${where} is not within 0-65535`,
          );
        const overlap = table.bands.find((o) => b.min <= o.max && o.min <= b.max);
        if (overlap !== undefined)
          throw new PipelineError(
            `${f.feature.name}'s band ${b.min}-${b.max} in ${where} overlaps ${bandOwnerName(overlap)}'s ${overlap.min}-${overlap.max}`,
          );
        this.#tables.set(key, { ...table, bands: [...table.bands, { ...b, owner: f }] });
      }
    }
  }

  #checkStages(): void {
    let forward: LoadedFeature | undefined;
    for (const f of this.stages) {
      const { stage } = f;
      const own = f.feature.tables.some((t) => t.bridge === "int" && t.number === stage.table);
      if (!own || stage.table === DISPATCH_TABLE)
        throw new PipelineError(
          `${f.feature.name}'s stage starts in br-int table ${stage.table}, which is not one of its own tables`,
        );
      const max = f.extension ? MAX_EXTENSION_STAGE_CLASS : MAX_CORE_STAGE_CLASS;
      if (f.ownerClass > max)
        throw new PipelineError(
          `${f.feature.name} has cookie class 0x${f.ownerClass.toString(16)}: a stage's mark needs a class up to 0x${max.toString(16)}`,
        );
      if (stage.kind === "forward") {
        if (forward !== undefined)
          throw new PipelineError(`${f.feature.name} and ${forward.feature.name} are both forward stages`);
        forward = f;
      }
    }
    if (forward === undefined) throw new PipelineError("no feature forwards frames (a forward stage)");
  }

  #checkBaseFlows(f: LoadedFeature): void {
    const ctx = this.context(f, sampleHost, () => undefined);
    let flows: Map<string, Flow[]>;
    try {
      flows = this.baseFlows(f, ctx);
    } catch (error) {
      throw new PipelineError(`${f.feature.name}'s base flows cannot be built: ${describeError(error)}`);
    }
    const why = this.violation(f, flows, sampleHost);
    if (why !== undefined) throw new PipelineError(why);
  }
}

const kindName: Record<BridgeKind, string> = { int: "br-int", tun: "br-tun", phys: "physical bridge" };

function bandOwnerName(band: { readonly owner: LoadedFeature | undefined }): string {
  return band.owner === undefined ? "the dispatcher" : band.owner.feature.name;
}

function checkIdentities(features: readonly LoadedFeature[]): void {
  const names = new Map<string, LoadedFeature>();
  const classes = new Map<number, LoadedFeature>();
  for (const f of features) {
    const { name } = f.feature;
    if (!FEATURE_NAME.test(name))
      throw new PipelineError(
        `feature name ${JSON.stringify(name)} is not lower case letters, digits, - and _`,
      );
    const twin = names.get(name);
    if (twin !== undefined) throw new PipelineError(`two features are called ${name}`);
    names.set(name, f);
    const valid = f.extension
      ? f.ownerClass >= EXTENSION_CLASS_MIN && f.ownerClass <= EXTENSION_CLASS_MAX
      : f.ownerClass >= 1 && f.ownerClass < EXTENSION_CLASS_MIN && f.ownerClass !== 0x7f;
    if (!valid)
      throw new PipelineError(`${name} has cookie class 0x${f.ownerClass.toString(16)}, outside its range`);
    const holder = classes.get(f.ownerClass);
    if (holder !== undefined)
      throw new PipelineError(
        `${name} and ${holder.feature.name} both have cookie class 0x${f.ownerClass.toString(16)}`,
      );
    classes.set(f.ownerClass, f);
  }
}

function checkMeterRanges(features: readonly LoadedFeature[]): void {
  const claimed: { f: LoadedFeature; min: number; max: number }[] = [];
  for (const f of features) {
    const range = f.feature.meterIds;
    if (range === undefined) continue;
    if (
      !(
        Number.isInteger(range.min) &&
        Number.isInteger(range.max) &&
        range.min >= 1 &&
        range.min <= range.max &&
        range.max <= METER_MAX
      )
    )
      throw new PipelineError(
        `${f.feature.name}'s meter ids ${range.min}-${range.max} are not within 1-${METER_MAX}`,
      );
    const overlap = claimed.find((c) => range.min <= c.max && c.min <= range.max);
    if (overlap !== undefined)
      throw new PipelineError(
        `${f.feature.name}'s meter ids ${range.min}-${range.max} overlap ${overlap.f.feature.name}'s ${overlap.min}-${overlap.max}`,
      );
    claimed.push({ f, ...range });
  }
}

/** The bridges of a kind on this host. */
export function bridgesOf(kind: BridgeKind, host: HostContext): string[] {
  if (kind === "int") return [host.integrationBridge];
  if (kind === "tun") return host.tunnelBridge === undefined ? [] : [host.tunnelBridge];
  return [...host.physicalBridges.values()];
}

export function kindOf(bridge: string, host: HostContext): BridgeKind | undefined {
  if (bridge === host.integrationBridge) return "int";
  if (bridge === host.tunnelBridge) return "tun";
  return [...host.physicalBridges.values()].includes(bridge) ? "phys" : undefined;
}
