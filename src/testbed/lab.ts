/**
 * A small cloud on a testbed: a Weir server, one `weir agent` per host, networks and VMs made through the
 * Networking API and plugged as Nova plugs them. The demo, the benchmarks and the agent tests all drive
 * the system through this, so what they show is what an operator would do by hand.
 */
import type { StartupReport } from "../agent/index.ts";
import { waitFor } from "../base/index.ts";
import { type AgentProcess, type AgentSetup, agentHostName, PHYSICAL_NETWORK, startAgent } from "./agents.ts";
import { CloudApi, type NetworkSpec, type PortSpec } from "./cloud.ts";
import { currentLease, type DhcpClient, startDhcpClient } from "./dhcp-client.ts";
import { ip as ipCommand } from "./exec.ts";
import { canonicalIpv6 } from "./ipv6.ts";
import { ovsPaths, vsctl } from "./ovs-daemons.ts";
import type { Testbed } from "./testbed.ts";
import { randomNeutronMac, type VmInfo } from "./vm.ts";

/** Where the lab's server is; how it runs (in this process, or as its own) is the caller's business. */
export interface LabServer {
  readonly url: string;
}

export interface LabSetup {
  /** Every host has br-phys with its trunk NIC (addPhysicalBridge), mapped as physnet1. */
  readonly physical?: boolean;
  readonly agent?: Partial<AgentSetup>;
  /** Agents in their own process groups, so they can outlive this process (`weir demo --keep`). */
  readonly detachedAgents?: boolean;
}

/** The dead VLAN: ports the agent cannot wire are parked there. */
const DEAD_VLAN = 4095;
/** VM addresses come from the benchmarking range. */
export const LAB_CIDR = "198.19.0.0/16";

export class WeirLab<S extends LabServer = LabServer> {
  readonly testbed: Testbed;
  readonly agents = new Map<string, AgentProcess>();
  /** The DHCP clients of VMs booted with `dhcp`, by VM name. */
  readonly dhcpClients = new Map<string, DhcpClient>();
  #server: S;
  #api: CloudApi;
  readonly #setup: LabSetup;
  readonly #subnets = new Map<string, string | undefined>();
  readonly #v6Subnets = new Map<string, string>();

  constructor(testbed: Testbed, server: S, setup: LabSetup = {}) {
    this.testbed = testbed;
    this.#server = server;
    this.#api = new CloudApi(server.url);
    this.#setup = setup;
  }

  get server(): S {
    return this.#server;
  }

  get api(): CloudApi {
    return this.#api;
  }

  /** A restarted server (same data, same port): later calls go to it. */
  protected replaceServer(server: S): void {
    this.#server = server;
    this.#api = new CloudApi(server.url);
  }

  hostName(host: string): string {
    return agentHostName(this.testbed.info.name, this.testbed.host(host));
  }

  setup(overrides: Partial<AgentSetup> = {}): AgentSetup {
    return {
      server: this.#server.url,
      physical: this.#setup.physical ?? false,
      ...this.#setup.agent,
      ...overrides,
    };
  }

  /**
   * Starts the host's agent and waits for its start-up report. `cli`: another build's src/cli/main.ts
   * (the upgrade benchmark runs a changed pipeline).
   */
  async startAgent(
    host: string,
    overrides: Partial<AgentSetup> = {},
    options: { cli?: string; env?: Readonly<Record<string, string>> } = {},
  ): Promise<StartupReport> {
    const agent = await startAgent(this.testbed.info.name, this.testbed.host(host), this.setup(overrides), {
      detached: this.#setup.detachedAgents ?? false,
      ...options,
    });
    this.agents.set(host, agent);
    return agent.startupReport();
  }

  /** Stops (SIGTERM) or kills (SIGKILL) the host's agent and starts it again; returns the new report. */
  async restartAgent(
    host: string,
    how: "term" | "kill",
    overrides: Partial<AgentSetup> = {},
    options: { cli?: string; env?: Readonly<Record<string, string>> } = {},
  ): Promise<StartupReport> {
    const agent = this.agents.get(host);
    if (agent !== undefined) {
      if (how === "term") await agent.stop();
      else await agent.kill();
    }
    return this.startAgent(host, overrides, options);
  }

  /** Kills every agent (the lab is going away; SIGTERM would leave OVS as it is just the same). */
  async killAgents(): Promise<void> {
    for (const agent of this.agents.values()) await agent.kill();
  }

  /** A network (flat/VLAN default to physnet1) with a subnet for the VMs' addresses. */
  async network(spec: Omit<NetworkSpec, "cidr">): Promise<string> {
    const provider = spec.type === "flat" || spec.type === "vlan";
    const { id, subnetId } = await this.#api.createNetwork({
      ...spec,
      ...(provider ? { physicalNetwork: spec.physicalNetwork ?? PHYSICAL_NETWORK } : {}),
      cidr: LAB_CIDR,
    });
    this.#subnets.set(id, subnetId);
    return id;
  }

  /**
   * Creates a port bound to the host, plugs a VM on it, and waits until the agent says it is wired.
   * `port`: the port's security attributes, and an IPv6 address (from the network's IPv6 subnet,
   * ipv6Subnet) that the VM configures too.
   */
  async vm(
    host: string,
    networkId: string,
    name: string,
    ip: string,
    port: Pick<PortSpec, "securityGroups" | "portSecurity" | "allowedAddressPairs"> & {
      ipv6?: string;
      /** The VM takes its address by DHCP (a real dhclient, dhcp-client.ts) instead of configuring `ip`. */
      dhcp?: boolean;
      /**
       * The VM configures IPv6 itself (SLAAC, or DHCPv6 when the test starts a client): `ipv6`, when
       * given, goes on the port only, and the VM's eth0 is left to its kernel.
       */
      ipv6Auto?: boolean;
    } = {},
  ): Promise<VmInfo> {
    const mac = randomNeutronMac();
    const subnetId = this.#subnets.get(networkId);
    const { ipv6, dhcp, ipv6Auto, ...security } = port;
    const v6Subnet = ipv6 === undefined ? undefined : this.#v6Subnets.get(networkId);
    if (ipv6 !== undefined && v6Subnet === undefined)
      throw new Error(`network ${networkId} has no IPv6 subnet: call ipv6Subnet first`);
    const created = await this.#api.createPort({
      networkId,
      host: this.hostName(host),
      mac,
      ip,
      ...(subnetId === undefined ? {} : { subnetId }),
      ...(ipv6 === undefined ? {} : { moreFixedIps: [{ subnetId: v6Subnet!, ip: ipv6 }] }),
      ...security,
    });
    if (created.vifType !== "ovs") throw new Error(`port not bound on ${host}: vif_type ${created.vifType}`);
    const vm = await this.testbed.addVm(host, {
      name: `${host}-${name}`,
      ip,
      mac,
      portId: created.id,
      ...(ipv6 === undefined || ipv6Auto ? {} : { ipv6 }),
      ...(dhcp ? { addressing: "dhcp" as const } : {}),
    });
    await this.waitInstalled(vm);
    if (ipv6Auto) {
      // A VM boots once Nova has seen its VIF plugged: its kernel solicits a router then, and configures
      // itself from the answer. Bringing eth0 up again here is that boot.
      await ipCommand(["link", "set", "eth0", "down"], vm.namespace);
      await ipCommand(["link", "set", "eth0", "up"], vm.namespace);
    }
    if (dhcp) {
      const client = await startDhcpClient(vm, this.testbed.info.runDir);
      this.dhcpClients.set(vm.name, client);
      const lease = await currentLease(client);
      if (lease?.lease.ip_address !== ip)
        throw new Error(
          `${vm.name} got ${lease?.lease.ip_address ?? "no address"} by DHCP, not its port's ${ip}`,
        );
    }
    return vm;
  }

  /** The IPv4 subnet network() made (a port's fixed IP must be in it: anti-spoofing allows only those). */
  async subnetOf(networkId: string): Promise<string> {
    const id = this.#subnets.get(networkId);
    if (id === undefined) throw new Error(`network ${networkId} was not made by this lab`);
    return id;
  }

  /**
   * An IPv6 subnet (documentation prefix 2001:db8::/32, RFC 3849) on a lab network, for vm(…, { ipv6 });
   * `attributes` as Neutron's API takes them (ipv6_ra_mode, ipv6_address_mode, gateway_ip, …).
   */
  async ipv6Subnet(
    networkId: string,
    cidr = "2001:db8:1::/64",
    attributes: Record<string, unknown> = {},
  ): Promise<string> {
    const id = await this.#api.addSubnet(networkId, cidr, 6, attributes);
    this.#v6Subnets.set(networkId, id);
    return id;
  }

  /** The port's IPv6 address as the server allocated it (the EUI-64 one of its MAC on a SLAAC subnet). */
  async portIpv6(vm: VmInfo): Promise<string | undefined> {
    const reply = await this.#api.call("GET", `/v2.0/ports/${vm.portId}`);
    const fixed = (reply.port as { fixed_ips: { ip_address: string }[] }).fixed_ips;
    const v6 = fixed.find((f) => f.ip_address.includes(":"))?.ip_address;
    return v6 === undefined ? undefined : canonicalIpv6(v6);
  }

  /** The VIF's Interface external_ids:weir-installed and its Port tag, from the host's OVSDB. */
  async vifState(vm: VmInfo): Promise<{ installed: string | undefined; tag: number | undefined }> {
    const paths = ovsPaths(this.testbed.host(vm.host).runDir);
    const ids = await vsctl(paths, [
      "--if-exists",
      "get",
      "Interface",
      vm.port,
      "external_ids:weir-installed",
    ]);
    const tag = (await vsctl(paths, ["--if-exists", "get", "Port", vm.port, "tag"])).trim();
    const installed = ids.trim().replace(/^"|"$/g, "");
    return {
      installed: installed === "" ? undefined : installed,
      tag: /^\d+$/.test(tag) ? Number(tag) : undefined,
    };
  }

  /** Waits until the agent marked the VIF installed (flows confirmed) with a live local VLAN. */
  async waitInstalled(vm: VmInfo, timeoutMs = 20_000): Promise<{ installed: string; tag: number }> {
    return waitFor(
      async () => {
        const state = await this.vifState(vm);
        return state.installed !== undefined && state.tag !== undefined && state.tag !== DEAD_VLAN
          ? { installed: state.installed, tag: state.tag }
          : undefined;
      },
      { timeoutMs, intervalMs: 50, what: `weir-installed on ${vm.port} (${vm.name})` },
    );
  }

  /** Waits until the VIF is parked on the dead VLAN without the installed mark. */
  async waitDead(vm: VmInfo, timeoutMs = 20_000): Promise<void> {
    await waitFor(
      async () => {
        const state = await this.vifState(vm);
        return state.tag === DEAD_VLAN && state.installed === undefined ? true : undefined;
      },
      { timeoutMs, intervalMs: 50, what: `${vm.port} (${vm.name}) on the dead VLAN` },
    );
  }
}
