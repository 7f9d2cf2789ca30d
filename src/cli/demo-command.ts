import { join } from "node:path";
import { Command } from "commander";
import { waitFor } from "../base/index.ts";
import {
  addPhysicalBridge,
  currentLease,
  defaultRunRoot,
  freeLoopbackPort,
  globalIpv6Addresses,
  holdTcp,
  knownTestbeds,
  preflight,
  probePairs,
  reachabilityMatrix,
  reaches,
  removeTestbed,
  type ServerProcess,
  startL4Servers,
  startServerProcess,
  Testbed,
  tcpConnects,
  testbedOwner,
  type VmInfo,
  WeirLab,
  waitIpv6Configured,
  withCleanupOnSignal,
} from "../testbed/index.ts";
import { type DemoVm, renderLoss, renderMatrix, wrongCells } from "./demo-render.ts";
import { Progress } from "./progress.ts";
import { describeTestbed } from "./testbed-command.ts";

const demoOwner = "demo";
/** Three rounds, each restarting both agents: the kinds of stop an operator's tooling does. */
const restartRounds = ["term", "kill", "term"] as const;

export function demoCommand(): Command {
  return new Command("demo")
    .description(
      "run a small Weir cloud on this host: a server, two OVS hosts with an agent each, a VLAN and a VXLAN network, four VMs that take their addresses by DHCP from the agents; show who reaches whom, then restart the agents while probing every millisecond",
    )
    .option("--name <name>", "testbed name", "demo")
    .option("--keep", "leave it all running and print how to look around and how to stop it")
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
    "starting 2 hosts (ovsdb-server + ovs-vswitchd each, own network namespace)",
    () => Testbed.up({ name, hosts: 2, owner: demoOwner }),
    (t) => t.info.hosts.map((h) => `${h.name} underlay ${h.underlayIp}`).join(", "),
  );
  await progress.step("giving each host br-phys on its trunk NIC (the operator's part), as physnet1", () =>
    Promise.all(testbed.info.hosts.map((h) => addPhysicalBridge(h))),
  );
  const server = await progress.step(
    "starting weir server (SQLite, no auth, loopback)",
    async () => startServerProcess(join(testbed.info.runDir, "server"), await freeLoopbackPort()),
    (s) => s.url,
  );
  // The agents run as an operator's would by default (firewall_driver = openvswitch), and answer DHCP.
  const lab = new WeirLab(testbed, server, {
    physical: true,
    detachedAgents: true,
    agent: { firewallDriver: "openvswitch", extensions: ["dhcp"] },
  });
  for (const host of ["h1", "h2"]) {
    await progress.step(
      `starting weir agent on ${host}`,
      () => lab.startAgent(host),
      (r) =>
        `bridges ${r.bridges.map((b) => `${b.name} ${b.created ? "created" : "found"}`).join(", ")}; converged in ${r.convergeMs} ms`,
    );
  }
  const subnet = { gateway_ip: "198.19.0.1", dns_nameservers: ["198.19.0.53"] };
  const vlan = await progress.step(
    "creating network demo-vlan (VLAN 101 on physnet1) with a subnet (DHCP on, gateway 198.19.0.1)",
    () => lab.network({ name: "demo-vlan", type: "vlan", segmentationId: 101, subnet }),
  );
  const vxlan = await progress.step(
    "creating network demo-vxlan (VXLAN VNI 1001) with a subnet (DHCP on, gateway 198.19.0.1)",
    () => lab.network({ name: "demo-vxlan", type: "vxlan", segmentationId: 1001, subnet }),
  );
  await progress.step(
    "adding an IPv6 subnet 2001:db8:2::/64 to demo-vxlan (SLAAC: the agents answer router solicitations)",
    () =>
      lab.ipv6Subnet(vxlan, "2001:db8:2::/64", {
        ipv6_ra_mode: "slaac",
        ipv6_address_mode: "slaac",
        gateway_ip: "2001:db8:2::1",
      }),
  );
  const plan = [
    { host: "h1", vm: "vm1", network: "demo-vlan", id: vlan, ip: "198.19.1.1" },
    { host: "h1", vm: "vm2", network: "demo-vxlan", id: vxlan, ip: "198.19.2.1" },
    { host: "h2", vm: "vm3", network: "demo-vlan", id: vlan, ip: "198.19.1.2" },
    { host: "h2", vm: "vm4", network: "demo-vxlan", id: vxlan, ip: "198.19.2.2" },
  ];
  const vms: DemoVm[] = [];
  for (const p of plan) {
    const vm = await progress.step(
      `booting ${p.host}-${p.vm} on ${p.network}: port bound to ${lab.hostName(p.host)}, VIF plugged as Nova does, wired by the agent, address by DHCP`,
      () => lab.vm(p.host, p.id, p.vm, p.ip, { dhcp: true, ipv6Auto: p.id === vxlan }),
      (v) => `${v.port}, ${v.ip}`,
    );
    vms.push({ vm, network: p.network });
  }
  progress.line();
  progress.line("Leases the VMs' DHCP clients (dhclient) got from their hosts' agents:");
  for (const { vm } of vms) progress.line(`  ${await leaseLine(lab, vm)}`);
  progress.line();
  progress.line(
    "IPv6 the demo-vxlan VMs' kernels configured from their hosts' router advertisements (SLAAC):",
  );
  const v6 = vms.filter((v) => v.network === "demo-vxlan").map((v) => v.vm);
  for (const vm of v6) progress.line(`  ${await slaacLine(lab, vm)}`);
  const [from, to] = v6;
  if (from !== undefined && to !== undefined) {
    const target = await lab.portIpv6(to);
    progress.line(
      target !== undefined && (await reaches(from, target))
        ? `  ${from.name} reaches ${to.name} at ${target} across hosts.`
        : `  WRONG: ${from.name} does not reach ${to.name} over IPv6`,
    );
  }
  progress.line();
  await progress.step("waiting for the server to show every port ACTIVE", () =>
    Promise.all(vms.map((v) => waitActive(lab, v.vm.portId))),
  );
  const cells = await progress.step("probing every VM pair with ICMP", () =>
    reachabilityMatrix(vms.map((v) => v.vm)),
  );
  progress.line();
  progress.line(renderMatrix(vms, cells));
  const wrong = wrongCells(vms, cells);
  progress.line(
    wrong.length === 0
      ? "VMs on the same network reach each other across hosts; the two networks are isolated."
      : `WRONG: ${wrong.join("; ")}`,
  );
  progress.line();

  const firewall = await showFirewall(lab, progress, vxlan, vms[1]!.vm);
  const pairs = [
    { name: "h1-vm1 → h2-vm3 (VLAN across hosts)", from: vms[0]!.vm, to: vms[2]!.vm },
    { name: "h1-vm2 → h2-vm4 (VXLAN across hosts)", from: vms[1]!.vm, to: vms[3]!.vm },
  ];
  const results = await progress.step(
    `restarting both agents ${restartRounds.length} times (${restartRounds.map((h) => (h === "term" ? "SIGTERM" : "SIGKILL")).join(", ")}) while probing each pair every 1 ms`,
    () => probePairs(pairs, () => restartAgents(lab, progress), { maxSeconds: 300 }),
  );
  progress.line();
  progress.line(renderLoss(results));
  const lost = results.reduce((n, r) => n + r.result.lost, 0);
  progress.line(
    lost === 0
      ? `${restartRounds.length * 2} agent restarts, 0 packets lost.`
      : `${lost} packets lost during the restarts.`,
  );
  progress.line(
    "(The longest gap is the longest wait between two replies: with nothing lost, it is delay — packets queued while this host's CPUs were busy starting processes — not loss.)",
  );
  const kept = await firewall.end();
  progress.line(
    kept
      ? `The TCP connection h1-vm2 → h2-web:80 through both firewalls lived through every restart (${firewall.held.echoes} echoes, longest wait ${firewall.held.longestGapMs} ms).`
      : `WRONG: the TCP connection h1-vm2 → h2-web:80 did not survive the restarts (${firewall.held.ended ?? "stalled"}).`,
  );
  progress.line();

  if (keep) {
    server.detach();
    for (const agent of lab.agents.values()) agent.detach();
    progress.line(lookAround(testbed, server));
  } else {
    await progress.step("stopping the agents and the server, removing the hosts", async () => {
      for (const agent of lab.agents.values()) await agent.stop();
      await server.stop();
      await testbed.down();
    });
  }
  return wrong.length === 0 && lost === 0 && firewall.rightCells && kept;
}

/**
 * Security groups on real packets: a web VM in a group that lets in TCP 80 only; what h1-vm2 may reach
 * of it, then a TCP connection to it held open through the restarts that follow.
 */
async function showFirewall(lab: WeirLab, progress: Progress, network: string, client: VmInfo) {
  const group = await progress.step(
    "creating security group web (ingress TCP 80 from anywhere, nothing else)",
    async () => {
      const id = await lab.api.createSecurityGroup("web");
      await lab.api.addRule(id, {
        direction: "ingress",
        protocol: "tcp",
        port_range_min: 80,
        port_range_max: 80,
      });
      return id;
    },
  );
  const web = await progress.step(
    "booting h2-web on demo-vxlan in group web, serving TCP 80 and 22",
    () => lab.vm("h2", network, "web", "198.19.2.80", { securityGroups: [group], dhcp: true }),
    (v) => `${v.port}, ${v.ip}`,
  );
  const servers = await startL4Servers(web, { tcp: [80, 22] });
  const tcp80 = await waitFor(async () => ((await tcpConnects(client, web.ip, 80)) ? true : undefined), {
    timeoutMs: 15_000,
    what: "h1-vm2 → h2-web TCP 80",
  }).catch(() => false);
  const tcp22 = await tcpConnects(client, web.ip, 22);
  const ping = await reaches(client, web.ip, 2);
  const cell = (ok: boolean, want: boolean) =>
    ok === want ? (ok ? "passes" : "blocked") : ok ? "passes (WRONG)" : "blocked (WRONG)";
  progress.line(
    `  h1-vm2 → h2-web: TCP 80 ${cell(tcp80, true)}, TCP 22 ${cell(tcp22, false)}, ping ${cell(ping, false)}`,
  );
  const rightCells = tcp80 && !tcp22 && !ping;
  const held = await holdTcp(client, web.ip, 80, { intervalMs: 100, maxSeconds: 600 });
  return {
    rightCells,
    held,
    async end(): Promise<boolean> {
      const before = held.echoes;
      await waitFor(async () => (held.echoes > before || held.ended !== undefined ? true : undefined), {
        timeoutMs: 5_000,
        what: "an echo after the restarts",
      }).catch(() => undefined);
      const alive = held.ended === undefined && held.echoes > before;
      await held.stop();
      await servers.stop();
      return alive;
    },
  };
}

/** Whether the VM's kernel took its port's address and the prefix from its host's RAs. */
async function slaacLine(lab: WeirLab, vm: VmInfo): Promise<string> {
  const address = await lab.portIpv6(vm);
  if (address === undefined) return `${vm.name}: the port has no IPv6 address (WRONG)`;
  try {
    await waitIpv6Configured(vm, "2001:db8:2::/64", address);
    return `${vm.name}: ${address}/64 (its port's EUI-64 address), prefix 2001:db8:2::/64 on-link from the RA`;
  } catch {
    const got = await globalIpv6Addresses(vm);
    return `${vm.name}: WRONG: has ${got.join(", ") || "no global address"}, not ${address}`;
  }
}

/** One VM's lease as its client saw it: address, router, DNS, MTU, lease time, who answered. */
async function leaseLine(lab: WeirLab, vm: VmInfo): Promise<string> {
  const client = lab.dhcpClients.get(vm.name);
  const lease = client === undefined ? undefined : (await currentLease(client))?.lease;
  if (lease === undefined) return `${vm.name}: no lease (WRONG)`;
  return `${vm.name}: ${lease.ip_address} mask ${lease.subnet_mask}, router ${lease.routers ?? "none"}, DNS ${lease.domain_name_servers ?? "none"}, MTU ${lease.interface_mtu ?? "?"}, ${lease.host_name ?? "?"}.${lease.domain_name ?? "?"}, lease ${lease.dhcp_lease_time ?? "?"} s from ${lease.dhcp_server_identifier ?? "?"}`;
}

async function restartAgents(lab: WeirLab, progress: Progress): Promise<void> {
  for (const [round, how] of restartRounds.entries()) {
    for (const host of ["h1", "h2"]) {
      const report = await lab.restartAgent(host, how);
      const disrupted = report.disruptions.length > 0 ? `; DISRUPTED: ${report.disruptions.join("; ")}` : "";
      progress.line(
        `    round ${round + 1}: ${how === "term" ? "SIGTERM" : "SIGKILL"} ${host}'s agent, new one converged in ${report.convergeMs} ms (generation ${report.generation})${disrupted}`,
      );
    }
  }
}

function waitActive(lab: WeirLab, portId: string): Promise<true> {
  return waitFor(async () => ((await lab.api.portStatus(portId)) === "ACTIVE" ? true : undefined), {
    timeoutMs: 10_000,
    intervalMs: 50,
    what: `port ${portId} ACTIVE on the server`,
  });
}

function lookAround(testbed: Testbed, server: ServerProcess): string {
  const os = `openstack --os-auth-type none --os-endpoint ${server.url}`;
  const h1 = testbed.info.hosts[0]!;
  return [
    "It keeps running. Look around:",
    `  ${os} network list`,
    `  ${os} port list --long`,
    `  ${os} network agent list`,
    `  ovs-ofctl dump-flows unix:${h1.runDir}/br-int.mgmt      (h1's br-int; br-tun.mgmt, br-phys.mgmt alike)`,
    `  ovs-vsctl --db=${h1.ovsdb} show`,
    `  ip netns exec ${testbed.vms[0]?.namespace ?? "<vm namespace>"} ping 198.19.1.2`,
    `  logs: ${h1.runDir}/agent.log, ${server.dataDir}/server.log`,
    "",
    describeTestbed(testbed.describe()).trimEnd(),
    "",
    `Stop it all (agents, server, OVS, namespaces): weir testbed down --name ${testbed.info.name}`,
  ].join("\n");
}

/** A testbed of this name left by an earlier demo (crashed or --keep) is ours to replace. */
async function removeOwnLeftovers(name: string, progress: Progress): Promise<void> {
  if (!(await knownTestbeds(defaultRunRoot)).includes(name)) return;
  if ((await testbedOwner(defaultRunRoot, name)) !== demoOwner) return; // Testbed.up reports the clash
  await progress.step(`removing the previous demo ${name}`, () => removeTestbed(defaultRunRoot, name));
}
