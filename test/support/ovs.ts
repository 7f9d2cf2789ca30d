// Real Open vSwitch for integration tests: every instance lives under the testbed run root with owner "test",
// so that a crashed test run's leftovers are swept by the next run (test/support/global-setup.ts).
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { OvsdbClient } from "../../src/ovsdb/index.ts";
import {
  defaultRunRoot,
  type OvsPaths,
  ovsPaths,
  removeTestbed,
  startOvsdbServer,
  Testbed,
  type TestbedSpec,
} from "../../src/testbed/index.ts";

export const testOwner = "test";

/** A fresh name: "t" + 6 random characters (testbed names are 1-12 of [a-z0-9]). */
export function testName(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return `t${[...randomBytes(6)].map((b) => alphabet[b % alphabet.length]).join("")}`;
}

/** A testbed removed when the test ends, pass or fail. */
export async function testbed(t: TestContext, spec: Omit<TestbedSpec, "name" | "owner">): Promise<Testbed> {
  const name = testName();
  t.after(() => removeTestbed(defaultRunRoot, name));
  return Testbed.up({ ...spec, name, owner: testOwner });
}

/** A bare ovsdb-server (no vswitchd, root namespace) with a unix socket and a TCP listener on loopback. */
export async function ovsdbServer(t: TestContext): Promise<OvsPaths> {
  const name = testName();
  const dir = join(defaultRunRoot, name);
  t.after(() => removeTestbed(defaultRunRoot, name));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "owner"), `${testOwner}\n`);
  const paths = ovsPaths(join(dir, "db"));
  await startOvsdbServer(paths, { remotes: ["ptcp:0:127.0.0.1"] });
  return paths;
}

/** A client closed when the test ends. */
export async function client(t: TestContext, endpoint: string, probeIntervalMs = 0): Promise<OvsdbClient> {
  const c = await OvsdbClient.connect({
    endpoint,
    probeIntervalMs,
    backoff: { initialMs: 20, maxMs: 200, factor: 2 },
    waitMs: 5_000,
  });
  t.after(() => c.close());
  return c;
}
