// Ports the agent cannot trust — odd external_ids, unknown to the server — are parked on the dead VLAN
// with a warning naming the interface, and the agent carries on. Also: what SIGTERM leaves behind
// (everything), new ports while the server is away, and the metrics an operator scrapes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { waitFor } from "../../src/base/index.ts";
import {
  freeLoopbackPort,
  ovsPaths,
  randomNeutronMac,
  reaches,
  run,
  vsctl,
} from "../../src/testbed/index.ts";
import { type Lab, lab } from "../support/lab.ts";

async function warnings(l: Lab, host: string): Promise<{ iface: string; reason: string }[]> {
  return (await l.agents.get(host)!.logLines())
    .filter((line) => line.msg === "VIF parked on the dead VLAN")
    .map((line) => ({ iface: String(line.iface), reason: String(line.reason) }));
}

async function waitWarning(l: Lab, iface: string, pattern: RegExp): Promise<string> {
  return waitFor(
    async () => (await warnings(l, "h1")).find((w) => w.iface === iface && pattern.test(w.reason))?.reason,
    { timeoutMs: 15_000, what: `a warning about ${iface} matching ${pattern}` },
  );
}

test("odd external_ids and unknown ports are parked on the dead VLAN; the agent keeps running", async (t) => {
  const l = await lab(t, { hosts: 1 });
  await l.startAgent("h1");
  const net = await l.network({ name: "n", type: "vxlan", segmentationId: 1700 });
  const good = await l.vm("h1", net, "good", "198.19.1.1");
  const paths = ovsPaths(l.testbed.host("h1").runDir);

  // A valid-looking port id the server has never heard of.
  const stranger = await l.testbed.addVm("h1", {
    name: "h1-stranger",
    ip: "198.19.1.2",
    mac: randomNeutronMac(),
  });
  await l.waitDead(stranger);
  await waitWarning(l, stranger.port, /server: /);
  assert.equal(await reaches(stranger, good.ip, 2), false, "an unknown port forwards nothing");

  // Garbage iface-id.
  const garbage = await l.testbed.addVm("h1", {
    name: "h1-garbage",
    ip: "198.19.1.3",
    portId: "not-a-port-id",
    mac: randomNeutronMac(),
  });
  await l.waitDead(garbage);
  assert.match(await waitWarning(l, garbage.port, /iface-id/), /"not-a-port-id" is not a port UUID/);

  // attached-mac removed.
  const nomac = await l.testbed.addVm("h1", { name: "h1-nomac", ip: "198.19.1.4", mac: randomNeutronMac() });
  await l.waitDead(nomac);
  await vsctl(paths, ["remove", "Interface", nomac.port, "external_ids", "attached-mac"]);
  await waitWarning(l, nomac.port, /attached-mac is missing/);

  // A second interface claiming the good VM's port id: both are parked, each warning names the other.
  const twin = await l.testbed.addVm("h1", { name: "h1-twin", ip: "198.19.1.5", mac: randomNeutronMac() });
  await vsctl(paths, ["set", "Interface", twin.port, `external_ids:iface-id=${good.portId}`]);
  assert.match(await waitWarning(l, good.port, /also claimed/), new RegExp(twin.port));
  assert.match(await waitWarning(l, twin.port, /also claimed/), new RegExp(good.port));
  await l.waitDead(good);

  // The twin goes away: the good VM is wired again, and the agent never stopped.
  await vsctl(paths, ["del-port", twin.port]);
  await l.waitInstalled(good);
  const other = await l.vm("h1", net, "other", "198.19.1.6");
  assert.ok(await reaches(good, other.ip), "the agent still wires and forwards");
  assert.equal(l.agents.get("h1")!.child.exitCode, null, "the agent is running");
});

test("SIGTERM leaves every bridge, port and flow as it was", async (t) => {
  const l = await lab(t, { hosts: 2 });
  await l.startAgent("h1");
  await l.startAgent("h2");
  const net = await l.network({ name: "n", type: "vxlan", segmentationId: 1800 });
  const a = await l.vm("h1", net, "a", "198.19.1.1");
  const b = await l.vm("h2", net, "b", "198.19.2.1");
  assert.ok(await reaches(a, b.ip));
  const host = l.testbed.host("h1");
  const snapshot = async () => {
    const flows: string[] = [];
    for (const bridge of ["br-int", "br-tun"]) {
      const text = await run("ovs-ofctl", [
        "-O",
        "OpenFlow15",
        "--no-stats",
        "dump-flows",
        `unix:${host.runDir}/${bridge}.mgmt`,
      ]);
      // Learned flows expire by themselves; the agent's do not move.
      flows.push(
        ...text
          .split("\n")
          .filter((line) => line.includes("cookie=0x57") && !line.includes("cookie=0x5700007f")),
      );
    }
    return { ovs: await vsctl(ovsPaths(host.runDir), ["show"]), flows: flows.sort() };
  };
  const before = await snapshot();
  assert.equal(await l.agents.get("h1")!.stop(), 0, "a clean exit");
  assert.deepEqual(await snapshot(), before);
  assert.ok(await reaches(a, b.ip), "and it still forwards without the agent");
});

test("a port plugged while agent and server are both down waits on the dead VLAN until the server returns", async (t) => {
  const l = await lab(t, { hosts: 1 });
  await l.startAgent("h1");
  const net = await l.network({ name: "n", type: "vxlan", segmentationId: 1900 });
  const a = await l.vm("h1", net, "a", "198.19.1.1");
  const mac = randomNeutronMac();
  const port = await l.api.createPort({
    networkId: net,
    host: l.hostName("h1"),
    mac,
    ip: "198.19.1.2",
    subnetId: await l.subnetOf(net),
  });
  await l.agents.get("h1")!.stop();
  await l.stopServer();
  const late = await l.testbed.addVm("h1", { name: "h1-late", ip: "198.19.1.2", mac, portId: port.id });
  const report = await l.startAgent("h1");
  assert.equal(report.server, "unreachable");
  assert.equal(report.ports.kept, 1, "the wired port keeps forwarding from what OVS remembers");
  await l.waitDead(late);
  assert.equal(
    await reaches(late, a.ip, 2),
    false,
    "the new port cannot forward before the server vouches for it",
  );
  await l.startServerAgain(t);
  await l.waitInstalled(late, 30_000);
  assert.ok(await reaches(late, a.ip));
});

test("metrics: ports by state, flows per bridge and feature, failing features, passes, server reachability", async (t) => {
  const port = await freeLoopbackPort();
  const l = await lab(t, { hosts: 1, agent: { metricsListen: `127.0.0.1:${port}` } });
  await l.startAgent("h1");
  const net = await l.network({ name: "n", type: "vxlan", segmentationId: 2000 });
  await l.vm("h1", net, "a", "198.19.1.1");
  await l.testbed.addVm("h1", { name: "h1-stranger", ip: "198.19.1.2", mac: randomNeutronMac() });
  const text = await waitFor(
    async () => {
      const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return /weir_agent_ports\{state="dead"\} 1/.test(body) ? body : undefined;
    },
    { timeoutMs: 15_000, what: "metrics showing the dead port" },
  );
  assert.match(text, /weir_agent_ports\{state="wired"\} 1/);
  // l2-base on br-int: dead VLAN, classified-as-is, its dispatcher flow, and the misses of 0, 23, 60.
  assert.match(text, /weir_agent_flows\{bridge="br-int",feature="l2-base"\} 6/);
  assert.match(text, /weir_agent_flows\{bridge="br-int",feature="dead-ports"\} 1/);
  // tunnels on br-tun: 3 base flows, 8 misses, the network's VNI → local VLAN (no flood: one host).
  assert.match(text, /weir_agent_flows\{bridge="br-tun",feature="tunnels"\} 12/);
  assert.match(text, /weir_agent_feature_failed\{feature="l2-base"\} 0/);
  assert.match(text, /weir_agent_passes_total\{result="changed"\} [1-9]/);
  assert.match(text, /weir_agent_server_online 1/);
  assert.match(text, /weir_agent_local_vlans 1/);
  assert.match(text, /weir_agent_resync_duration_seconds_count\{kind="start"\} 1/);
  assert.match(text, /weir_agent_disruptions_total\{bridge="br-int",cause="fail_mode"\} 1/);
  assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
});
