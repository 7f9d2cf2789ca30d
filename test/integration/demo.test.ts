// `weir demo`, as the README's first command runs it: the whole system on one host, with real OVS, a real
// server and real agents; the restarts it shows must lose nothing, and it must leave nothing behind —
// after a normal run, after Ctrl-C, and after --keep once the user runs the printed stop command.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { waitFor } from "../../src/base/index.ts";
import { defaultRunRoot, isAlive, knownTestbeds, removeTestbed } from "../../src/testbed/index.ts";
import { testName } from "../support/ovs.ts";

const weir = new URL("../../bin/weir", import.meta.url).pathname;

function cli(args: string[], timeout = 300_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(weir, args, { timeout }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

async function pidsIn(runDir: string): Promise<number[]> {
  const files = ["h1/agent.pid", "h2/agent.pid", "server/weir-server.pid"];
  const pids = await Promise.all(
    files.map((f) =>
      readFile(join(runDir, f), "utf8").then(
        (text) => Number(text.trim()),
        () => 0,
      ),
    ),
  );
  return pids.filter((pid) => pid > 0);
}

test("weir demo: VLAN and VXLAN VMs reach within their network only; 6 agent restarts lose nothing; nothing left", async (t) => {
  const name = testName();
  t.after(() => removeTestbed(defaultRunRoot, name));
  const demo = await cli(["demo", "--name", name]);
  assert.equal(demo.code, 0, demo.stdout + demo.stderr);
  assert.match(demo.stdout, /✓ waiting for the server to show every port ACTIVE/);
  // Every VM took its address by DHCP from its host's agent, with the subnet's router and DNS and the
  // network's MTU (VXLAN's 1450).
  assert.match(
    demo.stdout,
    /h1-vm1: 198\.19\.1\.1 mask 255\.255\.0\.0, router 198\.19\.0\.1, DNS 198\.19\.0\.53, MTU 1500,/,
  );
  assert.match(
    demo.stdout,
    /h2-vm4: 198\.19\.2\.2 mask 255\.255\.0\.0, router 198\.19\.0\.1, DNS 198\.19\.0\.53, MTU 1450,/,
  );
  // The VXLAN VMs' kernels took their ports' EUI-64 addresses from the agents' router advertisements.
  for (const vm of ["h1-vm2", "h2-vm4"])
    assert.match(
      demo.stdout,
      new RegExp(
        `${vm}: 2001:db8:2:0:[0-9a-f:]+/64 \\(its port's EUI-64 address\\), prefix 2001:db8:2::/64 on-link`,
      ),
    );
  assert.match(demo.stdout, /h1-vm2 reaches h2-vm4 at 2001:db8:2:0:[0-9a-f:]+ across hosts\./);
  assert.doesNotMatch(demo.stdout, /WRONG/);
  assert.match(
    demo.stdout,
    /VMs on the same network reach each other across hosts; the two networks are isolated/,
  );
  assert.doesNotMatch(demo.stdout, /yes!|no!/, "no cell of the matrix is wrong");
  // Six restarts, each reported by the new agent's start-up report without disruption.
  assert.equal(demo.stdout.match(/round \d: SIG(TERM|KILL) h\d's agent, new one converged/g)?.length, 6);
  assert.doesNotMatch(demo.stdout, /DISRUPTED/);
  assert.match(demo.stdout, /6 agent restarts, 0 packets lost\./);
  assert.match(demo.stdout, /h1-vm2 → h2-web: TCP 80 passes, TCP 22 blocked, ping blocked/);
  assert.match(
    demo.stdout,
    /TCP connection h1-vm2 → h2-web:80 through both firewalls lived through every restart/,
  );
  // Every probed path carried traffic: thousands sent, none lost.
  const rows = [...demo.stdout.matchAll(/across hosts\)\s+(\d+)\s+(\d+)\s/g)];
  assert.equal(rows.length, 2);
  for (const [, sent, lost] of rows) {
    assert.ok(Number(sent) > 1000, `sent ${sent}`);
    assert.equal(Number(lost), 0);
  }
  assert.equal((await knownTestbeds(defaultRunRoot)).includes(name), false, "the demo removed everything");
});

test("weir demo --keep leaves a working cloud that `weir testbed down` stops completely", async (t) => {
  const name = testName();
  t.after(() => removeTestbed(defaultRunRoot, name));
  const demo = await cli(["demo", "--name", name, "--keep"]);
  assert.equal(demo.code, 0, demo.stdout + demo.stderr);
  const endpoint = /--os-endpoint (http:\/\/127\.0\.0\.1:\d+)/.exec(demo.stdout)?.[1];
  assert.ok(endpoint, demo.stdout);
  assert.match(demo.stdout, new RegExp(`weir testbed down --name ${name}`));
  // The demo process has exited; the server and both agents still run.
  const runDir = join(defaultRunRoot, name);
  const pids = await pidsIn(runDir);
  assert.equal(pids.length, 3, "server and two agents have pidfiles");
  for (const pid of pids) assert.ok(await isAlive(pid), `pid ${pid} runs`);
  const networks = (await (await fetch(`${endpoint}/v2.0/networks`)).json()) as {
    networks: { name: string }[];
  };
  assert.deepEqual(networks.networks.map((n) => n.name).sort(), ["demo-vlan", "demo-vxlan"]);
  const agents = (await (await fetch(`${endpoint}/v2.0/agents`)).json()) as { agents: { alive: boolean }[] };
  assert.equal(agents.agents.filter((a) => a.alive).length, 2, "both agents report to the server");

  const down = await cli(["testbed", "down", "--name", name]);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stdout, /agent \d+/);
  assert.match(down.stdout, /server \d+/);
  for (const pid of pids) assert.equal(await isAlive(pid), false, `pid ${pid} stopped`);
  assert.equal((await knownTestbeds(defaultRunRoot)).includes(name), false);
});

test("Ctrl-C during weir demo cleans up everything it started", async (t) => {
  const name = testName();
  t.after(() => removeTestbed(defaultRunRoot, name));
  const child = spawn(weir, ["demo", "--name", name], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout.on("data", (chunk) => {
    stdout += String(chunk);
  });
  const exited = once(child, "exit");
  // Interrupt once the agents run: the moment with the most to clean up.
  await waitFor(async () => (stdout.includes("✓ starting weir agent on h2") ? true : undefined), {
    timeoutMs: 120_000,
    what: "the demo's agents started",
  });
  const pids = await pidsIn(join(defaultRunRoot, name));
  assert.equal(pids.length, 3);
  child.kill("SIGINT");
  const [code] = await exited;
  assert.equal(code, 130);
  for (const pid of pids) assert.equal(await isAlive(pid), false, `pid ${pid} stopped`);
  assert.equal((await knownTestbeds(defaultRunRoot)).includes(name), false);
});
