// Text the demo prints: who reaches whom (against who should), and what restarts cost.
import type { PairResult, ReachabilityCell, VmInfo } from "../testbed/index.ts";

export interface DemoVm {
  readonly vm: VmInfo;
  readonly network: string;
}

/** A row per VM: "yes" where it reaches the other, "no" where it does not; "!" marks a wrong answer. */
export function renderMatrix(vms: readonly DemoVm[], cells: readonly ReachabilityCell[]): string {
  const labels = vms.map((v) => `${v.vm.name} ${v.vm.ip} (${v.network})`);
  const width = Math.max(...labels.map((l) => l.length), "from \\ to".length);
  const names = vms.map((v) => v.vm.name);
  const column = Math.max(...names.map((n) => n.length), 5) + 1;
  const header = `${"from \\ to".padEnd(width)}  ${names.map((n) => n.padEnd(column)).join("")}`;
  const rows = vms.map((from, i) => {
    const marks = vms.map((to) => {
      if (to === from) return "-".padEnd(column);
      const reachable = cells.find((c) => c.from === from.vm.name && c.to === to.vm.name)?.reachable;
      const wrong = reachable !== (from.network === to.network);
      return `${reachable ? "yes" : "no"}${wrong ? "!" : ""}`.padEnd(column);
    });
    return `${labels[i]!.padEnd(width)}  ${marks.join("")}`;
  });
  return [header, ...rows].join("\n");
}

/** Pairs that answer differently from "same network reaches, other network does not". */
export function wrongCells(vms: readonly DemoVm[], cells: readonly ReachabilityCell[]): string[] {
  const network = new Map(vms.map((v) => [v.vm.name, v.network]));
  return cells
    .filter((c) => c.reachable !== (network.get(c.from) === network.get(c.to)))
    .map((c) => `${c.from}→${c.to} ${c.reachable ? "reaches across networks" : "does not reach"}`);
}

export function renderLoss(results: readonly PairResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length), 4);
  const header = `${"path".padEnd(width)}  ${"sent".padStart(7)}  ${"lost".padStart(5)}  longest gap`;
  const rows = results.map(
    ({ name, result }) =>
      `${name.padEnd(width)}  ${String(result.sent).padStart(7)}  ${String(result.lost).padStart(5)}  ${result.longestGapMs.toFixed(1)} ms`,
  );
  return [header, ...rows].join("\n");
}
