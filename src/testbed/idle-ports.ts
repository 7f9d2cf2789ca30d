/**
 * Idle ports: bound to a host on the server and plugged as Nova plugs a VIF (add-port with iface-id,
 * attached-mac, iface-status, vm-uuid in one transaction), but with no VM behind them — an OVS internal
 * port gives each a real device and an ofport without a namespace per port. They load the agent as
 * real ports do (details, local VLANs, flows, status reports) and carry no traffic.
 */
import { randomUUID } from "node:crypto";
import { waitFor } from "../base/index.ts";
import type { WeirLab } from "./lab.ts";
import { tapName } from "./names.ts";
import { ovsPaths, vsctl } from "./ovs-daemons.ts";
import { randomNeutronMac } from "./vm.ts";

export interface IdlePort {
  readonly portId: string;
  readonly name: string;
  readonly mac: string;
}

/** Ports per ovs-vsctl transaction: large enough to be quick, small enough for vsctl's command line. */
const plugBatch = 250;
const apiConcurrency = 16;

/** Creates `count` ports spread over `networkIds`, bound to `host`, and plugs them; does not wait. */
export async function addIdlePorts(
  lab: WeirLab,
  host: string,
  networkIds: readonly string[],
  count: number,
): Promise<IdlePort[]> {
  const ports: IdlePort[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const mac = randomNeutronMac();
      const { id } = await lab.api.createPort({
        networkId: networkIds[i % networkIds.length]!,
        host: lab.hostName(host),
        mac,
        name: `idle-${i}`,
      });
      ports.push({ portId: id, name: tapName(id), mac });
    }
  };
  await Promise.all(Array.from({ length: apiConcurrency }, worker));
  const paths = ovsPaths(lab.testbed.host(host).runDir);
  const bridge = lab.testbed.host(host).integrationBridge;
  for (let i = 0; i < ports.length; i += plugBatch) {
    const args = ports
      .slice(i, i + plugBatch)
      .flatMap((p) => [
        "--",
        "--may-exist",
        "add-port",
        bridge,
        p.name,
        "--",
        "set",
        "Interface",
        p.name,
        "type=internal",
        `external_ids:iface-id=${p.portId}`,
        `external_ids:attached-mac=${p.mac}`,
        "external_ids:iface-status=active",
        `external_ids:vm-uuid=${randomUUID()}`,
      ]);
    await vsctl(paths, args, { noWait: true });
  }
  return ports;
}

/** How many of the host's interfaces the agent has marked weir-installed. */
export async function installedCount(lab: WeirLab, host: string): Promise<number> {
  const out = await vsctl(ovsPaths(lab.testbed.host(host).runDir), [
    "--format=csv",
    "--no-headings",
    "--columns=external_ids",
    "list",
    "Interface",
  ]);
  return out.split("\n").filter((line) => line.includes("weir-installed=")).length;
}

/** Waits until at least `count` of the host's interfaces are marked weir-installed. */
export async function waitInstalledCount(
  lab: WeirLab,
  host: string,
  count: number,
  timeoutMs = 300_000,
): Promise<void> {
  await waitFor(async () => ((await installedCount(lab, host)) >= count ? true : undefined), {
    timeoutMs,
    intervalMs: 250,
    what: `${count} ports weir-installed on ${host}`,
  });
}
