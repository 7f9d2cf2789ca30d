// node --test global setup for the real-OVS tests: fail fast, with the reason, when this machine cannot run
// Open vSwitch (never skip), and sweep what crashed earlier runs of the tests left behind.
import {
  defaultRunRoot,
  knownTestbeds,
  preflight,
  removeTestbed,
  testbedOwner,
} from "../../src/testbed/index.ts";
import { testOwner } from "./ovs.ts";

async function sweep(): Promise<void> {
  for (const name of await knownTestbeds(defaultRunRoot)) {
    if ((await testbedOwner(defaultRunRoot, name)) === testOwner) {
      const removed = await removeTestbed(defaultRunRoot, name);
      if (removed.length > 0)
        process.stderr.write(`swept leftovers of test testbed ${name}: ${removed.join(", ")}\n`);
    }
  }
}

export async function globalSetup(): Promise<void> {
  await preflight();
  await sweep();
}

export async function globalTeardown(): Promise<void> {
  await sweep();
}
