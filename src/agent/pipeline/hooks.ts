/** Calls a hook of every feature; one that throws is logged and the others are still called. */
import { describeError, type Log } from "../../base/index.ts";
import type { Feature } from "./feature.ts";
import type { LoadedFeature } from "./pipeline.ts";

export function callFeatures(
  features: readonly LoadedFeature[],
  log: Log,
  call: (feature: Feature) => void,
): void {
  for (const f of features) {
    try {
      call(f.feature);
    } catch (error) {
      log.warn({ feature: f.feature.name, error: describeError(error) }, "feature hook failed");
    }
  }
}
