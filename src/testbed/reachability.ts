import { sleep } from "../base/index.ts";
import { run } from "./exec.ts";
import type { VmInfo } from "./vm.ts";

/**
 * Whether `from` gets an ICMP echo reply from `toIp` before `deadlineSeconds`. Each try is one echo with a
 * one-second wait; tries repeat until the deadline because a try can also end early with "destination
 * unreachable" (the VM kernel's failed ARP entry from an earlier try). A functional check, not a loss
 * measurement — iputils ping is unsuitable for that (shared/reference/ovn-measured.md).
 */
export async function reaches(from: VmInfo, toIp: string, deadlineSeconds = 3): Promise<boolean> {
  const deadline = performance.now() + deadlineSeconds * 1000;
  do {
    const started = performance.now();
    try {
      await run("ping", ["-n", "-q", "-c", "1", "-W", "1", toIp], {
        netns: from.namespace,
        timeoutMs: 3_000,
      });
      return true;
    } catch {
      // No reply this time: wait out the rest of this one-second try before the next.
      const rest = 1000 - (performance.now() - started);
      if (rest > 0) await sleep(Math.min(rest, deadline - performance.now()));
    }
  } while (performance.now() < deadline);
  return false;
}

export interface ReachabilityCell {
  readonly from: string;
  readonly to: string;
  readonly reachable: boolean;
}

/** Every ordered pair of VMs, probed concurrently. */
export async function reachabilityMatrix(vms: readonly VmInfo[]): Promise<ReachabilityCell[]> {
  const pairs = vms.flatMap((from) => vms.filter((to) => to !== from).map((to) => [from, to] as const));
  return Promise.all(
    pairs.map(async ([from, to]) => ({
      from: from.name,
      to: to.name,
      reachable: await reaches(from, to.ip),
    })),
  );
}
