// A small cloud for agent tests: a testbed (real OVS per host), a real server in this process, and real
// `weir agent` processes — everything removed when the test ends, pass or fail.
import { copyFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { StartupReport } from "../../src/agent/agent.ts";
import { waitFor } from "../../src/base/index.ts";
import { CloudApi, type NetworkSpec } from "../../src/testbed/cloud.ts";
import {
  type AgentProcess,
  type AgentSetup,
  addPhysicalBridge,
  agentHostName,
  ovsPaths,
  PHYSICAL_NETWORK,
  randomNeutronMac,
  startAgent,
  type Testbed,
  type VmInfo,
  vsctl,
} from "../../src/testbed/index.ts";
import { testbed } from "./ovs.ts";
import { startServer, type TestServer } from "./server.ts";

/** Agents' logs of finished tests, for post-mortems (the testbed's run directory is removed). */
export const logDir = join(tmpdir(), "weir-test-agent-logs");

export interface LabOptions {
  readonly hosts: number;
  /** Give every host br-phys with its trunk NIC, mapped as physnet1. */
  readonly physical?: boolean;
  readonly agent?: Partial<AgentSetup>;
}

export class Lab {
  readonly testbed: Testbed;
  server: TestServer;
  api: CloudApi;
  readonly agents = new Map<string, AgentProcess>();
  readonly #options: LabOptions;
  readonly #subnets = new Map<string, string | undefined>();

  constructor(tb: Testbed, server: TestServer, options: LabOptions) {
    this.testbed = tb;
    this.server = server;
    this.api = new CloudApi(server.url);
    this.#options = options;
  }

  /** Stops the server; its agents see it as gone. */
  async stopServer(): Promise<void> {
    await this.server.stop();
  }

  /** Starts the server again on the same port and data, where its agents expect it. */
  async startServerAgain(t: TestContext): Promise<void> {
    const port = Number(new URL(this.server.url).port);
    this.server = await startServer(t, { kind: "sqlite" }, { dataDir: this.server.dataDir!, port });
    this.api = new CloudApi(this.server.url);
  }

  hostName(host: string): string {
    return agentHostName(this.testbed.info.name, this.testbed.host(host));
  }

  setup(overrides: Partial<AgentSetup> = {}): AgentSetup {
    return {
      server: this.server.url,
      physical: this.#options.physical ?? false,
      ...this.#options.agent,
      ...overrides,
    };
  }

  /** Starts the host's agent and waits for its start-up report. */
  async startAgent(host: string, overrides: Partial<AgentSetup> = {}): Promise<StartupReport> {
    const agent = await startAgent(this.testbed.info.name, this.testbed.host(host), this.setup(overrides));
    this.agents.set(host, agent);
    return agent.startupReport();
  }

  /** Stops (SIGTERM) or kills (SIGKILL) the host's agent and starts it again; returns the new report. */
  async restartAgent(
    host: string,
    how: "term" | "kill",
    overrides: Partial<AgentSetup> = {},
  ): Promise<StartupReport> {
    const agent = this.agents.get(host);
    if (agent !== undefined) {
      if (how === "term") await agent.stop();
      else await agent.kill();
    }
    return this.startAgent(host, overrides);
  }

  async network(
    spec: Omit<NetworkSpec, "cidr" | "physicalNetwork"> & { physical?: boolean },
  ): Promise<string> {
    const { id, subnetId } = await this.api.createNetwork({
      ...spec,
      ...(spec.type === "flat" || spec.type === "vlan" ? { physicalNetwork: PHYSICAL_NETWORK } : {}),
      cidr: "198.19.0.0/16",
    });
    this.#subnets.set(id, subnetId);
    return id;
  }

  /** Creates a port bound to the host, plugs a VM on it, and waits until the agent says it is wired. */
  async vm(host: string, networkId: string, name: string, ip: string): Promise<VmInfo> {
    const mac = randomNeutronMac();
    const subnetId = this.#subnets.get(networkId);
    const port = await this.api.createPort({
      networkId,
      host: this.hostName(host),
      mac,
      ip,
      ...(subnetId === undefined ? {} : { subnetId }),
    });
    if (port.vifType !== "ovs") throw new Error(`port not bound on ${host}: vif_type ${port.vifType}`);
    const vm = await this.testbed.addVm(host, { name: `${host}-${name}`, ip, mac, portId: port.id });
    await this.waitInstalled(vm);
    return vm;
  }

  /** The VIF's Interface external_ids and its Port tag, from the host's OVSDB. */
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
        return state.installed !== undefined && state.tag !== undefined && state.tag !== 4095
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
        return state.tag === 4095 && state.installed === undefined ? true : undefined;
      },
      { timeoutMs, intervalMs: 50, what: `${vm.port} (${vm.name}) on the dead VLAN` },
    );
  }
}

export async function lab(t: TestContext, options: LabOptions): Promise<Lab> {
  const server = await startServer(t, { kind: "sqlite" });
  let l: Lab | undefined;
  // Registered before the testbed's own cleanup, so it runs first (after-hooks run in order): agents
  // stop before their OVS goes, and their logs are kept for a post-mortem.
  t.after(async () => {
    if (l === undefined) return;
    for (const agent of l.agents.values()) await agent.kill();
    await mkdir(logDir, { recursive: true });
    for (const [host, agent] of l.agents) {
      await copyFile(agent.logPath, join(logDir, `${l.testbed.info.name}-${host}.log`)).catch(() => {});
    }
  });
  const tb = await testbed(t, { hosts: options.hosts });
  if (options.physical) for (const host of tb.info.hosts) await addPhysicalBridge(host);
  l = new Lab(tb, server, options);
  return l;
}
