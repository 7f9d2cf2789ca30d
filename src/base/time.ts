import { setTimeout as sleep } from "node:timers/promises";
import { TimeoutError } from "./errors.ts";

export { sleep };

/** Rejects with TimeoutError if `promise` does not settle within `ms`. The timer never keeps the process alive. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls `check` until it returns a value other than undefined, or throws TimeoutError. For waiting on
 * the outside world (a daemon's socket appearing), never for our own events.
 */
export async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<T> {
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new TimeoutError(options.what, options.timeoutMs);
    await sleep(options.intervalMs ?? 20);
  }
}
