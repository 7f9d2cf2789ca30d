/**
 * Start-up step 7: once the server answered, every flow is known in full and replaces the previous
 * generation (generations.ts); then what no flow uses any more goes — stale meters, a removed
 * extension's meters and OVSDB state — and the class record forgets removed extensions. While the
 * server is away, what OVSDB alone tells is installed and nothing is deleted.
 */
import type { AgentParts, BuiltParts } from "../agent.ts";
import { writeClassRecord } from "../extensions/classes.ts";
import { cleanUpRemoved, readRemovedExtensions, removedMeterRanges } from "../extensions/removed.ts";
import { type FlowReport, swapGenerations } from "../generations.ts";
import { inApplyOrder } from "./bridges.ts";
import { classEntry } from "./features.ts";

export async function swapAll(parts: BuiltParts, full = true): Promise<Record<string, FlowReport>> {
  const { converger, pipeline } = parts;
  // A full pass unless the last one already saw the server's snapshot (then: what changed since).
  if (full) converger.triggerFull();
  await converger.passNow();
  return converger.exclusive(async () => {
    const failed = pipeline.features.filter((f) => converger.failedFeatures.has(f.feature.name));
    const ordered = inApplyOrder(parts.bridges.values()).map((b) => ({
      name: b.spec.name,
      flows: b.flows,
      previous: b.previous,
    }));
    const reports = await swapGenerations(parts.db, ordered, parts.generation, failed, parts.log);
    // Meters no flow uses any more (ports gone while the agent was away, extensions removed) go once
    // their flows have. A failed feature's meters stay, like its flows.
    const extensions = pipeline.features.filter((f) => f.extension);
    const removed = await readRemovedExtensions(
      parts.db,
      extensions.map((f) => f.feature.name),
    );
    const ranges = pipeline.meterRanges();
    const prune = [
      ...pipeline.features.flatMap((f) =>
        f.feature.meterIds && !failed.includes(f) ? [f.feature.meterIds] : [],
      ),
      ...removedMeterRanges(removed, ranges),
    ];
    if (ranges.length + prune.length > 0)
      for (const bridge of parts.bridges.values())
        await bridge.meters.reconcile(bridge.connection, { ranges, prune });
    const unclean = await cleanUpRemoved(parts.db, parts.log, removed);
    const record = new Map(unclean.map((r) => [r.name, r.entry]));
    for (const f of extensions) record.set(f.feature.name, classEntry(f));
    await writeClassRecord(parts.db, record);
    parts.swapped = true;
    return reports;
  });
}

/** The server is away: what OVSDB alone tells is installed, nothing deleted (the swap waits). */
export async function installWithoutServer(parts: AgentParts): Promise<Record<string, FlowReport>> {
  const reports: Record<string, FlowReport> = {};
  for (const [name, bridge] of parts.bridges) {
    if (bridge.spec.role === "physical") continue;
    const r = await bridge.flows.installAdditive(bridge.previous);
    reports[name] = { replaced: r.added, verified: false, fellBack: false, ms: Math.round(r.durationMs) };
  }
  return reports;
}
