/**
 * Extensions that ran before (the class record names them) but that this run does not configure. The
 * generation swap sweeps their flows; after it, in this order (a deleted meter takes the flows using it
 * with it, so never before):
 *   - their meters go: the ids the record keeps for each (or a built-in's own, for records of earlier
 *     versions, which have none), except ids a configured feature declares now;
 *   - a built-in's cleanup(db) removes what it made in OVSDB (qos: QoS rows, Port.qos, policing).
 * An extension whose cleanup fails stays in the record, so the next swap tries again. A module loaded by
 * path has no cleanup here: once it left the configuration the agent does not know its file.
 */
import { describeError, type Log } from "../../base/index.ts";
import { type MeterIdRange, meterRangesWithout } from "../../openflow/index.ts";
import type { VswitchDb } from "../../ovs/index.ts";
import { type ClassEntry, readClassRecord, removedExtensions } from "./classes.ts";
import { removedBuiltIn } from "./load.ts";

export interface RemovedExtension {
  readonly name: string;
  readonly entry: ClassEntry;
  /** Its meter ids: recorded, or a built-in's own. */
  readonly meterIds: MeterIdRange | undefined;
  readonly cleanup: ((db: VswitchDb) => Promise<void>) | undefined;
}

export async function readRemovedExtensions(
  db: VswitchDb,
  configured: readonly string[],
): Promise<RemovedExtension[]> {
  const removed: RemovedExtension[] = [];
  for (const [name, entry] of removedExtensions(await readClassRecord(db), configured)) {
    const builtIn = await removedBuiltIn(name);
    removed.push({
      name,
      entry,
      meterIds: entry.meterIds ?? builtIn?.feature.meterIds,
      cleanup: builtIn?.cleanup,
    });
  }
  return removed;
}

/** Removed extensions' meter ids, disjoint, outside every configured feature's (those are theirs). */
export function removedMeterRanges(
  removed: readonly RemovedExtension[],
  configured: readonly MeterIdRange[],
): MeterIdRange[] {
  const out: MeterIdRange[] = [];
  for (const r of removed)
    if (r.meterIds) out.push(...meterRangesWithout([r.meterIds], [...configured, ...out]));
  return out;
}

/** Runs removed built-ins' cleanups; returns those that failed (to stay recorded). */
export async function cleanUpRemoved(
  db: VswitchDb,
  log: Log,
  removed: readonly RemovedExtension[],
): Promise<RemovedExtension[]> {
  const unclean: RemovedExtension[] = [];
  for (const r of removed) {
    if (r.cleanup === undefined) continue;
    try {
      await r.cleanup(db);
      log.info({ extension: r.name }, "removed extension's OVSDB state cleaned up");
    } catch (error) {
      unclean.push(r);
      log.warn(
        { extension: r.name, error: describeError(error) },
        "removed extension's OVSDB state not cleaned up; the next swap tries again",
      );
    }
  }
  return unclean;
}
