/**
 * Start-up step 2: the features this configuration runs — the core ones and the extensions, each
 * extension with the cookie class it had before (or the lowest free one) — and the pipeline they make,
 * checked as a whole: a contradiction stops start-up here, having changed nothing.
 */
import type { VswitchDb } from "../../ovs/index.ts";
import type { AgentConfig } from "../config.ts";
import { assignClasses, type ClassEntry, readClassRecord } from "../extensions/classes.ts";
import { coreFeatures } from "../features/index.ts";
import type { Feature } from "../pipeline/feature.ts";
import { type LoadedFeature, Pipeline } from "../pipeline/pipeline.ts";

export async function buildPipeline(
  db: VswitchDb,
  config: AgentConfig,
  extensions: readonly Feature[],
): Promise<{ pipeline: Pipeline; classRecord: Map<string, ClassEntry> }> {
  const recorded = await readClassRecord(db);
  const { assigned, record } = assignClasses(extensions, recorded);
  const features: LoadedFeature[] = [
    ...coreFeatures(config).map((feature) => ({
      feature,
      ownerClass: feature.ownerClass!,
      extension: false,
    })),
    ...extensions.map((feature) => ({ feature, ownerClass: assigned.get(feature.name)!, extension: true })),
  ];
  return { pipeline: Pipeline.build(features), classRecord: record };
}

/** What the class record keeps of a configured extension: its class and meter ids. */
export const classEntry = (f: LoadedFeature): ClassEntry =>
  f.feature.meterIds === undefined
    ? { ownerClass: f.ownerClass }
    : { ownerClass: f.ownerClass, meterIds: f.feature.meterIds };
