import { Command } from "commander";
import {
  defaultRunRoot,
  knownTestbeds,
  preflight,
  type ReachabilityCell,
  reachabilityMatrix,
  removeTestbed,
  Testbed,
  testbedOwner,
  wirePlainVxlan,
} from "../testbed/index.ts";
import { withCleanupOnSignal } from "./interrupt.ts";
import { Progress } from "./progress.ts";
import { describeTestbed } from "./testbed-command.ts";

const demoOwner = "demo";

export function demoCommand(): Command {
  return new Command("demo")
    .description(
      "show Weir's testbed working: two hosts with two VMs each, joined over VXLAN, and who reaches whom",
    )
    .option("--name <name>", "testbed name", "demo")
    .option("--keep", "leave the testbed running and print how to look around")
    .action(async (options: { name: string; keep?: boolean }) => {
      await preflight();
      const progress = new Progress();
      const cleanup = () => removeTestbed(defaultRunRoot, options.name);
      const ok = await withCleanupOnSignal(async () => {
        await removeOwnLeftovers(options.name, progress);
        try {
          return await runDemo(options.name, progress, options.keep ?? false);
        } catch (error) {
          await cleanup();
          throw error;
        }
      }, cleanup);
      if (!ok) process.exitCode = 1;
    });
}

async function runDemo(name: string, progress: Progress, keep: boolean): Promise<boolean> {
  const testbed = await progress.step(
    "starting a testbed: 2 hosts (ovsdb-server + ovs-vswitchd each), 2 VMs per host",
    () => Testbed.up({ name, hosts: 2, vmsPerHost: 2, owner: demoOwner }),
    (t) => t.info.hosts.map((h) => `${h.name} ${h.underlayIp}`).join(", "),
  );
  await progress.step("joining the hosts' br-int over VXLAN (plain MAC learning, no agent yet)", () =>
    wirePlainVxlan(testbed.info.hosts),
  );
  const matrix = await progress.step("probing every VM pair with ICMP", () =>
    reachabilityMatrix(testbed.vms),
  );
  progress.line();
  progress.line(
    renderMatrix(
      testbed.vms.map((vm) => `${vm.name} ${vm.ip}`),
      matrix,
    ),
  );
  const failed = matrix.filter((cell) => !cell.reachable);
  progress.line();
  progress.line(
    failed.length === 0
      ? `all ${matrix.length} VM pairs reach each other, within a host and across hosts over VXLAN`
      : `${failed.length} of ${matrix.length} VM pairs do NOT reach each other: ${failed.map((c) => `${c.from}→${c.to}`).join(", ")}`,
  );
  if (keep) {
    progress.line();
    progress.line(describeTestbed(testbed.describe()));
  } else {
    await progress.step("removing the testbed", () => testbed.down());
  }
  return failed.length === 0;
}

/** A testbed of this name left by an earlier demo (crashed or --keep) is ours to replace. */
async function removeOwnLeftovers(name: string, progress: Progress): Promise<void> {
  if (!(await knownTestbeds(defaultRunRoot)).includes(name)) return;
  if ((await testbedOwner(defaultRunRoot, name)) !== demoOwner) return; // Testbed.up reports the clash
  await progress.step(`removing the previous demo testbed ${name}`, () =>
    removeTestbed(defaultRunRoot, name),
  );
}

function renderMatrix(labels: readonly string[], cells: readonly ReachabilityCell[]): string {
  const names = labels.map((label) => label.split(" ")[0]!);
  const width = Math.max(...labels.map((l) => l.length));
  const header = `${"from \\ to".padEnd(width)}  ${names.map((n) => n.padEnd(7)).join(" ")}`;
  const rows = labels.map((label, i) => {
    const marks = names.map((to) => {
      if (to === names[i]) return "-".padEnd(7);
      const cell = cells.find((c) => c.from === names[i] && c.to === to);
      return (cell?.reachable ? "yes" : "NO").padEnd(7);
    });
    return `${label.padEnd(width)}  ${marks.join(" ")}`;
  });
  return [header, ...rows].join("\n");
}
