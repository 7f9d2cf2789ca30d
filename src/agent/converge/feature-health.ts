/**
 * Which features fail, and telling about it: a failure is logged when it starts or its error changes,
 * counted every time (weir_agent_feature_errors_total), and cleared only by a full pass that planned the
 * feature without error — a partial pass does not call it for everything it owns.
 */
import type { Log } from "../../base/index.ts";

export interface HealthListeners {
  /** A feature failed in a pass (every time). */
  readonly onFeatureError?: (feature: string) => void;
  /** A feature's status changed: failing with this error, or working again (undefined). */
  readonly onFeatureStatus?: (feature: string, error: string | undefined) => void;
}

export class FeatureHealth {
  readonly #failed = new Map<string, string>();
  readonly #log: Log;
  readonly #listeners: HealthListeners;

  constructor(log: Log, listeners: HealthListeners) {
    this.#log = log;
    this.#listeners = listeners;
  }

  get failed(): ReadonlyMap<string, string> {
    return this.#failed;
  }

  /** A pass's failures; true while any feature fails (a full pass is then retried later). */
  outcome(failures: ReadonlyMap<string, string>, full: boolean): boolean {
    for (const [name, error] of failures) {
      this.#listeners.onFeatureError?.(name);
      if (this.#failed.get(name) !== error) {
        this.#log.error(
          { feature: name, error },
          "feature failed: its flows stay as they were; every other feature goes on",
        );
        this.#listeners.onFeatureStatus?.(name, error);
      }
      this.#failed.set(name, error);
    }
    if (full) {
      for (const name of [...this.#failed.keys()]) {
        if (failures.has(name)) continue;
        this.#failed.delete(name);
        this.#log.info({ feature: name }, "feature works again");
        this.#listeners.onFeatureStatus?.(name, undefined);
      }
    }
    return this.#failed.size > 0;
  }
}
