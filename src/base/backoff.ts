/**
 * Exponential backoff with full jitter, so that many agents reconnecting to one restarted server do not
 * arrive in lock-step. Values are in milliseconds.
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
}

export const defaultBackoff: BackoffPolicy = { initialMs: 100, maxMs: 5_000, factor: 2 };

/** Delay before retry number `attempt` (0-based). `random` is injectable for tests. */
export function backoffDelay(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * policy.factor ** attempt);
  // Never below half the ceiling: a reconnect storm is spread out, but a single client still backs off.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
