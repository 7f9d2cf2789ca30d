/**
 * Asks the features for their flows (and OVSDB wishes) for the objects a pass looks at, and keeps each
 * feature's mistakes to itself: a feature that throws, or returns a flow outside its tables and bands,
 * fails for the whole pass — none of its changes are applied, its flows stay as they were, and every
 * other feature's are applied as usual. Reads of server sections are recorded per object, so that a
 * change to a section object (a QoS policy) brings back exactly the objects that read it.
 */
import { describeError, WeirError } from "../../base/index.ts";
import { type Flow, type FlowOwner, type Meter, ownerId } from "../../openflow/index.ts";
import type { ControlState } from "../control/state.ts";
import type {
  Feature,
  FeatureContext,
  FlowsByBridge,
  HostContext,
  NetworkContext,
  RemotePortContext,
  TunnelPortContext,
  VifContext,
  VifPlan,
} from "../pipeline/feature.ts";
import type { LoadedFeature, Pipeline } from "../pipeline/pipeline.ts";

/** bridge → owner id → the owner and its new flows (empty: the owner goes from that bridge). */
export type FlowChanges = Map<string, Map<string, readonly [FlowOwner, readonly Flow[]]>>;

/** bridge → owner id → the owner and its new meters. */
export type MeterChanges = Map<string, Map<string, readonly [FlowOwner, readonly Meter[]]>>;

/** A VIF's OVSDB wishes, per feature. */
export type VifOvsdb = ReadonlyMap<string, NonNullable<VifPlan["ovsdb"]>>;

/** What a feature is called for: the host (its base), a VIF, a network, another host's port, a tunnel port. */
export type ObjectKind = "base" | "vif" | "net" | "remote" | "tunnel";

/** One object a feature was called for; section reads are recorded per object. */
export interface ObjectRef {
  readonly kind: ObjectKind;
  readonly id: string;
}

/** A feature returned what it may not (a flow outside its tables, a meter outside its ids). */
export class FeatureViolationError extends WeirError {
  readonly feature: string;

  constructor(feature: string, message: string) {
    super("WEIR_FEATURE_VIOLATION", message);
    this.feature = feature;
  }
}

/** The bridges of this host, and whether an owner has flows on one now. */
export interface OwnerLookup {
  readonly bridges: readonly string[];
  has(bridge: string, owner: FlowOwner): boolean;
  hasMeters(bridge: string, owner: FlowOwner): boolean;
}
/** An owner's key, and the key of reads: "vif:tap1", "net:<id>", "" for the base. */
const objectKey = (kind: ObjectKind, id: string) => (kind === "base" ? "" : `${kind}:${id}`);

export interface PlanResult {
  readonly changes: FlowChanges;
  readonly meters: MeterChanges;
  /** iface → feature name → its OVSDB wish. */
  readonly ovsdb: ReadonlyMap<string, VifOvsdb>;
  readonly failures: ReadonlyMap<string, string>;
}

export class Planner {
  readonly #pipeline: Pipeline;
  /** section key ("qos/<id>") → object key → the object that read it. */
  readonly #readers = new Map<string, Map<string, ObjectRef>>();
  readonly #readsOf = new Map<string, Set<string>>();

  constructor(pipeline: Pipeline) {
    this.#pipeline = pipeline;
  }

  /**
   * The objects that read a section object ("qos/<id>") when they were last planned, or the whole
   * section's key list ("qos/*", by FeatureContext.sectionKeys).
   */
  readersOf(sectionKey: string): Iterable<ObjectRef> {
    const own = this.#readers.get(sectionKey);
    const all = this.#readers.get(wholeSection(sectionKey));
    if (all === undefined) return own?.values() ?? [];
    if (own === undefined) return all.values();
    return new Map([...own, ...all]).values();
  }

  isRead(sectionKey: string): boolean {
    return (
      (this.#readers.get(sectionKey)?.size ?? 0) > 0 ||
      (this.#readers.get(wholeSection(sectionKey))?.size ?? 0) > 0
    );
  }

  /** `has`: whether an owner has flows on a bridge now (so that nothing is sent for owners that have none). */
  round(host: HostContext, control: ControlState, has: OwnerLookup): PlanRound {
    return new PlanRound(this, this.#pipeline, host, control, has);
  }

  /** Records what one object read this round (replacing what it read before). */
  recordReads(object: ObjectRef, reads: ReadonlySet<string>): void {
    const id = objectKey(object.kind, object.id);
    for (const key of this.#readsOf.get(id) ?? []) {
      const readers = this.#readers.get(key);
      readers?.delete(id);
      if (readers?.size === 0) this.#readers.delete(key);
    }
    if (reads.size === 0) this.#readsOf.delete(id);
    else this.#readsOf.set(id, new Set(reads));
    for (const key of reads) {
      const readers = this.#readers.get(key) ?? new Map<string, ObjectRef>();
      readers.set(id, object);
      this.#readers.set(key, readers);
    }
  }
}

export class PlanRound {
  readonly #planner: Planner;
  readonly #pipeline: Pipeline;
  readonly #host: HostContext;
  readonly #control: ControlState;
  readonly #has: OwnerLookup;
  readonly #changes: FlowChanges = new Map();
  readonly #meters: MeterChanges = new Map();
  readonly #ovsdb = new Map<string, Map<string, NonNullable<VifPlan["ovsdb"]>>>();
  readonly #failures = new Map<string, string>();
  readonly #reads = new Map<string, { object: ObjectRef; keys: Set<string> }>();
  /** Owners planned this round, per bridge (a full round removes the rest). */
  readonly #planned = new Set<string>();

  constructor(
    planner: Planner,
    pipeline: Pipeline,
    host: HostContext,
    control: ControlState,
    has: OwnerLookup,
  ) {
    this.#planner = planner;
    this.#pipeline = pipeline;
    this.#host = host;
    this.#control = control;
    this.#has = has;
  }

  base(): void {
    for (const f of this.#pipeline.features) {
      const owner = this.#pipeline.baseOwner(f);
      this.#call(f, owner, { kind: "base", id: "" }, (ctx) => this.#pipeline.baseFlows(f, ctx));
    }
  }

  vif(iface: string, vif: VifContext | undefined): void {
    for (const f of this.#pipeline.features) {
      if (f.feature.vif === undefined) continue;
      const fn = f.feature.vif.bind(f.feature);
      const owner = { ownerClass: f.ownerClass, key: objectKey("vif", iface) };
      this.#call(f, owner, { kind: "vif", id: iface }, (ctx) => {
        if (vif === undefined) {
          if (f.feature.meterIds !== undefined) this.#putMeters(owner, new Map());
          return undefined;
        }
        const plan = fn(vif, ctx);
        if (plan?.ovsdb !== undefined) {
          const wishes = this.#ovsdb.get(iface) ?? new Map();
          wishes.set(f.feature.name, plan.ovsdb);
          this.#ovsdb.set(iface, wishes);
        }
        if (plan?.meters !== undefined || f.feature.meterIds !== undefined) {
          const meters = plan?.meters ?? new Map();
          const why = this.#pipeline.meterViolation(f, meters);
          if (why !== undefined) throw new FeatureViolationError(f.feature.name, why);
          this.#putMeters(owner, meters);
        }
        return plan?.flows;
      });
    }
  }

  network(id: string, network: NetworkContext | undefined): void {
    this.#each("network", "net", id, network);
  }

  remotePort(id: string, remote: RemotePortContext | undefined): void {
    this.#each("remotePort", "remote", id, remote);
  }

  tunnelPort(name: string, tunnel: TunnelPortContext | undefined): void {
    this.#each("tunnelPort", "tunnel", name, tunnel);
  }

  /**
   * A VIF OVS cannot use for now (no ofport: its VM stopped, say): its owners are not planned, and a full
   * round must not sweep them — the VIF usually comes back with the same ofport, and a dead port's drop
   * flow must be there when it does.
   */
  keepVif(iface: string): void {
    for (const f of this.#pipeline.features)
      if (f.feature.vif !== undefined)
        this.#planned.add(ownerId({ ownerClass: f.ownerClass, key: objectKey("vif", iface) }));
  }

  /** In a full round: every owner on these bridges that nothing planned goes (but failed features' stay). */
  sweep(desired: ReadonlyMap<string, Iterable<FlowOwner>>): void {
    for (const [bridge, owners] of desired) {
      for (const owner of owners) {
        if (this.#planned.has(ownerId(owner))) continue;
        const f = this.#pipeline.featureOfClass(owner.ownerClass);
        if (f !== undefined && this.#failures.has(f.feature.name)) continue;
        this.#put(bridge, owner, []);
      }
    }
  }

  /** Fails a feature after the fact (its flows conflicted when applied): its changes are dropped. */
  fail(name: string, error: string): void {
    this.#failures.set(name, error);
  }

  finish(): PlanResult {
    for (const { object, keys } of this.#reads.values()) this.#planner.recordReads(object, keys);
    const failedClasses = new Set(
      [...this.#failures.keys()].map((name) => this.#pipeline.feature(name)?.ownerClass),
    );
    const changes: FlowChanges = new Map();
    for (const [bridge, owners] of this.#changes) {
      const kept = new Map([...owners].filter(([, [owner]]) => !failedClasses.has(owner.ownerClass)));
      if (kept.size > 0) changes.set(bridge, kept);
    }
    const meters: MeterChanges = new Map();
    for (const [bridge, owners] of this.#meters) {
      const kept = new Map([...owners].filter(([, [owner]]) => !failedClasses.has(owner.ownerClass)));
      if (kept.size > 0) meters.set(bridge, kept);
    }
    const ovsdb = new Map<string, VifOvsdb>();
    for (const [iface, wishes] of this.#ovsdb) {
      const kept = new Map([...wishes].filter(([name]) => !this.#failures.has(name)));
      if (kept.size > 0) ovsdb.set(iface, kept);
    }
    return { changes, meters, ovsdb, failures: this.#failures };
  }

  #each<C>(
    method: "network" | "remotePort" | "tunnelPort",
    kind: ObjectKind,
    id: string,
    context: C | undefined,
  ): void {
    for (const f of this.#pipeline.features) {
      const fn = f.feature[method] as ((c: C, ctx: FeatureContext) => FlowsByBridge | undefined) | undefined;
      if (fn === undefined) continue;
      const owner = { ownerClass: f.ownerClass, key: objectKey(kind, id) };
      this.#call(f, owner, { kind, id }, (ctx) =>
        context === undefined ? undefined : fn.call(f.feature, context, ctx),
      );
    }
  }

  #call(
    f: LoadedFeature,
    owner: FlowOwner,
    object: ObjectRef,
    plan: (ctx: FeatureContext) => FlowsByBridge | undefined,
  ): void {
    if (this.#failures.has(f.feature.name)) return;
    const reads = new Set<string>();
    const ctx = this.#pipeline.context(
      f,
      this.#host,
      <T>(name: string, key: string) => {
        if (!declares(f.feature, name)) return undefined;
        reads.add(`${name}/${key}`);
        return this.#control.section<T>(name, key);
      },
      (name: string) => {
        if (!declares(f.feature, name)) return [];
        reads.add(`${name}/*`);
        return this.#control.sectionKeys(name);
      },
    );
    let flows: FlowsByBridge;
    try {
      flows = plan(ctx) ?? new Map();
      const why = this.#pipeline.violation(f, flows, this.#host);
      if (why !== undefined) throw new FeatureViolationError(f.feature.name, why);
    } catch (error) {
      this.#failures.set(f.feature.name, describeError(error));
      return;
    }
    const id = objectKey(object.kind, object.id);
    const all = this.#reads.get(id) ?? { object, keys: new Set<string>() };
    for (const key of reads) all.keys.add(key);
    this.#reads.set(id, all);
    this.#planned.add(ownerId(owner));
    for (const bridge of this.#has.bridges) {
      const list = flows.get(bridge) ?? [];
      if (list.length > 0 || this.#has.has(bridge, owner)) this.#put(bridge, owner, list);
    }
  }

  #putMeters(owner: FlowOwner, meters: ReadonlyMap<string, readonly Meter[]>): void {
    for (const bridge of this.#has.bridges) {
      const list = meters.get(bridge) ?? [];
      if (list.length === 0 && !this.#has.hasMeters(bridge, owner)) continue;
      const perBridge = this.#meters.get(bridge) ?? new Map();
      this.#meters.set(bridge, perBridge);
      perBridge.set(ownerId(owner), [owner, list]);
    }
  }

  #put(bridge: string, owner: FlowOwner, flows: readonly Flow[]): void {
    const perBridge = this.#changes.get(bridge) ?? new Map();
    this.#changes.set(bridge, perBridge);
    perBridge.set(ownerId(owner), [owner, flows]);
  }
}

/** "qos/<id>" → "qos/*": the key of reading a section's whole key list. */
const wholeSection = (sectionKey: string) => `${sectionKey.slice(0, sectionKey.indexOf("/"))}/*`;

function declares(feature: Feature, section: string): boolean {
  return feature.sections?.includes(section) ?? false;
}
