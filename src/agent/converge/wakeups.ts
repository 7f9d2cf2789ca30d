/**
 * The converger's timed wake-ups, each for its own reason and with its own timer: a failed pass retried
 * with backoff, a failed feature retried in a full pass, ports whose flows wait for confirmation looked at
 * again. One timer for all of them once let the short confirmation wake-up cancel the 30 s feature retry.
 * A reason already pending keeps its earlier deadline.
 */
export type WakeReason = "pass-failed" | "feature-failed" | "unconfirmed";

export class Wakeups {
  readonly #timers = new Map<WakeReason, { timer: NodeJS.Timeout; at: number }>();
  readonly #fire: (reason: WakeReason) => void;

  constructor(fire: (reason: WakeReason) => void) {
    this.#fire = fire;
  }

  /** Wakes for `reason` in `ms`, unless a wake-up for it is due sooner. */
  after(reason: WakeReason, ms: number): void {
    const at = performance.now() + ms;
    const pending = this.#timers.get(reason);
    if (pending !== undefined && pending.at <= at) return;
    if (pending !== undefined) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.#timers.delete(reason);
      this.#fire(reason);
    }, ms);
    timer.unref();
    this.#timers.set(reason, { timer, at });
  }

  pending(reason: WakeReason): boolean {
    return this.#timers.has(reason);
  }

  clear(): void {
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
