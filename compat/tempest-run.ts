/**
 * Runs Debian's tempest (`/usr/bin/tempest run`, stestr underneath) in a workspace: lists the selected
 * tests, then runs them with `--subunit`, reading the stream as it comes (progress, and what finished
 * before a time limit), keeping a copy in `results.subunit`. Tempest runs in its own process group, which
 * is killed at the time limit or when stopped.
 */
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { promisify } from "node:util";
import { WeirError } from "../src/base/index.ts";
import { ResultCollector } from "./results.ts";
import { SubunitReader } from "./subunit.ts";

const run = promisify(execFile);
export const TEMPEST = "/usr/bin/tempest";
const STESTR = "/usr/bin/stestr";

export interface Selection {
  /** stestr's selection regex. */
  readonly regex: string;
  readonly excludeRegex: string;
}

/** Debian's python, not one first on PATH (pyenv's, a virtualenv's): tempest is installed for it. */
function tempestEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `/usr/bin:/bin:${process.env.PATH ?? ""}`,
    PYTHON: "/usr/bin/python3",
    PYTHONDONTWRITEBYTECODE: "1",
  };
}

function selectionArgs(conf: string, s: Selection): string[] {
  return ["run", "--config-file", conf, "--regex", s.regex, "--exclude-regex", s.excludeRegex];
}

/** Makes the stestr repository and lists the tests the selection takes (ids with their attributes). */
export async function listTests(workspace: string, conf: string, s: Selection): Promise<string[]> {
  await run(STESTR, ["init"], { cwd: workspace, env: tempestEnv() }).catch((error: { stderr?: string }) => {
    if (!String(error.stderr ?? "").includes("already exists")) throw error;
  });
  const { stdout } = await run(TEMPEST, [...selectionArgs(conf, s), "--list-tests"], {
    cwd: workspace,
    env: tempestEnv(),
    maxBuffer: 64 * 1024 * 1024,
    timeout: 300_000,
  });
  return stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^[a-z_][\w.]*\.\w+(\[.*\])?$/.test(l));
}

export interface TempestRunResult {
  readonly collector: ResultCollector;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly wallS: number;
}

export interface RunningTempest {
  readonly pid: number;
  readonly done: Promise<TempestRunResult>;
  /** Kills tempest's process group (SIGTERM, SIGKILL after 5 s); resolves when it exited. */
  kill(): Promise<void>;
}

export function runTempest(
  workspace: string,
  conf: string,
  s: Selection,
  options: {
    concurrency: number;
    timeLimitS: number;
    expected: number;
    progress: (line: string) => void;
  },
): RunningTempest {
  const started = performance.now();
  const child = spawn(
    TEMPEST,
    [...selectionArgs(conf, s), "--concurrency", String(options.concurrency), "--subunit"],
    {
      cwd: workspace,
      env: tempestEnv(),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  if (child.pid === undefined) throw new WeirError("WEIR_COMPAT_SPAWN", `could not start ${TEMPEST}`);
  const pid = child.pid;
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const kill = async () => {
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-pid, signal);
      } catch {
        // Gone already.
      }
    };
    if (!gone) signalGroup("SIGTERM");
    const timer = setTimeout(() => signalGroup("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
    signalGroup("SIGKILL"); // workers the runner left behind
  };

  const reader = new SubunitReader();
  const collector = new ResultCollector();
  const copy = createWriteStream(join(workspace, "results.subunit"));
  const stderr = createWriteStream(join(workspace, "tempest-run.stderr"));
  child.stderr.pipe(stderr);
  const counts = { pass: 0, fail: 0, skip: 0 };
  let lastReport = 0;
  child.stdout.on("data", (chunk: Buffer) => {
    copy.write(chunk);
    for (const event of reader.push(chunk)) {
      const finished = collector.add(event);
      if (finished === undefined || /^(setUp|tearDown)(Class|Module) /.test(finished.id)) continue;
      const kind =
        finished.status === "success" || finished.status === "xfail"
          ? "pass"
          : finished.status === "skip"
            ? "skip"
            : "fail";
      counts[kind]++;
      const done = counts.pass + counts.fail + counts.skip;
      if (performance.now() - lastReport > 30_000) {
        lastReport = performance.now();
        const elapsed = Math.round((performance.now() - started) / 1000);
        options.progress(
          `${done}/${options.expected} reported in ${elapsed} s: ${counts.pass} passed, ${counts.fail} failed, ${counts.skip} skipped`,
        );
      }
    }
  });
  let timedOut = false;
  const limit = setTimeout(() => {
    timedOut = true;
    options.progress(`time limit of ${options.timeLimitS} s reached: stopping tempest`);
    void kill();
  }, options.timeLimitS * 1000);

  const done = (async (): Promise<TempestRunResult> => {
    const [code] = await exited;
    clearTimeout(limit);
    // stdout may still hold data after the exit; the pipe ends stderr's copy itself.
    await finished(child.stdout).catch(() => {});
    reader.end();
    copy.end();
    await Promise.all([finished(copy), finished(stderr)]).catch(() => {});
    return { collector, exitCode: code, timedOut, wallS: (performance.now() - started) / 1000 };
  })();
  return { pid, done, kill };
}
