// The benchmarks' cloud: a testbed with br-phys per host, `weir server` as its own process (so a server
// restart is a real one), agents, and the VMs whose paths the restart benchmarks probe.
import { join } from "node:path";

import {
  type AgentSetup,
  addIdlePorts,
  addPhysicalBridge,
  defaultRunRoot,
  freeLoopbackPort,
  knownTestbeds,
  type ProbePair,
  removeTestbed,
  type ServerProcess,
  startServerProcess,
  Testbed,
  testbedOwner,
  type VmInfo,
  WeirLab,
  waitInstalledCount,
  withCleanupOnSignal,
} from "../src/testbed/index.ts";

export const benchOwner = "bench";

export class BenchLab extends WeirLab<ServerProcess> {
  /** Stops the server (SIGTERM) and starts it again on the same port and data. */
  async restartServer(): Promise<void> {
    await this.server.stop();
    await this.startServer();
  }

  async stopServer(): Promise<void> {
    await this.server.stop();
  }

  async startServer(): Promise<void> {
    this.replaceServer(await startServerProcess(this.server.dataDir, this.server.port));
  }
}

/** Runs `work` on a fresh testbed `name` of `hosts` hosts; removes it afterwards, also on Ctrl-C. */
export async function withBenchLab<T>(
  name: string,
  hosts: number,
  work: (lab: BenchLab) => Promise<T>,
  owner = benchOwner,
  agent: Partial<AgentSetup> = {},
): Promise<T> {
  const cleanup = () => removeTestbed(defaultRunRoot, name);
  return withCleanupOnSignal(async () => {
    if ((await knownTestbeds(defaultRunRoot)).includes(name)) {
      if ((await testbedOwner(defaultRunRoot, name)) !== owner)
        throw new Error(`a testbed ${name} exists and is not the benchmark's: remove it first`);
      await cleanup();
    }
    const testbed = await Testbed.up({ name, hosts, owner });
    try {
      for (const host of testbed.info.hosts) await addPhysicalBridge(host);
      const server = await startServerProcess(join(testbed.info.runDir, "server"), await freeLoopbackPort());
      const lab = new BenchLab(testbed, server, { physical: true, agent });
      try {
        return await work(lab);
      } finally {
        await lab.killAgents();
        await lab.server.stop();
      }
    } finally {
      await cleanup();
    }
  }, cleanup);
}

export interface ProbedPaths {
  readonly pairs: readonly ProbePair[];
  /** The TCP stream's ends (VXLAN across hosts). */
  readonly tcp: { from: VmInfo; to: VmInfo };
  readonly networks: readonly string[];
}

/**
 * Agents on h1 and h2; a VXLAN and a VLAN network; VMs so that three kinds of path carry traffic (same
 * host, VLAN across hosts, VXLAN across hosts); `idlePorts` more ports on h1 spread over both networks.
 * The agent restart tests use it too.
 */
export async function probedPaths(
  lab: WeirLab,
  idlePorts: number,
  options: { qos?: boolean } = {},
): Promise<ProbedPaths> {
  await lab.startAgent("h1");
  await lab.startAgent("h2");
  const vx = await lab.network({ name: "vx", type: "vxlan", segmentationId: 1001 });
  const vl = await lab.network({ name: "vl", type: "vlan", segmentationId: 101 });
  const s1 = await lab.vm("h1", vx, "s1", "198.19.1.1");
  const s2 = await lab.vm("h1", vx, "s2", "198.19.1.2");
  const x2 = await lab.vm("h2", vx, "x2", "198.19.2.1");
  const v1 = await lab.vm("h1", vl, "v1", "198.19.1.11");
  const v2 = await lab.vm("h2", vl, "v2", "198.19.2.11");
  const t1 = await lab.vm("h1", vx, "t1", "198.19.1.21");
  const t2 = await lab.vm("h2", vx, "t2", "198.19.2.21");
  if (options.qos) {
    // Every probed port marked and limited in both directions (well above what the probes and the TCP
    // stream send): QoS's flows, meters and OVSDB rows are all in play during every restart.
    const policy = await lab.api.createQosPolicy("probed");
    await lab.api.addQosRule(policy, "dscp_marking", { dscp_mark: 26 });
    for (const direction of ["egress", "ingress"])
      await lab.api.addQosRule(policy, "bandwidth_limit", { max_kbps: 200_000, direction });
    for (const vm of [s1, s2, x2, v1, v2, t1, t2]) await lab.api.setPortQosPolicy(vm.portId, policy);
  }
  if (idlePorts > 0) {
    await addIdlePorts(lab, "h1", [vx, vl], idlePorts);
    const onH1 = [s1, s2, v1, t1].length;
    await waitInstalledCount(lab, "h1", idlePorts + onH1);
  }
  return {
    pairs: [
      { name: "same host", from: s1, to: s2 },
      { name: "VLAN across hosts", from: v1, to: v2 },
      { name: "VXLAN across hosts", from: s1, to: x2 },
    ],
    tcp: { from: t1, to: t2 },
    networks: [vx, vl],
  };
}
