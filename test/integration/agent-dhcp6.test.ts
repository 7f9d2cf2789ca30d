// IPv6 configured by the agent, with the VMs' own kernels and real clients: SLAAC from the router
// advertisement the agent answers a solicitation with, DHCPv6 stateful (ISC dhclient -6) and stateless
// (dhclient -6 -S), unsolicited RAs on a timer only where the subnet's RAs are ours, and answers from
// the previous run's flows after a restart with the server down.
import assert from "node:assert/strict";
import { test } from "node:test";
import { waitFor } from "../../src/base/index.ts";
import { parseIpv6 } from "../../src/packet/index.ts";
import {
  canonicalIpv6,
  captureFrames,
  currentLease,
  freeLoopbackPort,
  globalIpv6Addresses,
  ip,
  ipv6DefaultRouter,
  raPrefixes,
  reaches,
  run,
  startDhcpClient,
  type VmInfo,
  waitIpv6Configured,
} from "../../src/testbed/index.ts";
import { dhcpAgentLab } from "../support/dhcp-lab.ts";
import type { Lab } from "../support/lab.ts";

async function v6Lab(t: import("node:test").TestContext, dhcpSection = "", metricsPort?: number) {
  const l = await dhcpAgentLab(t, dhcpSection, metricsPort);
  const net = await l.network({ name: "d6", type: "vxlan", segmentationId: 3310 });
  return { l, net };
}

const canonical = canonicalIpv6;

/** 2001:db8:<n>::/64 on the network with both IPv6 modes `mode`, a gateway at ::1 and these DNS servers. */
const subnetWithModes = (l: Lab, net: string, n: number, mode: string, dns: string[] = []) =>
  l.ipv6Subnet(net, `2001:db8:${n}::/64`, {
    ipv6_ra_mode: mode,
    ipv6_address_mode: mode,
    gateway_ip: `2001:db8:${n}::1`,
    dns_nameservers: dns,
  });

/** The port's IPv6 address as the server gave it (its EUI-64 one on SLAAC subnets). */
async function portIpv6(l: Lab, vm: VmInfo): Promise<string> {
  const address = await l.portIpv6(vm);
  assert.ok(address, "the port has an IPv6 address");
  return address;
}

const globalAddresses = globalIpv6Addresses;

/** Down and up: the kernel solicits a router as soon as its link-local address has passed DAD. */
async function solicit(vm: VmInfo): Promise<void> {
  await ip(["link", "set", "eth0", "down"], vm.namespace);
  await ip(["link", "set", "eth0", "up"], vm.namespace);
}

const ping6 = reaches;

test("SLAAC: a solicitation is answered with the subnet's RA; the VM takes its port's EUI-64 address, the prefix and the MTU (no default router yet), and reaches its neighbour", async (t) => {
  const { l, net } = await v6Lab(t);
  await subnetWithModes(l, net, 1, "slaac", ["2001:db8::53"]);
  const a = await l.vm("h1", net, "a", "198.19.1.1", { ipv6Auto: true });
  const b = await l.vm("h1", net, "b", "198.19.1.2", { ipv6Auto: true });
  for (const vm of [a, b]) {
    // Unsolicited RAs come every 100 s by default: what configures the VM within seconds is the answer
    // to its solicitation.
    await solicit(vm);
    await waitIpv6Configured(vm, "2001:db8:1::/64", await portIpv6(l, vm));
    // Until Weir routes (issue 14), nothing forwards for the RAs' source: they offer no default router.
    assert.equal(await ipv6DefaultRouter(vm), undefined, `${vm.name}: no default router`);
    const mtu = await run("cat", ["/proc/sys/net/ipv6/conf/eth0/mtu"], { netns: vm.namespace });
    assert.equal(mtu.trim(), "1450", `${vm.name}: the VXLAN network's MTU, from the RA`);
  }
  assert.ok(await ping6(a, await portIpv6(l, b)), "a reaches b at its SLAAC address");
});

test("DHCPv6 stateful: dhclient -6 gets the port's address, DNS and domain; the RA says M and no autonomous prefix; VMs reach each other", async (t) => {
  const { l, net } = await v6Lab(t);
  await subnetWithModes(l, net, 2, "dhcpv6-stateful", ["2001:db8::53"]);
  const a = await l.vm("h1", net, "a", "198.19.1.1", { ipv6: "2001:db8:2::10", ipv6Auto: true });
  const b = await l.vm("h1", net, "b", "198.19.1.2", { ipv6: "2001:db8:2::11", ipv6Auto: true });
  for (const [vm, address] of [
    [a, "2001:db8:2::10"],
    [b, "2001:db8:2::11"],
  ] as const) {
    await solicit(vm);
    await waitIpv6Configured(vm, "2001:db8:2::/64");
    const client = await startDhcpClient(vm, l.testbed.info.runDir, { family: 6, timeoutS: 20 });
    t.after(() => client.stop());
    const lease = (await currentLease(client))?.lease;
    assert.ok(lease, `${vm.name}: a DHCPv6 lease`);
    assert.equal(canonical(lease.ip6_address ?? "::"), address);
    assert.equal(lease.dhcp6_name_servers, "2001:db8::53");
    assert.match(lease.dhcp6_domain_search ?? "", /^openstacklocal\.?$/);
    // Addresses from DHCPv6 only: the RA's prefix is on-link, not for SLAAC.
    await waitIpv6Configured(vm, "2001:db8:2::/64", address);
    assert.deepEqual(await globalAddresses(vm), [address], `${vm.name} has its DHCPv6 address only`);
  }
  assert.ok(await ping6(a, "2001:db8:2::11"), "a reaches b at its DHCPv6 address");
});

test("DHCPv6 stateless: the RA says O, the VM takes its SLAAC address, and dhclient -6 -S gets the DNS servers and domain", async (t) => {
  const { l, net } = await v6Lab(t);
  await subnetWithModes(l, net, 3, "dhcpv6-stateless", ["2001:db8::53", "2001:db8::54"]);
  const a = await l.vm("h1", net, "a", "198.19.1.1", { ipv6Auto: true });
  await solicit(a);
  await waitIpv6Configured(a, "2001:db8:3::/64", await portIpv6(l, a));
  const client = await startDhcpClient(a, l.testbed.info.runDir, {
    family: 6,
    stateless: true,
    timeoutS: 20,
  });
  t.after(() => client.stop());
  const lease = (await currentLease(client))?.lease;
  assert.ok(lease, "an answer to the information request");
  assert.equal(lease.dhcp6_name_servers, "2001:db8::53 2001:db8::54");
  assert.match(lease.dhcp6_domain_search ?? "", /^openstacklocal\.?$/);
  assert.equal(lease.ip6_address, undefined, "no address from a stateless server");
  await client.stop();
  // The port's IPv6 extra_dhcp_opts replace the subnet's DNS servers and the domain.
  await l.api.updatePort(a.portId, {
    extra_dhcp_opts: [
      { opt_name: "dns-server", opt_value: "[2001:db8::99]", ip_version: 6 },
      { opt_name: "domain-search", opt_value: "example.org,lab.example.org", ip_version: 6 },
    ],
  });
  const overridden = await waitFor(
    async () => {
      const c = await startDhcpClient(a, l.testbed.info.runDir, { family: 6, stateless: true, timeoutS: 10 });
      const got = (await currentLease(c))?.lease;
      await c.stop();
      return got?.dhcp6_name_servers === "2001:db8::99" ? got : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500, what: "the port's extra_dhcp_opts in the answer" },
  );
  assert.match(overridden.dhcp6_domain_search ?? "", /^example\.org\.? lab\.example\.org\.?$/);
});

/** Router advertisements (ICMPv6 134) among frames, untagged and without extension headers. */
const advertisements = (frames: Buffer[]) =>
  frames.filter((f) => f.length > 54 && f.readUInt16BE(12) === 0x86dd && f[20] === 58 && f[54] === 134);

test("unsolicited RAs every max_rtr_adv_interval to all nodes, only where the subnet's RAs are ours", async (t) => {
  const metricsPort = await freeLoopbackPort();
  const { l, net } = await v6Lab(t, "max_rtr_adv_interval = 4", metricsPort);
  await subnetWithModes(l, net, 1, "slaac");
  // Another network whose RAs come from a router outside the cloud (no RA mode): DHCPv6 only.
  const other = await l.network({ name: "d6x", type: "vxlan", segmentationId: 3311 });
  await l.ipv6Subnet(other, "2001:db8:9::/64", { ipv6_address_mode: "dhcpv6-stateful" });
  const a = await l.vm("h1", net, "a", "198.19.1.1", { ipv6Auto: true });
  const b = await l.vm("h1", other, "b", "198.19.1.3", { ipv6: "2001:db8:9::5", ipv6Auto: true });
  // b's kernel solicits too; nothing must answer it either.
  await solicit(b);
  const [ca, cb] = await Promise.all([
    captureFrames(a, { seconds: 9, maxFrames: 200 }),
    captureFrames(b, { seconds: 9, maxFrames: 200 }),
  ]);
  const [ra, rb] = await Promise.all([ca.frames, cb.frames]);
  const toAllNodes = advertisements(ra).filter((f) => f.subarray(38, 54).equals(parseIpv6("ff02::1")));
  t.diagnostic(`a got ${advertisements(ra).length} RAs in 9 s, ${toAllNodes.length} to all nodes`);
  assert.ok(toAllNodes.length >= 2, `at least two unsolicited RAs in 9 s at 4 s, got ${toAllNodes.length}`);
  assert.equal(advertisements(rb).length, 0, "no RA where the subnet has no RA mode");
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const counted = Number(/weir_agent_unsolicited_frames_total\{feature="dhcp"\} (\d+)/.exec(metrics)?.[1]);
  assert.ok(counted >= toAllNodes.length, `the unsolicited RAs are counted (${counted})`);
});

test("with the server down, a restarted agent answers router solicitations and DHCPv6 at once from the previous run's flows", async (t) => {
  const { l, net } = await v6Lab(t);
  await subnetWithModes(l, net, 2, "dhcpv6-stateful");
  const a = await l.vm("h1", net, "a", "198.19.1.1", { ipv6: "2001:db8:2::10", ipv6Auto: true });
  await l.stopServer();
  for (const how of ["term", "kill"] as const) {
    const report = await l.restartAgent("h1", how);
    assert.equal(report.server, "unreachable", "the new run has heard nothing from the server");
    // Down and up takes the RA's prefix away; only an answer to the solicitation brings it back now (the
    // new run has no server, so no unsolicited RAs: they resume when it is back).
    await solicit(a);
    assert.deepEqual(await raPrefixes(a), [], "the link's bounce took the RA's prefix");
    await waitIpv6Configured(a, "2001:db8:2::/64");
    const client = await startDhcpClient(a, l.testbed.info.runDir, { family: 6, timeoutS: 20 });
    const lease = (await currentLease(client))?.lease;
    await client.stop();
    assert.equal(canonical(lease?.ip6_address ?? "::"), "2001:db8:2::10", `after ${how}`);
  }
  await l.startServerAgain(t);
});
