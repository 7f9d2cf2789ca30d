import { InvalidArgumentError, WeirError } from "../base/index.ts";

/** Exit codes: 1 the operation failed, 2 the input (flags, config) was wrong and nothing was changed. */
export const ExitCode = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof InvalidArgumentError) return ExitCode.usage;
  if (error instanceof WeirError && error.code === "WEIR_PREFLIGHT") return ExitCode.usage;
  // Features that contradict each other: nothing was touched, as with a bad configuration.
  if (error instanceof WeirError && error.code === "WEIR_PIPELINE_INVALID") return ExitCode.usage;
  return ExitCode.failed;
}

export function reportError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`weir: ${message}\n`);
  if (!(error instanceof WeirError) && error instanceof Error && error.stack) {
    // Not one of ours: a bug. Show where.
    process.stderr.write(`${error.stack}\n`);
  }
}
