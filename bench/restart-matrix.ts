// Runs the restart scenarios while three VM paths are probed at 1 ms and a TCP stream runs, on a fresh
// two-host lab per variant (how many idle ports load the host). Used by `npm run bench -- restarts` (full)
// and by the test suite (a short run that asserts zero loss for the agent's own restarts).
import { sleep } from "../src/base/index.ts";
import {
  makeFirewallPriorityVariant,
  type PairResult,
  type PreviousRelease,
  probePairs,
  startTcpStream,
  type TcpStreamResult,
  unpackPreviousRelease,
  type VariantBuild,
} from "../src/testbed/index.ts";
import { type BenchLab, probedPaths, withBenchLab } from "./bench-lab.ts";
import { type Scenario, scenarios } from "./restart-scenarios.ts";
import { percentile } from "./stats.ts";

export interface MatrixOptions {
  /** Idle ports on h1 per variant, e.g. [0, 1000]. */
  readonly variants: readonly number[];
  /** Scenario names to run (default all). */
  readonly only?: readonly string[];
  /** Repetitions of each scenario (default each scenario's own). */
  readonly repeats?: number;
  /** Skip scenarios that need more idle ports than the variant has (CI). */
  readonly skipHeavy?: boolean;
  /** The TCP stream's cap; 0 for none. */
  readonly tcpMbps?: number;
  readonly log?: (line: string) => void;
  /** The testbed's name and owner (tests use their own, so the test sweep finds leftovers). */
  readonly testbed?: { name: string; owner: string };
  /** QoS on every probed port (default): its flows, meters and OVSDB rows are in play in every restart. */
  readonly qos?: boolean;
  /**
   * The firewall on (default): firewall_driver = openvswitch, the probed ports in the default group, so
   * every probe and the TCP stream pass conntrack and the rules during every restart.
   */
  readonly firewall?: boolean;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly title: string;
  readonly idlePorts: number;
  readonly runs: number;
  readonly agentRestart: boolean;
  readonly sent: number;
  readonly lost: number;
  readonly longestGapMs: number;
  /** Per path. */
  readonly pairs: readonly PairResult[];
  readonly tcp: TcpStreamResult | undefined;
  /** Steady TCP throughput (median of the 100 ms intervals) and the lowest interval. */
  readonly tcpMedianMbps: number | undefined;
  readonly tcpMinMbps: number | undefined;
  readonly markers: readonly { atMs: number; label: string }[];
  readonly wallMs: number;
  /** Set when the scenario could not run to the end (the row says why instead of a measurement). */
  readonly error?: string;
}

const defaultTestbed = { name: "benchrst", owner: "bench" };

export async function runRestartMatrix(options: MatrixOptions): Promise<ScenarioResult[]> {
  const log = options.log ?? (() => {});
  const selected = scenarios.filter((s) => options.only === undefined || options.only.includes(s.name));
  const results: ScenarioResult[] = [];
  const previous = await unpackPreviousRelease();
  const variant = await makeFirewallPriorityVariant();
  try {
    // Variants, and the heavy scenarios on a lab of their own with the ports they need.
    const labs: { idle: number; list: Scenario[] }[] = options.variants.map((idle) => ({
      idle,
      list: selected.filter((s) => (s.idlePorts ?? 0) <= idle),
    }));
    if (!options.skipHeavy) {
      for (const s of selected) {
        const need = s.idlePorts ?? 0;
        if (need > Math.max(...options.variants)) labs.push({ idle: need, list: [s] });
      }
    }
    for (const { idle, list } of labs) {
      if (list.length === 0) continue;
      log(`lab: 2 hosts, ${idle} idle ports on h1`);
      const { name, owner } = options.testbed ?? defaultTestbed;
      await withBenchLab(
        name,
        2,
        async (lab) => {
          const paths = await probedPaths(lab, idle, { qos: options.qos ?? true });
          for (const scenario of list) {
            const repeats = options.repeats ?? scenario.repeats;
            const result = await runScenarioOrFailure(
              lab,
              paths,
              scenario,
              repeats,
              idle,
              options.tcpMbps ?? 100,
              previous,
              variant,
            );
            if (result.error !== undefined) log(`  ${scenario.name}: FAILED: ${result.error}`);
            else
              log(
                `  ${scenario.name} ×${repeats}: sent ${result.sent}, lost ${result.lost}, longest gap ${result.longestGapMs.toFixed(1)} ms${result.tcpMinMbps === undefined ? "" : `, TCP ${result.tcpMedianMbps?.toFixed(0)}→${result.tcpMinMbps.toFixed(0)} Mbit/s`} (${(result.wallMs / 1000).toFixed(1)} s)`,
              );
            results.push(result);
          }
        },
        owner,
        {
          extensions: options.qos === false ? [] : ["qos"],
          firewallDriver: options.firewall === false ? "noop" : "openvswitch",
        },
      );
    }
  } finally {
    await previous.remove();
    await variant.remove();
  }
  return results;
}

/** A scenario that throws becomes a row with its error, so one failure does not lose the whole run. */
async function runScenarioOrFailure(...args: Parameters<typeof runScenario>): Promise<ScenarioResult> {
  const [, , scenario, repeats, idlePorts] = args;
  try {
    return await runScenario(...args);
  } catch (error) {
    return result(scenario, repeats, idlePorts, {
      pairs: [],
      tcp: undefined,
      markers: [],
      wallMs: 0,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/** The row: what was measured, and the totals derived from it. */
function result(
  scenario: Scenario,
  runs: number,
  idlePorts: number,
  measured: Pick<ScenarioResult, "pairs" | "tcp" | "markers" | "wallMs" | "error">,
): ScenarioResult {
  const { pairs, tcp } = measured;
  const steady = tcp?.intervals.slice(3).map((iv) => iv.mbps) ?? []; // past TCP's slow start
  return {
    scenario: scenario.name,
    title: scenario.title,
    idlePorts,
    runs,
    agentRestart: scenario.agentRestart,
    sent: pairs.reduce((n, p) => n + p.result.sent, 0),
    lost: pairs.reduce((n, p) => n + p.result.lost, 0),
    longestGapMs: Math.max(0, ...pairs.map((p) => p.result.longestGapMs)),
    tcpMedianMbps: steady.length > 0 ? percentile(steady, 50) : undefined,
    tcpMinMbps: steady.length > 0 ? Math.min(...steady) : undefined,
    ...measured,
  };
}

async function runScenario(
  lab: BenchLab,
  paths: Awaited<ReturnType<typeof probedPaths>>,
  scenario: Scenario,
  repeats: number,
  idlePorts: number,
  tcpMbps: number,
  previous: PreviousRelease,
  variant: VariantBuild,
): Promise<ScenarioResult> {
  const markers: { atMs: number; label: string }[] = [];
  const ctx = { lab, previous, variant, mark: (label: string) => markers.push({ atMs: Date.now(), label }) };
  const started = performance.now();
  const maxSeconds = 900;
  const tcp =
    tcpMbps > 0
      ? await startTcpStream(paths.tcp.from, paths.tcp.to, { mbps: tcpMbps, maxSeconds })
      : undefined;
  let tcpResult: TcpStreamResult | undefined;
  let pairs: PairResult[];
  try {
    await sleep(500); // TCP past slow start before the probes' baseline begins
    pairs = await probePairs(
      paths.pairs,
      async () => {
        for (let i = 0; i < repeats; i++) {
          await scenario.run(ctx, i);
          await sleep(500);
        }
      },
      { intervalUs: 1000, marginMs: 500, maxSeconds },
    );
  } finally {
    tcpResult = await tcp?.stop();
  }
  return result(scenario, repeats, idlePorts, {
    pairs,
    tcp: tcpResult,
    markers,
    wallMs: performance.now() - started,
  });
}
