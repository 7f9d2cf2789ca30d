import { Command, InvalidArgumentError as CommanderArgumentError, Option } from "commander";
import {
  defaultRunRoot,
  knownTestbeds,
  maxHosts,
  maxVmsPerHost,
  preflight,
  removeTestbed,
  Testbed,
  type TestbedInfo,
  testbedOwner,
  withCleanupOnSignal,
} from "../testbed/index.ts";

/** The testbed the commands use when no --name is given. */
const defaultName = "lab";

export function testbedCommand(): Command {
  const command = new Command("testbed").description(
    "namespaced Open vSwitch hosts and VMs on this machine (for the demo, tests and benchmarks)",
  );

  command
    .command("up")
    .description(
      "create a testbed: N hosts (own ovsdb-server + ovs-vswitchd, netdev datapath) and M VMs each",
    )
    .option("--name <name>", "testbed name: 1-12 lowercase letters/digits", defaultName)
    .option("--hosts <n>", `number of hosts (1-${maxHosts})`, integer, 2)
    .option(
      "--vms-per-host <m>",
      `VMs per host, plugged into br-int as Nova does (0-${maxVmsPerHost})`,
      integer,
      0,
    )
    .option("--json", "print the testbed as JSON")
    .addOption(
      new Option("--owner <owner>", "who made it (the test runner sweeps leftovers of 'test')")
        .default("user")
        .hideHelp(),
    )
    .action(
      async (options: { name: string; hosts: number; vmsPerHost: number; json?: boolean; owner: string }) => {
        await preflight();
        const testbed = await withCleanupOnSignal(
          () =>
            Testbed.up({
              name: options.name,
              hosts: options.hosts,
              vmsPerHost: options.vmsPerHost,
              owner: options.owner,
            }),
          () => removeTestbed(defaultRunRoot, options.name),
        );
        const info = testbed.describe();
        process.stdout.write(options.json ? `${JSON.stringify(info, null, 2)}\n` : describeTestbed(info));
      },
    );

  command
    .command("down")
    .description("remove a testbed and everything it made, also leftovers of a crashed run")
    .option("--name <name>", "testbed name", defaultName)
    .option("--all", "remove every testbed on this machine (everything named weir-*)")
    .action(async (options: { name: string; all?: boolean }) => {
      const names = options.all ? await knownTestbeds(defaultRunRoot) : [options.name];
      for (const name of names) {
        const removed = await Testbed.down(name);
        process.stdout.write(
          `testbed ${name}: removed ${removed.length === 0 ? "nothing (it did not exist)" : removed.join(", ")}\n`,
        );
      }
    });

  command
    .command("status")
    .description("show a testbed and whether its namespaces and daemons are alive (exit 1 if not)")
    .option("--name <name>", "testbed name", defaultName)
    .option("--json", "print as JSON")
    .action(async (options: { name: string; json?: boolean }) => {
      const testbed = await Testbed.open(options.name);
      const status = await testbed.status();
      if (options.json)
        process.stdout.write(`${JSON.stringify({ ...testbed.describe(), status }, null, 2)}\n`);
      else {
        process.stdout.write(describeTestbed(testbed.describe()));
        process.stdout.write(`\nstatus: ${status.healthy ? "healthy" : "NOT healthy"}\n`);
        for (const host of status.hosts) {
          process.stdout.write(
            `  ${host.name}: namespace ${host.namespace ? "up" : "MISSING"}, ovsdb-server ${host.ovsdbServerPid ?? "DOWN"}, ovs-vswitchd ${host.vswitchdPid ?? "DOWN"}\n`,
          );
        }
      }
      if (!status.healthy) process.exitCode = 1;
    });

  command
    .command("list")
    .description("list the testbeds on this machine")
    .action(async () => {
      for (const name of await knownTestbeds(defaultRunRoot)) {
        process.stdout.write(`${name}\t${(await testbedOwner(defaultRunRoot, name)) ?? "?"}\n`);
      }
    });

  return command;
}

export function describeTestbed(info: TestbedInfo): string {
  const lines = [`testbed ${info.name} (run directory ${info.runDir}, underlay ${info.underlay.cidr})`];
  for (const host of info.hosts) {
    lines.push(
      `  host ${host.name}: namespace ${host.namespace}, underlay ${host.underlayIp} on ${host.underlayBridge}, trunk ${host.trunkInterface}`,
      `    ovs-vsctl --db=${host.ovsdb} show`,
      `    ovs-ofctl dump-flows unix:${host.runDir}/${host.integrationBridge}.mgmt`,
      `    ovs-appctl -t ${host.vswitchdCtl} vlog/list`,
    );
  }
  for (const vm of info.vms) {
    lines.push(
      `  vm ${vm.name} on ${vm.host}: ${vm.ip}/${vm.prefixLength} ${vm.mac}, VIF ${vm.port} (iface-id ${vm.portId})`,
    );
    lines.push(`    ip netns exec ${vm.namespace} ping ...`);
  }
  lines.push(`remove it with: weir testbed down --name ${info.name}`);
  return `${lines.join("\n")}\n`;
}

export function integer(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new CommanderArgumentError("not a whole number");
  return n;
}
