import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { defaultRunRoot, removeTestbed, type TestbedInfo } from "../../src/testbed/index.ts";
import { testName, testOwner } from "../support/ovs.ts";

const weir = new URL("../../bin/weir", import.meta.url).pathname;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(weir, args, { timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

test("weir testbed up --json, status, down: as a user runs them", async (t) => {
  const name = testName();
  t.after(() => removeTestbed(defaultRunRoot, name));
  const up = await cli([
    "testbed",
    "up",
    "--name",
    name,
    "--hosts",
    "2",
    "--vms-per-host",
    "1",
    "--json",
    "--owner",
    testOwner,
  ]);
  assert.equal(up.code, 0, up.stderr);
  const info = JSON.parse(up.stdout) as TestbedInfo;
  assert.equal(info.hosts.length, 2);
  assert.equal(info.vms.length, 2);
  for (const host of info.hosts) {
    assert.ok(
      host.namespace &&
        host.runDir &&
        host.ovsdb.startsWith("unix:") &&
        host.underlayIp.startsWith("198.18."),
    );
  }
  for (const vm of info.vms)
    assert.ok(vm.namespace && vm.mac && vm.ip.startsWith("198.19.") && vm.host && vm.port);

  const status = await cli(["testbed", "status", "--name", name]);
  assert.equal(status.code, 0, status.stdout + status.stderr);
  assert.match(status.stdout, /status: healthy/);

  const again = await cli(["testbed", "up", "--name", name, "--hosts", "1"]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, new RegExp(`testbed ${name} already exists`));

  const down = await cli(["testbed", "down", "--name", name]);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stdout, /removed .*namespace/);
  const gone = await cli(["testbed", "status", "--name", name]);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /no testbed named/);
});

test("bad flags exit 2 with a message and create nothing", async () => {
  const name = testName();
  const cases: [string[], RegExp][] = [
    [["testbed", "up", "--name", name, "--hosts", "two"], /not a whole number/],
    [["testbed", "up", "--name", "Has-Caps"], /must be 1-12 lowercase letters/],
    [
      ["testbed", "up", "--name", name, "--vms-per-host", "201"],
      /vms-per-host: must be an integer from 0 to 200/,
    ],
    [["testbed", "status", "--name", "no_such"], /must be 1-12 lowercase letters/],
    [["frobnicate"], /unknown command 'frobnicate'/],
  ];
  for (const [args, message] of cases) {
    const result = await cli(args);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
  const list = await cli(["testbed", "list"]);
  assert.equal(list.stdout.includes(name), false);
});
