// DHCP answered by the agent, with real clients: ISC dhclient in the VMs' namespaces gets its address,
// mask, router, DNS, MTU, routes and the port's extra_dhcp_opts from the agent's flows; nothing answers on
// a subnet without DHCP, nor a VM using another port's MAC; a flood from one VM is metered while another
// still gets its lease; malformed requests are counted and dropped; and leases are renewed across agent
// restarts while forwarding loses nothing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { serverMacOf as serverMac } from "../../src/agent/internal.ts";
import { waitFor } from "../../src/base/index.ts";
import { Dhcpv4MessageType } from "../../src/packet/index.ts";
import {
  captureFrames,
  currentLease,
  dhcpRequestFrame,
  freeLoopbackPort,
  ip,
  probePairs,
  reaches,
  run,
  sendFrames,
  startDhcpClient,
} from "../../src/testbed/index.ts";
import { dhcpAgentLab } from "../support/dhcp-lab.ts";

/** The dhcp lab with a VXLAN network whose subnet has what DHCP serves. */
async function dhcpLab(t: import("node:test").TestContext, dhcpSection = "", metricsPort?: number) {
  const l = await dhcpAgentLab(t, dhcpSection, metricsPort);
  const net = await l.network({
    name: "d",
    type: "vxlan",
    segmentationId: 3300,
    subnet: {
      gateway_ip: "198.19.0.1",
      dns_nameservers: ["198.19.0.53"],
      host_routes: [{ destination: "198.18.64.0/18", nexthop: "198.19.0.9" }],
    },
  });
  return { l, net, subnet: await l.subnetOf(net) };
}

const isOffer = (f: Buffer) =>
  f.length > 282 && f.readUInt16BE(12) === 0x0800 && f[23] === 17 && f.readUInt16BE(36) === 68;

test("dhclient gets the port's address, mask, router, DNS, MTU, domain, host name and routes; extra_dhcp_opts too", async (t) => {
  const { l, net } = await dhcpLab(t);
  const a = await l.vm("h1", net, "a", "198.19.1.1", { dhcp: true });
  const lease = (await currentLease(l.dhcpClients.get(a.name)!))!.lease;
  assert.equal(lease.ip_address, "198.19.1.1");
  assert.equal(lease.subnet_mask, "255.255.0.0");
  assert.equal(lease.routers, "198.19.0.1");
  assert.equal(lease.domain_name_servers, "198.19.0.53");
  assert.equal(lease.interface_mtu, "1450", "the VXLAN network's MTU");
  assert.equal(lease.domain_name, "openstacklocal");
  assert.equal(lease.host_name, "host-198-19-1-1");
  assert.equal(lease.dhcp_server_identifier, "198.19.0.1");
  assert.equal(lease.dhcp_lease_time, "86400");
  assert.equal(lease.rfc3442_classless_static_routes, "18 198 18 64 198 19 0 9 0 198 19 0 1");
  // What the VM made of it.
  const routes = await ip(["-4", "route", "show"], a.namespace);
  assert.match(routes, /198\.18\.64\.0\/18 via 198\.19\.0\.9/);
  assert.match(routes, /default via 198\.19\.0\.1/);
  assert.match(await ip(["link", "show", "eth0"], a.namespace), /mtu 1450/);
  assert.match(await ip(["-4", "addr", "show", "eth0"], a.namespace), /inet 198\.19\.1\.1\/16/);

  // The port's extra_dhcp_opts override and add: a new lease has them.
  await l.api.updatePort(a.portId, {
    extra_dhcp_opts: [
      { opt_name: "mtu", opt_value: "1400" },
      { opt_name: "ntp-server", opt_value: "198.19.0.123" },
    ],
  });
  const client = l.dhcpClients.get(a.name)!;
  await client.stop();
  const again = await waitFor(
    async () => {
      const c = await startDhcpClient(a, l.testbed.info.runDir, { timeoutS: 10 });
      const got = (await currentLease(c))?.lease;
      if (got?.interface_mtu === "1400") return got;
      await c.stop();
      return undefined;
    },
    { timeoutMs: 30_000, what: "a lease with the port's extra options" },
  );
  assert.equal(again.ntp_servers, "198.19.0.123");
  assert.equal(again.ip_address, "198.19.1.1");
});

test("nothing answers on a subnet with DHCP disabled, nor a VM that uses another port's MAC", async (t) => {
  const { l, net, subnet } = await dhcpLab(t);
  const a = await l.vm("h1", net, "a", "198.19.1.1", { dhcp: true });
  // A VM on the same network whose port has another MAC, but which sends with a's.
  const b = await l.vm("h1", net, "b", "198.19.1.2");
  await ip(["addr", "flush", "dev", "eth0"], b.namespace);
  await ip(["link", "set", "eth0", "address", a.mac], b.namespace);
  await assert.rejects(
    startDhcpClient(b, l.testbed.info.runDir, { timeoutS: 6 }),
    "the spoofer gets no lease",
  );
  // DHCP off on the subnet: the flows go, and a client gets nothing.
  await l.api.call("PUT", `/v2.0/subnets/${subnet}`, { subnet: { enable_dhcp: false } });
  await waitFor(
    async () => {
      const dump = await run("ovs-ofctl", [
        "-O",
        "OpenFlow15",
        "dump-flows",
        `unix:${l.testbed.host("h1").runDir}/br-int.mgmt`,
        "table=77",
      ]);
      return dump.includes("controller(") ? undefined : true;
    },
    { timeoutMs: 15_000, what: "the punt flows to go" },
  );
  const c = await l.vm("h1", net, "c", "198.19.1.3");
  await ip(["addr", "flush", "dev", "eth0"], c.namespace);
  await assert.rejects(
    startDhcpClient(c, l.testbed.info.runDir, { timeoutS: 6 }),
    "no answer without enable_dhcp",
  );
  // a's client, already bound, is untouched by either.
  assert.equal((await currentLease(l.dhcpClients.get(a.name)!))?.lease.ip_address, "198.19.1.1");
});

test("a flood of DHCP from one VM is metered, another VM still gets its lease, malformed ones are counted", async (t) => {
  const port = await freeLoopbackPort();
  const { l, net } = await dhcpLab(t, "rate_limit = 10\nburst = 10", port);
  const flooder = await l.vm("h1", net, "f", "198.19.1.1");
  const capture = await captureFrames(flooder, { seconds: 4, maxFrames: 2000 });
  // 400 DISCOVERs as fast as python sends them (well under a second).
  await sendFrames(
    flooder,
    Array.from({ length: 400 }, (_, i) =>
      dhcpRequestFrame(flooder, Dhcpv4MessageType.discover, { xid: 0x1000 + i }),
    ),
  );
  const other = await l.vm("h1", net, "o", "198.19.1.2", { dhcp: true });
  assert.equal((await currentLease(l.dhcpClients.get(other.name)!))?.lease.ip_address, "198.19.1.2");
  const offers = (await capture.frames).filter(isOffer).length;
  t.diagnostic(`400 DISCOVERs at once: ${offers} offers (meter: 10/s, burst 10)`);
  assert.ok(offers > 0, "some were answered");
  assert.ok(offers < 60, `the meter held the flood back (${offers} answered)`);
  // Malformed: a DHCP request with a broken magic cookie (checksums recomputed), and a truncated one.
  const bad = dhcpRequestFrame(flooder, Dhcpv4MessageType.discover, { xid: 0x2000 });
  const cookieAt = 14 + 20 + 8 + 236;
  const broken = Buffer.from(bad);
  broken.writeUInt32BE(0xdeadbeef, cookieAt);
  broken.writeUInt16BE(0, 14 + 20 + 6); // UDP checksum 0: none (RFC 768), so the cookie is what is wrong
  await sleep(1_500); // the meter's bucket refills
  await sendFrames(flooder, [broken]);
  const text = await waitFor(
    async () => {
      const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return /weir_agent_punted_packets_total\{feature="dhcp",outcome="malformed"\} [1-9]/.test(body)
        ? body
        : undefined;
    },
    { timeoutMs: 10_000, what: "the malformed request counted" },
  );
  assert.match(text, /weir_agent_punted_packets_total\{feature="dhcp",outcome="offer"\} [1-9]/);
  // What the flooder's meter dropped, as the switch counts it.
  const dropped = Number(/weir_agent_meter_dropped_packets\{feature="dhcp"\} (\d+)/.exec(text)?.[1]);
  assert.ok(dropped >= 400 - offers - 20, `the meter's drops are counted (${dropped})`);
  // The agent kept running and answering.
  const late = await l.vm("h1", net, "late", "198.19.1.3", { dhcp: true });
  assert.ok(late);
});

test("leases across agent restarts: a client renewing while the agent is down (SIGTERM, SIGKILL) gets its ACK on retry; forwarding loses nothing", async (t) => {
  const { l, net } = await dhcpLab(t);
  const a = await l.vm("h1", net, "a", "198.19.1.1", { dhcp: true });
  const b = await l.vm("h1", net, "b", "198.19.1.2", { dhcp: true });
  const waits: number[] = [];
  const results = await probePairs(
    [
      { name: "a → b", from: a, to: b },
      { name: "b → a", from: b, to: a },
    ],
    async () => {
      for (const how of ["term", "kill"] as const) {
        // b's client restarts and asks to keep its lease (INIT-REBOOT: a broadcast REQUEST for its
        // address) just as the agent goes; it retries until the new agent answers. b keeps its address.
        await l.dhcpClients.get(b.name)!.stop();
        const agent = l.agents.get("h1")!;
        if (how === "term") await agent.stop();
        else await agent.kill();
        const asked = performance.now();
        const client = startDhcpClient(b, l.testbed.info.runDir, { timeoutS: 60 });
        await sleep(1_000);
        await l.startAgent("h1");
        const c = await client;
        waits.push(performance.now() - asked);
        l.dhcpClients.set(b.name, c);
        const events = await c.events();
        assert.equal(events.at(-1)?.reason, "REBOOT", "the lease was confirmed, not a new one taken");
        assert.equal(events.at(-1)?.lease.ip_address, "198.19.1.2");
      }
    },
    { maxSeconds: 180 },
  );
  t.diagnostic(
    `DHCP waits across restarts (agent down ~1 s each time): ${waits.map((w) => Math.round(w)).join(", ")} ms`,
  );
  for (const r of results) {
    t.diagnostic(
      `${r.name}: sent ${r.result.sent}, lost ${r.result.lost}, longest gap ${r.result.longestGapMs} ms`,
    );
    assert.ok(r.result.received > 1000, `${r.name}: probes flowed`);
    assert.equal(r.result.lost, 0, `${r.name}: nothing lost`);
  }
});

test("renewals: unicast to the server identifier at T1 is answered; a lease that lapses while the agent is down comes back with it", async (t) => {
  // 20 s leases: T1 at 10 s, T2 at 17.5 s.
  const { l, net, subnet } = await dhcpLab(t, "lease_duration = 20");
  const a = await l.vm("h1", net, "a", "198.19.1.1", { dhcp: true });
  const client = l.dhcpClients.get(a.name)!;
  // A renewal is unicast to the server identifier (the gateway): the VM resolves it as it would with a
  // router there. The agent's flow takes the request whatever its destination.
  await ip(
    ["neigh", "replace", "198.19.0.1", "lladdr", serverMac(subnet), "dev", "eth0", "nud", "permanent"],
    a.namespace,
  );
  const renewed = await waitFor(async () => (await client.events()).find((e) => e.reason === "RENEW"), {
    timeoutMs: 20_000,
    intervalMs: 250,
    what: "a RENEW",
  });
  assert.equal(renewed.lease.ip_address, "198.19.1.1");
  // The agent goes away for longer than the lease: the client's lease lapses (its address goes), it asks
  // again and again, and once the agent is back it has its address again, and forwards.
  const b = await l.vm("h1", net, "b", "198.19.1.2");
  await l.agents.get("h1")!.stop();
  await waitFor(async () => ((await client.events()).some((e) => e.reason === "EXPIRE") ? true : undefined), {
    timeoutMs: 40_000,
    intervalMs: 500,
    what: "the lease to lapse",
  });
  await l.startAgent("h1");
  const back = await waitFor(
    async () => {
      const events = await client.events();
      const last = events.at(-1);
      return last?.reason === "BOUND" && events.some((e) => e.reason === "EXPIRE") ? last : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500, what: "a new lease once the agent is back" },
  );
  assert.equal(back.lease.ip_address, "198.19.1.1");
  assert.ok(await reaches(a, b.ip), "a forwards again");
});

test("with the server down, a restarted agent answers DHCP at once from the previous run's flows", async (t) => {
  const { l, net } = await dhcpLab(t);
  const a = await l.vm("h1", net, "a", "198.19.1.1", { dhcp: true });
  await l.dhcpClients.get(a.name)!.stop();
  await l.stopServer();
  await l.agents.get("h1")!.kill();
  const report = await l.startAgent("h1");
  assert.equal(report.server, "unreachable", "the new run has heard nothing from the server");
  // A client confirming its lease now is answered by the new run, from the leases the old run's flows carry.
  const client = await startDhcpClient(a, l.testbed.info.runDir, { timeoutS: 15 });
  const last = (await client.events()).at(-1);
  assert.equal(last?.reason, "REBOOT");
  assert.equal(last?.lease.ip_address, "198.19.1.1");
  await l.startServerAgain(t);
});
