import { sleep } from "../base/index.ts";
import { type ProbeResult, startEchoResponder, startProbe } from "./probe.ts";
import type { VmInfo } from "./vm.ts";

export interface ProbePair {
  readonly name: string;
  readonly from: VmInfo;
  readonly to: VmInfo;
}

export interface PairResult {
  readonly name: string;
  readonly result: ProbeResult;
}

/**
 * Runs `during` while every pair is probed (UDP, sequence-numbered, paced on a fixed schedule) and
 * returns each pair's result. Probing starts `marginMs` before and ends `marginMs` after `during`, so a
 * loss right at either edge is still seen. Probers and responders stop, whatever happens, after
 * `maxSeconds`.
 */
export async function probePairs(
  pairs: readonly ProbePair[],
  during: () => Promise<void>,
  options: { intervalUs?: number; marginMs?: number; maxSeconds?: number } = {},
): Promise<PairResult[]> {
  const maxSeconds = options.maxSeconds ?? 600;
  const marginMs = options.marginMs ?? 300;
  const responders = await Promise.all(pairs.map((p) => startEchoResponder(p.to, maxSeconds)));
  try {
    const probes = await Promise.all(
      pairs.map((p) => startProbe(p.from, p.to.ip, { intervalUs: options.intervalUs ?? 1000, maxSeconds })),
    );
    let results: ProbeResult[] = [];
    try {
      await sleep(marginMs);
      await during();
      await sleep(marginMs);
    } finally {
      results = await Promise.all(probes.map((p) => p.stop()));
    }
    return pairs.map((p, i) => ({ name: p.name, result: results[i]! }));
  } finally {
    await Promise.all(responders.map((r) => r.stop()));
  }
}
