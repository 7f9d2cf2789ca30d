import { execFile } from "node:child_process";
import { WeirError } from "../base/index.ts";

/** A command the testbed ran failed; the message carries the command line and its stderr. */
export class CommandError extends WeirError {
  readonly command: string;
  readonly exitCode: number | null;
  readonly stderr: string;

  constructor(command: string, exitCode: number | null, stderr: string, options?: { cause?: unknown }) {
    super(
      "WEIR_COMMAND_FAILED",
      `${command} failed (exit ${exitCode}): ${stderr.trim() || "no output"}`,
      options,
    );
    this.command = command;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

export interface RunOptions {
  /** Run inside this network namespace (ip netns exec). */
  readonly netns?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/** Runs a program (no shell) and returns its stdout; throws CommandError on failure. */
export function run(program: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const argv =
    options.netns === undefined
      ? [program, ...args]
      : ["ip", "netns", "exec", options.netns, program, ...args];
  const command = argv.join(" ");
  return new Promise((resolve, reject) => {
    execFile(
      argv[0]!,
      argv.slice(1),
      {
        env: options.env === undefined ? process.env : { ...process.env, ...options.env },
        timeout: options.timeoutMs ?? 30_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error === null) resolve(stdout);
        else {
          const code = typeof error.code === "number" ? error.code : null;
          reject(new CommandError(command, code, stderr || error.message, { cause: error }));
        }
      },
    );
  });
}

/** Runs `ip ARGS` (in `netns` if given). */
export function ip(args: readonly string[], netns?: string): Promise<string> {
  return run("ip", netns === undefined ? args : ["-n", netns, ...args]);
}
