/**
 * The first half of applying a plan — meters, then the flows that are added or changed — with each
 * feature's mistakes kept to itself. Three things can go wrong for one feature and must not stop the
 * others (issue 10: "L2 wiring of every port goes on"):
 *   - its flow collides with another owner's (FlowConflictError, found before anything is sent);
 *   - the switch refuses its flows (BundleError: the bundle changed nothing), say a meter it lacks;
 *   - the switch refuses its meters (MeterModError), or two owners want one meter id.
 * The feature is then failed for the pass (PlanRound.fail: its changes are dropped, its flows stay as
 * they were) and the rest is applied again. Meters are recorded only once the switch took them, so a
 * retried pass sends what is still missing.
 *
 * A key that passes from an owner going away to a new one (a VIF taking a freed ofport, a recovering
 * feature taking over its flows adopted at the swap) is handed over in one bundle: the vanishing owner
 * is moved from the removing half into the adding one, where the new flow replaces the old in place.
 */
import { WeirError } from "../../base/index.ts";
import {
  BundleError,
  type Flow,
  FlowConflictError,
  type FlowOwner,
  type Meter,
  MeterConflictError,
  type MeterDelta,
  MeterModError,
  ownerId,
} from "../../openflow/index.ts";
import type { LoadedFeature, Pipeline } from "../pipeline/pipeline.ts";
import type { FlowChanges, PlanResult, PlanRound } from "./planner.ts";
import type { FlowSink, MeterSink } from "./sinks.ts";

/** The owner a flow was adopted under at the swap, for a feature that failed then (generations.ts). */
export const ADOPTED_KEY = "adopted";

/**
 * A feature's fresh flows collide with its own flows adopted at the swap, in a pass that does not look
 * at everything: only a full pass can hand all of them over. The converger runs one.
 */
export class FullPassNeededError extends WeirError {
  constructor(feature: string) {
    super(
      "WEIR_FULL_PASS_NEEDED",
      `${feature} works again; its flows adopted at the swap are handed over in a full pass`,
    );
  }
}

export interface ApplyTargets {
  readonly pipeline: Pipeline;
  /** In apply order. */
  readonly flows: ReadonlyMap<string, FlowSink>;
  readonly meters: ReadonlyMap<string, MeterSink>;
}

export interface Applied {
  /** The plan as applied (features failed on the way have their changes dropped). */
  readonly plan: PlanResult;
  /** What to apply after the port writes: owners whose flows go. */
  readonly removing: FlowChanges;
  /** Meters to delete once `removing` is applied (a meter's delete takes its flows with it). */
  readonly meterDeletes: ReadonlyMap<string, MeterDelta>;
}

export async function applyAdding(
  targets: ApplyTargets,
  round: PlanRound,
  first: PlanResult,
  options: { readonly full: boolean; readonly writes: { count: number } },
): Promise<Applied> {
  let plan = first;
  const handedOver = new Set<string>();
  const fail = (f: LoadedFeature | undefined, error: unknown): void => {
    if (f === undefined) throw error;
    round.fail(f.feature.name, error instanceof Error ? error.message : String(error));
    plan = round.finish();
  };
  // Each failure removes a feature or moves an owner: the loop ends.
  for (let attempt = 0; attempt <= 2 * (targets.pipeline.features.length + handedOver.size) + 2; attempt++) {
    const [adding, removing] = splitByPhase(plan.changes, handedOver);
    const meters = recordMeters(targets, plan);
    if (meters instanceof MeterFailure) {
      fail(targets.pipeline.featureOfClass(meters.owner.ownerClass), meters.error);
      continue;
    }
    try {
      for (const [bridge, delta] of meters.upserts) await targets.meters.get(bridge)!.upsert(delta);
    } catch (error) {
      meters.undo();
      if (!(error instanceof MeterModError)) throw error;
      fail(featureOfMeter(targets.pipeline, error.meterId), error);
      continue;
    }
    try {
      await applyFlows(targets.flows, adding, options.writes);
      return { plan, removing, meterDeletes: meters.deletes };
    } catch (error) {
      meters.undo();
      if (error instanceof FlowConflictError) {
        const [existing, incoming] = error.owners;
        if (isVanishing(removing, existing)) {
          handedOver.add(ownerId(existing));
          continue;
        }
        const culprit = targets.pipeline.featureOfClass(incoming.ownerClass);
        if (existing.key === ADOPTED_KEY && existing.ownerClass === incoming.ownerClass && !options.full)
          throw new FullPassNeededError(culprit?.feature.name ?? `class ${incoming.ownerClass}`);
        fail(culprit, error);
        continue;
      }
      if (!(error instanceof BundleError)) throw error;
      const refused = await refusedFeatures(targets, adding, options.writes);
      if (refused.length === 0) throw error;
      for (const f of refused) round.fail(f.feature.name, error.message);
      plan = round.finish();
    }
  }
  throw new WeirError("WEIR_PASS_UNSETTLED", "the plan kept failing to apply; the pass is retried");
}

/** Applies flow changes bridge by bridge, in the targets' order. */
export async function applyFlows(
  flows: ReadonlyMap<string, FlowSink>,
  changes: FlowChanges,
  writes: { count: number; flowsMs?: number },
): Promise<void> {
  for (const [bridge, sink] of flows) {
    const perOwner = changes.get(bridge);
    if (perOwner === undefined || perOwner.size === 0) continue;
    const r = await sink.apply(perOwner.values());
    writes.count += r.added + r.modified + r.deleted;
    if (writes.flowsMs !== undefined) writes.flowsMs += r.durationMs;
  }
}

/**
 * The switch refused a bundle: which features' flows it refuses. Each feature's changes go alone (a
 * refused bundle changes nothing, so the others' are applied meanwhile, still before any port write).
 */
async function refusedFeatures(
  targets: ApplyTargets,
  adding: FlowChanges,
  writes: { count: number },
): Promise<LoadedFeature[]> {
  const refused: LoadedFeature[] = [];
  for (const f of targets.pipeline.features) {
    const mine: FlowChanges = new Map();
    for (const [bridge, perOwner] of adding) {
      const kept = new Map([...perOwner].filter(([, [owner]]) => owner.ownerClass === f.ownerClass));
      if (kept.size > 0) mine.set(bridge, kept);
    }
    if (mine.size === 0) continue;
    try {
      await applyFlows(targets.flows, mine, writes);
    } catch (error) {
      if (!(error instanceof BundleError)) throw error;
      refused.push(f);
    }
  }
  return refused;
}

/** Owners whose flows go away are applied after the port writes; everything else before. */
export function splitByPhase(
  changes: FlowChanges,
  handedOver: ReadonlySet<string>,
): [FlowChanges, FlowChanges] {
  const adding: FlowChanges = new Map();
  const removing: FlowChanges = new Map();
  for (const [bridge, perOwner] of changes) {
    for (const [id, change] of perOwner) {
      const target = change[1].length > 0 || handedOver.has(id) ? adding : removing;
      const m = target.get(bridge) ?? new Map<string, readonly [FlowOwner, readonly Flow[]]>();
      target.set(bridge, m);
      m.set(id, change);
    }
  }
  return [adding, removing];
}

function isVanishing(removing: FlowChanges, owner: FlowOwner): boolean {
  const id = ownerId(owner);
  for (const perOwner of removing.values()) if (perOwner.has(id)) return true;
  return false;
}

class MeterFailure {
  readonly owner: FlowOwner;
  readonly error: MeterConflictError;

  constructor(owner: FlowOwner, error: MeterConflictError) {
    this.owner = owner;
    this.error = error;
  }
}

interface RecordedMeters {
  readonly upserts: Map<string, MeterDelta>;
  readonly deletes: Map<string, MeterDelta>;
  /** Puts the recorded meters back as they were (the switch did not take them, or their flows). */
  undo(): void;
}

/**
 * Records the plan's meters (owners that give theirs up first, so that an id can pass to another owner
 * in one pass) and returns what to send; a conflict is undone and names its owner.
 */
function recordMeters(targets: ApplyTargets, plan: PlanResult): RecordedMeters | MeterFailure {
  const undos: (() => void)[] = [];
  const undo = () => {
    for (const u of undos.reverse()) u();
    undos.length = 0;
  };
  const upserts = new Map<string, MeterDelta>();
  const deletes = new Map<string, MeterDelta>();
  for (const [bridge, owners] of plan.meters) {
    const sink = targets.meters.get(bridge);
    if (sink === undefined) continue;
    const adds: Meter[] = [];
    const modifies: Meter[] = [];
    const gone: Meter[] = [];
    const ordered = [...owners.values()].sort(([, a], [, b]) => Number(a.length > 0) - Number(b.length > 0));
    for (const [owner, list] of ordered) {
      const before = sink.metersOf(owner);
      let delta: MeterDelta;
      try {
        delta = sink.replace(owner, list);
      } catch (error) {
        undo();
        if (error instanceof MeterConflictError) return new MeterFailure(owner, error);
        throw error;
      }
      undos.push(() => sink.replace(owner, before));
      adds.push(...delta.adds);
      modifies.push(...delta.modifies);
      gone.push(...delta.deletes);
    }
    if (adds.length + modifies.length > 0) upserts.set(bridge, { adds, modifies, deletes: [] });
    if (gone.length > 0) deletes.set(bridge, { adds: [], modifies: [], deletes: gone });
  }
  return { upserts, deletes, undo };
}

function featureOfMeter(pipeline: Pipeline, id: number): LoadedFeature | undefined {
  return pipeline.features.find((f) => {
    const range = f.feature.meterIds;
    return range !== undefined && id >= range.min && id <= range.max;
  });
}
