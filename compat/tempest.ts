/**
 * `npm run compat`: OpenStack's own API tests (tempest's network API tests and neutron-tempest-plugin's
 * API tests, Debian's packages) against `weir server` behind a private Keystone. Writes
 * docs/COMPATIBILITY.md and fails (exit 1) when a test of compat/tempest-expected-pass.txt did not pass.
 *
 *   npm run compat                          the full selection, report, gate
 *   npm run compat -- --update              the same, then rewrite the expected-pass list from this run
 *   npm run compat -- --regex 'test_ports'  a subset (gated on the listed tests it selects; no report
 *                                           unless --report is given)
 *   --concurrency N (3 × CPUs, 2 to 8)  --time-limit-min M (30)  --keep (leave the run directory)  --expected FILE
 *
 * Everything lives in a run directory under the testbed run root (owner "compat"): Keystone's and the
 * server's pidfiles there let `weir testbed down --all`, or the next run, stop what a crashed run left.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { cpus, hostname, release, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import {
  defaultRunRoot,
  isAlive,
  keystoneInstalled,
  knownTestbeds,
  readPidfile,
  removeTestbed,
  testbedOwner,
  withCleanupOnSignal,
} from "../src/testbed/index.ts";
import { type CompatCloud, startCloud } from "./cloud.ts";
import { compare, readExpected, writeExpected } from "./expected.ts";
import { readGaps } from "./known-gaps.ts";
import { exchangeText, renderReport } from "./report.ts";
import { byModule, totals } from "./results.ts";
import { writeTempestConf } from "./tempest-conf.ts";
import { listTests, type RunningTempest, runTempest, TEMPEST } from "./tempest-run.ts";

const exec = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OWNER = "compat";
const TEMPEST_PIDFILE = "tempest.pid";

export const DEFAULT_SELECTION = {
  regex: "^(tempest\\.api\\.network|neutron_tempest_plugin\\.api)\\.",
  // Scenario tests boot servers; the plugin's other suites (bgpvpn, fwaas, sfc, …) are not under .api.
  excludeRegex: "\\.scenario\\.",
};

const say = (line: string) => process.stdout.write(`compat: ${line}\n`);

function usage(message: string): never {
  process.stderr.write(`compat: ${message}\n`);
  process.exit(2);
}

function options() {
  let parsed: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      options: {
        update: { type: "boolean", default: false },
        // Tempest's workers mostly wait: on the server, and 10 s in every subnet delete (tempest's subnets
        // client sleeps there, for ports that agents tear down late). Three per CPU keep the CPUs busy.
        concurrency: { type: "string", default: String(Math.min(8, Math.max(2, cpus().length * 3))) },
        "time-limit-min": { type: "string", default: "30" },
        regex: { type: "string" },
        "exclude-regex": { type: "string" },
        keep: { type: "boolean", default: false },
        report: { type: "string" },
        expected: { type: "string", default: join(root, "compat", "tempest-expected-pass.txt") },
      },
      strict: true,
      allowPositionals: false,
    });
  }
  try {
    parsed = parse();
  } catch (error) {
    usage(String((error as Error).message));
  }
  const v = parsed.values;
  const concurrency = Number(v.concurrency);
  const limitMin = Number(v["time-limit-min"]);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16)
    usage("--concurrency must be an integer from 1 to 16");
  if (!(limitMin > 0 && limitMin <= 240)) usage("--time-limit-min must be from 0 to 240");
  const full = v.regex === undefined && v["exclude-regex"] === undefined;
  if (v.update && !full) usage("--update rewrites the list from a full run: leave out --regex");
  return {
    update: v.update,
    concurrency,
    timeLimitS: limitMin * 60,
    selection: {
      regex: v.regex ?? DEFAULT_SELECTION.regex,
      excludeRegex: v["exclude-regex"] ?? DEFAULT_SELECTION.excludeRegex,
    },
    full,
    keep: v.keep,
    report: v.report ?? (full ? join(root, "docs", "COMPATIBILITY.md") : undefined),
    expected: v.expected,
  };
}

/** Stops a tempest a crashed run left in `dir` (by its pidfile, if its command line names `dir`). */
async function stopLeftoverTempest(dir: string): Promise<void> {
  const pid = await readPidfile(join(dir, TEMPEST_PIDFILE));
  if (pid === undefined || !(await isAlive(pid))) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  if (!cmdline.split("\0").some((arg) => arg.includes(dir))) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Gone.
  }
}

/** Removes what earlier runs of this command left (crashes): only run directories owned by "compat". */
async function sweep(): Promise<void> {
  for (const name of await knownTestbeds(defaultRunRoot)) {
    if ((await testbedOwner(defaultRunRoot, name)) !== OWNER) continue;
    await stopLeftoverTempest(join(defaultRunRoot, name, "tempest"));
    const removed = await removeTestbed(defaultRunRoot, name);
    say(`swept a crashed run's ${name}${removed.length > 0 ? `: ${removed.join(", ")}` : ""}`);
  }
}

async function packageVersion(name: string): Promise<string> {
  return exec("dpkg-query", ["-W", `-f=${"$"}{Version}`, name]).then(
    (r) => r.stdout.trim().replace(/^\d+:/, "") || "?",
    () => "?",
  );
}

async function facts() {
  const osRelease = await readFile("/etc/os-release", "utf8").catch(() => "");
  const distro = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osRelease)?.[1] ?? "Linux";
  const cpu = cpus();
  const commit = await exec("git", ["-C", root, "rev-parse", "--short", "HEAD"]).then(
    (r) => r.stdout.trim(),
    () => "?",
  );
  const dirty = await exec("git", ["-C", root, "status", "--porcelain", "--untracked-files=no"]).then(
    (r) => r.stdout.trim() !== "",
    () => false,
  );
  return {
    machine: `${hostname()}: ${cpu.length} × ${cpu[0]?.model.trim() ?? "CPU"}, ${Math.round(totalmem() / 2 ** 30)} GB, ${distro}, Linux ${release()}`,
    weirCommit: `${commit}${dirty ? " with uncommitted changes" : ""}`,
    versions: {
      tempest: await packageVersion("python3-tempest"),
      plugin: await packageVersion("neutron-tempest-plugin"),
      keystone: await packageVersion("keystone"),
    },
  };
}

async function main(): Promise<number> {
  const opts = options();
  const started = performance.now();
  if (process.getuid?.() !== 0) usage("run as root (the testbed run root is under /run)");
  for (const [what, ok] of [
    [
      TEMPEST,
      await readFile(TEMPEST).then(
        () => true,
        () => false,
      ),
    ],
    ["keystone", await keystoneInstalled()],
  ] as const)
    if (!ok) {
      process.stderr.write(
        `compat: ${what} is missing: WEIR_SETUP_TESTS=1 bash scripts/setup.sh installs it\n`,
      );
      return 1;
    }
  await sweep();
  const name = `tempest${[...randomBytes(4)].map((b) => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]).join("")}`;
  const runDir = join(defaultRunRoot, name);
  const workspace = join(runDir, "tempest");
  let cloud: CompatCloud | undefined;
  let tempest: RunningTempest | undefined;
  let cleaned = false;
  const cleanup = async () => {
    await tempest?.kill();
    await cloud?.stop().catch(() => {});
    if (opts.keep) {
      if (!cleaned) say(`kept ${runDir} (weir testbed down --name ${name} removes it)`);
      cleaned = true;
      return;
    }
    await removeTestbed(defaultRunRoot, name);
  };
  return withCleanupOnSignal(async () => {
    try {
      await mkdir(workspace, { recursive: true });
      await writeFile(join(runDir, "owner"), `${OWNER}\n`);
      cloud = await startCloud(runDir, say);
      const extensions = await cloud.extensions();
      const conf = await writeTempestConf({
        keystoneUrl: cloud.keystone.url,
        admin: { username: "admin", password: cloud.keystone.adminPassword, project: "admin" },
        extensions,
        workspace,
        publicNetwork: cloud.publicNetwork,
      });
      const listed = await listTests(workspace, conf, opts.selection);
      if (listed.length === 0) throw new Error(`tempest lists no test for ${opts.selection.regex}`);
      say(
        `running ${listed.length} tests, ${opts.concurrency} workers, time limit ${opts.timeLimitS / 60} min (${workspace})`,
      );
      tempest = runTempest(workspace, conf, opts.selection, {
        concurrency: opts.concurrency,
        timeLimitS: opts.timeLimitS,
        expected: listed.length,
        progress: say,
      });
      const running = tempest;
      await writeFile(join(workspace, TEMPEST_PIDFILE), `${running.pid}\n`);
      const outcome = await running.done;
      const { tests, fixtureFailures } = outcome.collector.finish(listed);
      const total = totals(tests);
      const wallS = (performance.now() - started) / 1000;
      say(
        `${tests.length} tests: ${total.pass} passed, ${total.fail} failed, ${total.skip} skipped; tempest took ${Math.round(outcome.wallS)} s (exit ${outcome.exitCode}), the run ${Math.round(wallS)} s`,
      );
      if (opts.report !== undefined) {
        const text = renderReport(
          {
            date: new Date(),
            ...(await facts()),
            concurrency: opts.concurrency,
            selection: opts.selection,
            extensions,
            wallS,
            tempestS: outcome.wallS,
            timedOut: outcome.timedOut,
            timeLimitS: opts.timeLimitS,
          },
          tests,
          byModule(tests),
          total,
          fixtureFailures,
          await readGaps(join(root, "compat", "known-gaps.txt")),
        );
        await writeFile(opts.report, text);
        say(`report: ${opts.report}`);
      }
      const expected = await readExpected(opts.expected);
      const { regressions, newlyPassing } = compare(expected, listed, tests, opts.full);
      if (newlyPassing.length > 0) {
        say(`newly passing (${newlyPassing.length}, not in ${opts.expected}):`);
        for (const id of newlyPassing) process.stdout.write(`  ${id}\n`);
      }
      if (opts.update) {
        const count = await writeExpected(opts.expected, tests);
        say(`wrote ${count} passing tests to ${opts.expected}`);
        return 0;
      }
      if (regressions.length > 0) {
        process.stderr.write(`compat: ${regressions.length} regressions (expected to pass, did not):\n`);
        const byId = new Map(tests.map((t) => [t.id, t]));
        for (const r of regressions) {
          process.stderr.write(`  ${r.id}: ${r.outcome}: ${r.why}\n`);
          const request = byId.get(r.id)?.request;
          if (request !== undefined) process.stderr.write(`    ${exchangeText(request)}\n`);
        }
        return 1;
      }
      say(`no regressions against ${expected.length} expected passes`);
      return 0;
    } finally {
      await cleanup();
    }
  }, cleanup);
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(
    `compat: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return 1;
});
