import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describeError } from "../base/index.ts";
import { ip, run } from "./exec.ts";
import { hostNamespace } from "./names.ts";
import { daemonPid, ovsPaths, startOvsdbServer, startVswitchd, vsctl } from "./ovs-daemons.ts";
import { stopProcess } from "./processes.ts";
import { hostLinks, linkHost, underlayCidr, underlayIp, underlayMtu } from "./underlay.ts";

/** A host: one network namespace with its own Open vSwitch (userspace datapath) and underlay links. */
export interface HostInfo {
  readonly name: string;
  readonly index: number;
  readonly namespace: string;
  readonly runDir: string;
  /** `unix:<runDir>/db.sock`, reachable from the root namespace. */
  readonly ovsdb: string;
  /** ovs-appctl -t <this> …; the bridges' OpenFlow sockets are <runDir>/<bridge>.mgmt. */
  readonly vswitchdCtl: string;
  readonly ovsdbServerCtl: string;
  readonly underlayIp: string;
  readonly underlayBridge: string;
  readonly trunkInterface: string;
  readonly integrationBridge: string;
  readonly datapathType: "netdev";
}

export const integrationBridge = "br-int";
export const underlayBridge = "br-ul";

/**
 * Creates the host. The underlay address lives on an OVS bridge (br-ul) that owns the underlay link, as OVS
 * userspace tunnelling requires (Documentation/howto/userspace-tunneling.rst): tunnel ports on any bridge
 * then route and resolve ARP through it. br-int is created the way Nova/os-vif does when it plugs a VIF
 * (`--may-exist add-br br-int -- set Bridge br-int datapath_type=netdev`); configuring it is the agent's job.
 */
export async function createHost(testbed: string, index: number, runRoot: string): Promise<HostInfo> {
  const name = `h${index}`;
  const namespace = hostNamespace(testbed, name);
  const paths = ovsPaths(join(runRoot, name));
  await ip(["netns", "add", namespace]);
  await ip(["link", "set", "lo", "up"], namespace);
  await linkHost(testbed, name, namespace);
  await startOvsdbServer(paths, { netns: namespace });
  await vsctl(paths, ["set", "Open_vSwitch", ".", `external_ids:hostname=${namespace}`], { noWait: true });
  await startVswitchd(paths, { netns: namespace });
  await vsctl(paths, [
    "add-br",
    underlayBridge,
    "--",
    "set",
    "Bridge",
    underlayBridge,
    "datapath_type=netdev",
    `other_config:hwaddr=${underlayMac(index)}`,
    "--",
    "set",
    "Interface",
    underlayBridge,
    `mtu_request=${underlayMtu}`,
    "--",
    "add-port",
    underlayBridge,
    hostLinks.underlay,
  ]);
  await ip(
    ["addr", "add", `${underlayIp(index)}/${underlayCidr.prefixLength}`, "dev", underlayBridge],
    namespace,
  );
  await ip(["link", "set", underlayBridge, "up"], namespace);
  await vsctl(paths, [
    "--may-exist",
    "add-br",
    integrationBridge,
    "--",
    "set",
    "Bridge",
    integrationBridge,
    "datapath_type=netdev",
  ]);
  return {
    name,
    index,
    namespace,
    runDir: paths.dir,
    ovsdb: paths.ovsdb,
    vswitchdCtl: paths.vswitchdCtl,
    ovsdbServerCtl: paths.ovsdbServerCtl,
    underlayIp: underlayIp(index),
    underlayBridge,
    trunkInterface: hostLinks.trunk,
    integrationBridge,
    datapathType: "netdev",
  };
}

/** A fixed, locally administered MAC per host, so the underlay's neighbours never change across runs. */
function underlayMac(index: number): string {
  return `02:57:45:00:00:${index.toString(16).padStart(2, "0")}`;
}

/**
 * Stops (SIGTERM, or SIGKILL with `kill`) and starts the host's ovs-vswitchd; its flow tables are lost.
 * With `flowRestoreWait`, does what `ovs-ctl restart` does: saves every bridge's flows, sets
 * other_config:flow-restore-wait so the new daemon holds off until they are back, restores them with one
 * bundle per bridge, then clears the flag; bridges whose saved flows the new daemon refused are returned.
 */
export async function restartVswitchd(
  host: HostInfo,
  options: { kill?: boolean; flowRestoreWait?: boolean } = {},
): Promise<{ restoreFailures: string[] }> {
  const paths = ovsPaths(host.runDir);
  const saved = options.flowRestoreWait ? await saveFlows(host) : new Map<string, string>();
  if (options.flowRestoreWait)
    await vsctl(paths, ["set", "Open_vSwitch", ".", "other_config:flow-restore-wait=true"], { noWait: true });
  const pid = await daemonPid(paths, "ovs-vswitchd");
  if (pid !== undefined) {
    if (options.kill) process.kill(pid, "SIGKILL");
    await stopProcess(pid);
  }
  await startVswitchd(paths, { netns: host.namespace });
  if (!options.flowRestoreWait) return { restoreFailures: [] };
  // As ovs-ctl (OVS 3.1's ovs-save) does it: flows only — meters are not saved, so a bundle of flows that
  // use meters is refused — and a failed restore does not stop the restart: flow-restore-wait is cleared
  // and whoever programs the switch (the agent) puts the flows back.
  const restoreFailures: string[] = [];
  for (const [bridge, file] of saved) {
    try {
      await run("ovs-ofctl", ["-O", "OpenFlow15", "--bundle", "add-flows", bridgeSocket(host, bridge), file]);
    } catch (error) {
      restoreFailures.push(`${bridge}: ${describeError(error)}`);
    }
  }
  await vsctl(paths, ["remove", "Open_vSwitch", ".", "other_config", "flow-restore-wait"]);
  return { restoreFailures };
}

const bridgeSocket = (host: HostInfo, bridge: string) => `unix:${join(host.runDir, `${bridge}.mgmt`)}`;

/** Every bridge's flows in ovs-ofctl syntax (cookies included), one file each in the host's run dir. */
async function saveFlows(host: HostInfo): Promise<Map<string, string>> {
  const paths = ovsPaths(host.runDir);
  const bridges = (await vsctl(paths, ["list-br"])).split("\n").filter((b) => b !== "");
  const saved = new Map<string, string>();
  for (const bridge of bridges) {
    const flows = await run("ovs-ofctl", [
      "-O",
      "OpenFlow15",
      "--no-stats",
      "--no-names",
      "dump-flows",
      bridgeSocket(host, bridge),
    ]);
    const file = join(host.runDir, `${bridge}.saved-flows`);
    await writeFile(file, flows);
    saved.set(bridge, file);
  }
  return saved;
}

/** Stops and starts the host's ovsdb-server (SIGTERM); ovs-vswitchd and its flows are untouched. */
export async function restartOvsdbServer(host: HostInfo): Promise<void> {
  const paths = ovsPaths(host.runDir);
  const pid = await daemonPid(paths, "ovsdb-server");
  if (pid !== undefined) await stopProcess(pid);
  await startOvsdbServer(paths, { netns: host.namespace });
}
