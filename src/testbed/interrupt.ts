import { setTimeout as sleep } from "node:timers/promises";

/**
 * Runs `work`; if SIGINT/SIGTERM arrives meanwhile, runs `cleanup`, waits briefly for the interrupted work
 * to settle (a command in flight may still create something), runs `cleanup` again — it must be idempotent,
 * e.g. removal by owned name prefix — and exits 130. Handlers are removed afterwards.
 */
export async function withCleanupOnSignal<T>(
  work: () => Promise<T>,
  cleanup: () => Promise<unknown>,
): Promise<T> {
  const running = work();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\nweir: ${signal}: cleaning up…\n`);
    void (async () => {
      await cleanup().catch(() => {});
      await Promise.race([running.catch(() => {}), sleep(3_000)]);
      await cleanup().catch((error) => process.stderr.write(`weir: cleanup: ${String(error)}\n`));
      process.exit(130);
    })();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const value = await running;
    if (interrupted) await new Promise(() => {}); // the signal handler exits the process
    return value;
  } finally {
    if (!interrupted) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  }
}
