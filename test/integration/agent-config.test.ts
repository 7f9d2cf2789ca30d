// Bad configuration is refused before anything touches OVS: one message naming the file, section and
// key, exit code 2, and the switch exactly as it was.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { agentConfigText, ovsPaths, startAgent, vsctl } from "../../src/testbed/index.ts";
import { lab } from "../support/lab.ts";
import { testbed } from "../support/ovs.ts";

const cli = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const raGuard = fileURLToPath(new URL("../../contrib/extensions/ra-guard.ts", import.meta.url));
const trespasser = fileURLToPath(new URL("../fixtures/extensions/trespasser.ts", import.meta.url));

async function weir(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const [code] = await once(child, "exit");
  return { code: code as number | null, stdout, stderr };
}

async function configFile(t: import("node:test").TestContext, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "weir-agent-config-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "agent.ini");
  await writeFile(path, text);
  return path;
}

const good = `[DEFAULT]
host = compute-1
[ovs]
local_ip = 198.18.0.1
bridge_mappings = physnet1:br-phys
[agent]
tunnel_types = vxlan
[weir]
server = http://127.0.0.1:9696
`;

test("--check-config accepts a good file and says what it found", async (t) => {
  const path = await configFile(t, good);
  const r = await weir(["agent", "--check-config", "--config", path]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /OK \(host compute-1, integration bridge br-int, bridge mappings physnet1:br-phys, tunnels vxlan from 198\.18\.0\.1\)/,
  );
});

for (const [what, text, expected] of [
  ["an unknown section", `${good}[typo]\nx = 1\n`, /agent\.ini \[typo\]: unknown section/],
  [
    "an unknown key",
    good.replace("[agent]", "[agent]\ntunnel_type = vxlan"),
    /agent\.ini \[agent\] tunnel_type: unknown key/,
  ],
  [
    "a bad boolean",
    `${good.replace("[agent]", "[agent]\narp_responder = yes")}`,
    /agent\.ini \[agent\] arp_responder: must be true or false/,
  ],
  [
    "a bad tunnel type",
    good.replace("tunnel_types = vxlan", "tunnel_types = vxlan,stt"),
    /\[agent\] tunnel_types: unknown tunnel type "stt"/,
  ],
  [
    "a bad mapping",
    good.replace("physnet1:br-phys", "physnet1"),
    /\[ovs\] bridge_mappings: "physnet1" is not PHYSNET:BRIDGE/,
  ],
  [
    "tunnels without local_ip",
    good.replace("local_ip = 198.18.0.1\n", ""),
    /\[ovs\] local_ip: is required when \[agent\] tunnel_types is set/,
  ],
  [
    "an unknown extension",
    good.replace("[agent]", "[agent]\nextensions = qos, firewal"),
    /\[agent\] extensions: unknown extension firewal \(built in: qos, dhcp; or the path of an extension module\)/,
  ],
  [
    "an extension module that is not there",
    good.replace("[agent]", "[agent]\nextensions = ./nowhere/ext.ts"),
    /\[agent\] extensions: cannot load .*nowhere\/ext\.ts/,
  ],
  [
    "a section no extension claims",
    `${good.replace("[agent]", "[agent]\nextensions = qos")}[ra_guard]\nredirects = true\n`,
    /agent\.ini \[ra_guard\]: unknown section/,
  ],
  [
    "an extension refusing its own section",
    `${good.replace("[agent]", `[agent]\nextensions = ${raGuard}`)}[ra_guard]\nredirects = maybe\n`,
    /agent\.ini \[ra_guard\]: redirects must be true or false, got "maybe"/,
  ],
  [
    "another firewall driver",
    `${good}[securitygroup]\nfirewall_driver = iptables_hybrid\n`,
    /\[securitygroup\] firewall_driver: iptables_hybrid is not supported/,
  ],
] as const) {
  test(`${what} is refused with exit code 2, naming file, section and key`, async (t) => {
    const path = await configFile(t, text);
    for (const args of [
      ["agent", "--check-config", "--config", path],
      ["agent", "--config", path],
    ]) {
      const r = await weir(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, expected);
      assert.ok(r.stderr.includes(path), "the message names the file");
    }
  });
}

test("a missing configuration file is exit code 2", async () => {
  const r = await weir(["agent", "--config", "/nonexistent/agent.ini"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /\/nonexistent\/agent\.ini: cannot read the configuration file/);
});

test("a mapped bridge that does not exist: exit code 2 and OVS untouched", async (t) => {
  const tb = await testbed(t, { hosts: 1 });
  const host = tb.info.hosts[0]!;
  const paths = ovsPaths(host.runDir);
  const before = await vsctl(paths, ["show"]);
  const text = agentConfigText(tb.info.name, host, { server: "http://127.0.0.1:9", physical: true });
  const agent = await startAgent(tb.info.name, host, { configText: text });
  const code = await once(agent.child, "exit").then(([c]) => c);
  assert.equal(code, 2);
  assert.match(
    await readFile(agent.logPath, "utf8"),
    /\[ovs\] bridge_mappings: bridge br-phys \(physical network physnet1\) does not exist/,
  );
  assert.equal(await vsctl(paths, ["show"]), before, "no bridge, port or setting changed");
  assert.equal((await vsctl(paths, ["get-fail-mode", "br-int"])).trim(), "", "br-int's fail_mode untouched");
});

test("an extension that contradicts the pipeline: exit code 2 naming both features, and OVS untouched", async (t) => {
  const tb = await testbed(t, { hosts: 1 });
  const host = tb.info.hosts[0]!;
  const paths = ovsPaths(host.runDir);
  const before = await vsctl(paths, ["show"]);
  const text = agentConfigText(tb.info.name, host, {
    server: "http://127.0.0.1:9",
    extensions: [trespasser],
  });
  const agent = await startAgent(tb.info.name, host, { configText: text });
  const code = await once(agent.child, "exit").then(([c]) => c);
  assert.equal(code, 2);
  assert.match(await readFile(agent.logPath, "utf8"), /trespasser and l2-base both declare br-int table 60/);
  assert.equal(await vsctl(paths, ["show"]), before, "no bridge, port or setting changed");
});

test("a second agent on the same Open vSwitch refuses to start", async (t) => {
  const l = await lab(t, { hosts: 1 });
  await l.startAgent("h1");
  const second = spawn(process.execPath, [cli, "agent", "--config", l.agents.get("h1")!.configPath], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  second.stderr.on("data", (d) => (stderr += d));
  const [code] = await once(second, "exit");
  assert.equal(code, 1);
  assert.match(stderr, /another weir agent holds the OVSDB lock "weir_agent"/);
});
