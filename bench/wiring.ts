// Port wiring latency: a port is created and bound on the server first (as Nova does before it plugs),
// then plugged; measured from the OVSDB insert (the add-port) to the first ICMP reply through the new
// port, to the agent's weir-installed mark, and to the server showing the port ACTIVE.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { sleep } from "../src/base/index.ts";
import {
  type HostInfo,
  ip,
  ovsPaths,
  plugVif,
  randomNeutronMac,
  type VmInfo,
  vsctl,
} from "../src/testbed/index.ts";
import type { BenchLab } from "./bench-lab.ts";

export interface WiringSample {
  readonly firstReplyMs: number;
  readonly installedMs: number;
  readonly activeMs: number;
}

/**
 * Pings `target` every 2 ms from the VM until the first reply (at most `seconds`), printing its arrival
 * time (-D). The neighbours are static on both sides, so no ARP retry (1 s apart) sits in the figure.
 */
function firstReply(
  vm: VmInfo,
  target: VmInfo,
  seconds: number,
): { child: ChildProcess; reply: Promise<number> } {
  const child = spawn(
    "ip",
    [
      "netns",
      "exec",
      vm.namespace,
      "ping",
      "-n",
      "-D",
      "-c",
      "1",
      "-w",
      String(seconds),
      "-i",
      "0.002",
      target.ip,
    ],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  let out = "";
  child.stdout?.on("data", (chunk) => {
    out += String(chunk);
  });
  const reply = once(child, "exit").then(() => {
    const m = /^\[(\d+\.\d+)\] \d+ bytes from/m.exec(out);
    return m ? Number(m[1]) * 1000 : Number.NaN;
  });
  return { child, reply };
}

/**
 * Plugs `count` new VMs on h1's network `networkId` one after another; `target` answers their pings.
 * With `floorTag`, each port is plugged with its local VLAN tag already set in the same transaction — what
 * an agent that took no time at all would achieve: Open vSwitch's own floor for this measurement.
 */
export async function measureWiring(
  lab: BenchLab,
  networkId: string,
  target: VmInfo,
  count: number,
  firstIp: (i: number) => string,
  floorTag?: number,
  /** The subnet of `firstIp`'s addresses: without it the ports get no fixed IP (anti-spoofing drops their IP). */
  subnetId?: string,
): Promise<WiringSample[]> {
  const samples: WiringSample[] = [];
  const host = lab.testbed.host("h1");
  for (let i = 0; i < count; i++) {
    const mac = randomNeutronMac();
    const port = await lab.api.createPort({
      networkId,
      host: lab.hostName("h1"),
      mac,
      ip: firstIp(i),
      ...(subnetId === undefined ? {} : { subnetId }),
    });
    const vm = await lab.testbed.addVm("h1", {
      name: `${floorTag === undefined ? "w" : "f"}${i}`,
      ip: firstIp(i),
      mac,
      portId: port.id,
      plug: false,
    });
    await ip(
      ["neigh", "replace", target.ip, "lladdr", target.mac, "dev", "eth0", "nud", "permanent"],
      vm.namespace,
    );
    await ip(
      ["neigh", "replace", vm.ip, "lladdr", vm.mac, "dev", "eth0", "nud", "permanent"],
      target.namespace,
    );
    const ping = firstReply(vm, target, 10);
    await sleep(20); // pinging before the port exists
    const t0 = Date.now();
    if (floorTag === undefined)
      await plugVif(host, host.integrationBridge, vm.port, { portId: port.id, mac, vmUuid: vm.vmUuid });
    else await plugTagged(host, vm, floorTag);
    // The agent stamps weir-installed with the time it confirmed the flows; ACTIVE is polled (2 ms).
    let activeAt = Number.NaN;
    const deadline = t0 + 10_000;
    while (Number.isNaN(activeAt) && Date.now() < deadline) {
      if ((await lab.api.portStatus(port.id)) === "ACTIVE") activeAt = Date.now();
      else await sleep(2);
    }
    const installed = (await lab.waitInstalled(vm, 10_000)).installed;
    const installedAt = Date.parse(installed);
    const replyAt = await ping.reply;
    samples.push({ firstReplyMs: replyAt - t0, installedMs: installedAt - t0, activeMs: activeAt - t0 });
  }
  return samples;
}

/** The os-vif plug plus Port.tag, in one transaction. */
async function plugTagged(host: HostInfo, vm: VmInfo, tag: number): Promise<void> {
  await vsctl(
    ovsPaths(host.runDir),
    [
      "add-port",
      host.integrationBridge,
      vm.port,
      `tag=${tag}`,
      "--",
      "set",
      "Interface",
      vm.port,
      `external_ids:iface-id=${vm.portId}`,
      `external_ids:attached-mac=${vm.mac}`,
      "external_ids:iface-status=active",
      `external_ids:vm-uuid=${vm.vmUuid}`,
    ],
    { noWait: true },
  );
}
