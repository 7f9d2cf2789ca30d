import { InvalidArgumentError, WeirError } from "../base/index.ts";
import type { OpenFlowConnection } from "./connection.ts";
import { MeterModError } from "./errors.ts";
import { type Meter, meterEqual } from "./model/meter.ts";
import { METER_MAX, MeterModCommand, MeterModFailedCode } from "./wire/constants.ts";

/** Two owners want the same meter id: a switch has one meter per id. */
export class MeterConflictError extends WeirError {
  readonly meterId: number;
  readonly owners: readonly [string, string];

  constructor(meterId: number, existing: string, incoming: string) {
    super(
      "OPENFLOW_METER_CONFLICT",
      `meter ${meterId} is owned by ${existing}; ${incoming} cannot also set it`,
    );
    this.meterId = meterId;
    this.owners = [existing, incoming];
  }
}

/** The meters to send after an owner's change (`adds`, `modifies`: new values; `deletes`: old values). */
export interface MeterDelta {
  readonly adds: readonly Meter[];
  readonly modifies: readonly Meter[];
  readonly deletes: readonly Meter[];
}

/** Meter ids [min..max], both included: the ids a caller reserves for itself on a bridge. */
export interface MeterIdRange {
  readonly min: number;
  readonly max: number;
}

export interface MeterReconcileOptions {
  /**
   * The ids the caller reserves on the bridge, as disjoint ranges (one per feature, say): every desired
   * meter must lie in one of them, and stale meters are looked for in them.
   */
  readonly ranges: readonly MeterIdRange[];
  /** Ids that must stay although not desired (flows still using them, say). */
  readonly keepIds?: Iterable<number>;
  /**
   * Delete stale meters too: in every range (true, the default), in none (false: they are only reported,
   * for a later prune()), or only in these ranges (disjoint; a failed feature's meters stay, like its
   * flows, and a removed one's may go although no range reserves them any more).
   */
  readonly prune?: boolean | readonly MeterIdRange[];
}

export interface MeterReconcileResult {
  readonly added: readonly number[];
  readonly modified: readonly number[];
  readonly unchanged: number;
  /** Ids in the ranges (or the prune ranges) that are not desired (and not kept). */
  readonly stale: readonly number[];
  /** Those of `stale` that were deleted. */
  readonly deleted: readonly number[];
  readonly durationMs: number;
}

/**
 * The desired meters of one bridge, each owned by an opaque owner id, and the switch made to hold them.
 *
 * Meter mods cannot go into a flow bundle (OVS refuses them there: lib/ofp-bundle.c
 * ofputil_is_bundlable), and two OVS rules fix the order around one:
 *  - a flow naming a meter that does not exist is refused with METER_MOD_FAILED/INVALID_METER
 *    (ofproto.c ofproto_check_ofpacts; in a bundle, at commit, so the bundle changes nothing), so meters
 *    are added and modified BEFORE the bundle whose flows use them: applyUpserts(), or reconcile() with
 *    `prune: false`;
 *  - deleting a meter deletes every flow that uses it (ofproto.c meter_destroy → delete_flows__ with
 *    OFPRR_METER_DELETE), so meters go AFTER the bundle that removed their flows: applyDeletes(), or
 *    prune().
 * A changed meter is modified in place, never deleted and re-added: OVS keeps the flows using it
 * (handle_modify_meter). Operations run one at a time, in call order.
 */
export class BridgeMeters {
  readonly #byId = new Map<number, { meter: Meter; owner: string }>();
  readonly #byOwner = new Map<string, Map<number, Meter>>();
  #queue: Promise<unknown> = Promise.resolve();

  get size(): number {
    return this.#byId.size;
  }

  owners(): string[] {
    return [...this.#byOwner.keys()];
  }

  ownerOf(id: number): string | undefined {
    return this.#byId.get(id)?.owner;
  }

  get(id: number): Meter | undefined {
    return this.#byId.get(id)?.meter;
  }

  metersOf(owner: string): Meter[] {
    return [...(this.#byOwner.get(owner)?.values() ?? [])];
  }

  meters(): Meter[] {
    return [...this.#byId.values()].map((entry) => entry.meter);
  }

  /**
   * Replaces `owner`'s meters and returns the difference; nothing is sent. Nothing changes if an id
   * belongs to another owner (MeterConflictError).
   */
  replace(owner: string, meters: readonly Meter[]): MeterDelta {
    const next = new Map<number, Meter>();
    for (const m of meters) {
      const holder = this.#byId.get(m.id)?.owner;
      if (holder !== undefined && holder !== owner) throw new MeterConflictError(m.id, holder, owner);
      if (next.has(m.id)) throw new MeterConflictError(m.id, owner, owner);
      next.set(m.id, m);
    }
    const previous = this.#byOwner.get(owner) ?? new Map<number, Meter>();
    const adds: Meter[] = [];
    const modifies: Meter[] = [];
    const deletes: Meter[] = [];
    for (const [id, m] of next) {
      const old = previous.get(id);
      if (old === undefined) adds.push(m);
      else if (!meterEqual(old, m)) modifies.push(m);
      this.#byId.set(id, { meter: m, owner });
    }
    for (const [id, old] of previous) {
      if (next.has(id)) continue;
      deletes.push(old);
      this.#byId.delete(id);
    }
    if (next.size === 0) this.#byOwner.delete(owner);
    else this.#byOwner.set(owner, next);
    return { adds, modifies, deletes };
  }

  remove(owner: string): MeterDelta {
    return this.replace(owner, []);
  }

  /**
   * Sends a delta's adds and modifies: call BEFORE the flow bundle that uses them. An add of a meter the
   * switch already has becomes a modify, a modify of one it lacks an add (the switch may have restarted,
   * or an earlier run left it): either way the meter ends as desired.
   */
  applyUpserts(connection: OpenFlowConnection, delta: MeterDelta): Promise<void> {
    return this.#serial(async () => {
      for (const m of delta.adds) await upsert(connection, m, MeterModCommand.add);
      for (const m of delta.modifies) await upsert(connection, m, MeterModCommand.modify);
    });
  }

  /**
   * Sends a delta's deletes: call AFTER the bundle that removed the flows using them (a delete would take
   * those flows with it). Ids desired again meanwhile (by any owner) are left alone.
   */
  applyDeletes(connection: OpenFlowConnection, delta: MeterDelta): Promise<void> {
    return this.#serial(async () => {
      for (const m of delta.deletes) {
        if (!this.#byId.has(m.id)) await connection.meterMod(MeterModCommand.delete, m.id);
      }
    });
  }

  /**
   * Makes the switch hold every desired meter (dump, then add what is missing and modify what differs),
   * and deletes the meters in `ranges` that are neither desired nor in `keepIds` — unless `prune` says
   * otherwise (false: for a caller whose flow bundle must come in between; then prune() after it). Meters
   * outside the ranges are never touched; a desired meter outside them, or ranges that overlap, are
   * refused before anything is sent.
   */
  reconcile(connection: OpenFlowConnection, options: MeterReconcileOptions): Promise<MeterReconcileResult> {
    return this.#serial(async () => {
      const started = performance.now();
      const ranges = checkRanges(options.ranges);
      const staleIn = typeof options.prune === "object" ? checkRanges(options.prune) : ranges;
      for (const m of this.#byId.values()) {
        if (!ranges.some((r) => inRange(r, m.meter.id))) {
          throw new InvalidArgumentError(
            `meter ${m.meter.id}`,
            `of ${m.owner} lies outside the reconciled ranges ${formatRanges(ranges)}`,
          );
        }
      }
      const installed = new Map((await connection.dumpMeters()).map((m) => [m.id, m]));
      const added: number[] = [];
      const modified: number[] = [];
      let unchanged = 0;
      for (const { meter: m } of this.#byId.values()) {
        const current = installed.get(m.id);
        if (current === undefined) {
          await upsert(connection, m, MeterModCommand.add);
          added.push(m.id);
        } else if (!meterEqual(current, m)) {
          await upsert(connection, m, MeterModCommand.modify);
          modified.push(m.id);
        } else unchanged++;
      }
      const stale = this.#stale([...installed.keys()], staleIn, options.keepIds);
      const deleted = options.prune === false ? [] : await this.#delete(connection, stale);
      return { added, modified, unchanged, stale, deleted, durationMs: performance.now() - started };
    });
  }

  /** Deletes the meters in `ranges` (disjoint) that are neither desired nor in `keepIds` (after a dump); their ids. */
  prune(
    connection: OpenFlowConnection,
    options: { readonly ranges: readonly MeterIdRange[]; readonly keepIds?: Iterable<number> },
  ): Promise<number[]> {
    return this.#serial(async () => {
      const ranges = checkRanges(options.ranges);
      const installed = (await connection.dumpMeters()).map((m) => m.id);
      return this.#delete(connection, this.#stale(installed, ranges, options.keepIds));
    });
  }

  #stale(
    installed: readonly number[],
    ranges: readonly MeterIdRange[],
    keepIds: Iterable<number> | undefined,
  ): number[] {
    const keep = new Set(keepIds ?? []);
    return installed.filter(
      (id) => ranges.some((r) => inRange(r, id)) && !this.#byId.has(id) && !keep.has(id),
    );
  }

  async #delete(connection: OpenFlowConnection, ids: readonly number[]): Promise<number[]> {
    for (const id of ids) await connection.meterMod(MeterModCommand.delete, id);
    return [...ids];
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => {});
    return next;
  }
}

/** add or modify as asked, and the other one if the switch's state says so (METER_EXISTS/UNKNOWN_METER). */
async function upsert(connection: OpenFlowConnection, m: Meter, first: MeterModCommand): Promise<void> {
  try {
    await connection.meterMod(first, m);
  } catch (error) {
    const exists = first === MeterModCommand.add && isMeterModFailure(error, MeterModFailedCode.meterExists);
    const missing =
      first === MeterModCommand.modify && isMeterModFailure(error, MeterModFailedCode.unknownMeter);
    if (!exists && !missing) throw error;
    await connection.meterMod(exists ? MeterModCommand.modify : MeterModCommand.add, m);
  }
}

function isMeterModFailure(error: unknown, code: number): boolean {
  return (
    error instanceof MeterModError &&
    error.error.typeName === "METER_MOD_FAILED" &&
    error.error.errorCode === code
  );
}

const inRange = (range: MeterIdRange, id: number) => id >= range.min && id <= range.max;

function checkRange(range: MeterIdRange): MeterIdRange {
  const ok = (n: number) => Number.isInteger(n) && n >= 1 && n <= METER_MAX;
  if (!ok(range.min) || !ok(range.max) || range.min > range.max) {
    throw new InvalidArgumentError("meter range", `${range.min}..${range.max} is not within 1..${METER_MAX}`);
  }
  return range;
}

/** Valid ranges that do not overlap: two owners of one id would delete each other's meters. */
function checkRanges(ranges: readonly MeterIdRange[]): readonly MeterIdRange[] {
  const sorted = ranges.map(checkRange).sort((a, b) => a.min - b.min);
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1]!, sorted[i]!];
    if (b.min <= a.max)
      throw new InvalidArgumentError("meter ranges", `${formatRanges([a])} and ${formatRanges([b])} overlap`);
  }
  return ranges;
}

const formatRanges = (ranges: readonly MeterIdRange[]) =>
  ranges.length === 0 ? "(none)" : ranges.map((r) => `${r.min}..${r.max}`).join(", ");

/** The ids of `ranges` that none of `holes` holds, as ranges (for prune ranges that must not touch `holes`). */
export function meterRangesWithout(
  ranges: readonly MeterIdRange[],
  holes: readonly MeterIdRange[],
): MeterIdRange[] {
  let out = [...ranges];
  for (const h of holes)
    out = out.flatMap((r) =>
      r.max < h.min || r.min > h.max
        ? [r]
        : [
            ...(r.min < h.min ? [{ min: r.min, max: h.min - 1 }] : []),
            ...(r.max > h.max ? [{ min: h.max + 1, max: r.max }] : []),
          ],
    );
  return out;
}
