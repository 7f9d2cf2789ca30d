import { randomBytes, randomUUID } from "node:crypto";
import { InvalidArgumentError } from "../base/index.ts";
import { ip, run } from "./exec.ts";
import type { HostInfo } from "./host.ts";
import { tapName, vmNamespace } from "./names.ts";
import { ovsPaths, vsctl } from "./ovs-daemons.ts";

/** A VM: a namespace whose eth0 is a veth; the other end is the VIF on the host's integration bridge. */
export interface VmInfo {
  readonly name: string;
  readonly namespace: string;
  readonly host: string;
  readonly mac: string;
  readonly ip: string;
  readonly prefixLength: number;
  /** The VIF's name on the host (tapXXXXXXXX-XX) — what `ovs-vsctl list-ports br-int` shows. */
  readonly port: string;
  /** Neutron port id, in the VIF's external_ids:iface-id. */
  readonly portId: string;
  readonly vmUuid: string;
  readonly mtu: number;
  /** An IPv6 address (/64) besides the link-local one, when the VM has one. */
  readonly ipv6?: string;
}

export interface VmSpec {
  readonly name: string;
  readonly ip: string;
  readonly prefixLength?: number;
  readonly mac?: string;
  readonly portId?: string;
  readonly vmUuid?: string;
  readonly mtu?: number;
  readonly gateway?: string;
  /** An IPv6 address, configured /64 without duplicate address detection (it is the port's own). */
  readonly ipv6?: string;
  /** Bridge to plug into; default the host's integration bridge. */
  readonly bridge?: string;
  /** false: make the namespace and veth but leave plugging to the caller (wiring-latency benchmark). */
  readonly plug?: boolean;
  /** "dhcp": configure no address (`ip` is what the VM should get); a DHCP client does (dhcp-client.ts). */
  readonly addressing?: "static" | "dhcp";
}

const macPattern = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** A MAC in Neutron's default base (fa:16:3e), random in the last three octets. */
export function randomNeutronMac(): string {
  return `fa:16:3e:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, "0")).join(":")}`;
}

/**
 * Creates the VM namespace and veth and plugs the VIF as Nova/os-vif does (one ovs-vsctl transaction that
 * adds the port and sets iface-id, attached-mac, iface-status and vm-uuid). The VM's transmit checksum
 * offload is off: the userspace datapath reads frames through AF_PACKET and does not complete partial
 * checksums, so TCP would otherwise fail while ping works.
 */
export async function createVm(testbed: string, host: HostInfo, spec: VmSpec): Promise<VmInfo> {
  const mac = (spec.mac ?? randomNeutronMac()).toLowerCase();
  if (!macPattern.test(mac))
    throw new InvalidArgumentError("mac", `${JSON.stringify(spec.mac)} is not a MAC address`);
  const portId = spec.portId ?? randomUUID();
  const vmUuid = spec.vmUuid ?? randomUUID();
  const prefixLength = spec.prefixLength ?? 16;
  const mtu = spec.mtu ?? 1500;
  const namespace = vmNamespace(testbed, spec.name);
  const port = tapName(portId);
  await ip(["netns", "add", namespace]);
  await ip(["link", "set", "lo", "up"], namespace);
  await ip([
    "link",
    "add",
    "eth0",
    "netns",
    namespace,
    "mtu",
    String(mtu),
    "type",
    "veth",
    "peer",
    "name",
    port,
    "netns",
    host.namespace,
    "mtu",
    String(mtu),
  ]);
  await ip(["link", "set", "eth0", "address", mac], namespace);
  await run("ethtool", ["-K", "eth0", "tx", "off"], { netns: namespace });
  const dhcp = spec.addressing === "dhcp";
  if (!dhcp) await ip(["addr", "add", `${spec.ip}/${prefixLength}`, "dev", "eth0"], namespace);
  if (spec.ipv6 !== undefined)
    await ip(["-6", "addr", "add", `${spec.ipv6}/64`, "dev", "eth0", "nodad"], namespace);
  await ip(["link", "set", "eth0", "up"], namespace);
  if (spec.gateway !== undefined && !dhcp)
    await ip(["route", "add", "default", "via", spec.gateway], namespace);
  await ip(["link", "set", port, "up"], host.namespace);
  if (spec.plug !== false)
    await plugVif(host, spec.bridge ?? host.integrationBridge, port, { portId, mac, vmUuid });
  return {
    name: spec.name,
    namespace,
    host: host.name,
    mac,
    ip: spec.ip,
    prefixLength,
    port,
    portId,
    vmUuid,
    mtu,
    ...(spec.ipv6 === undefined ? {} : { ipv6: spec.ipv6 }),
  };
}

/** The os-vif plug: add-port with the Nova external_ids, in one transaction. */
export async function plugVif(
  host: HostInfo,
  bridge: string,
  port: string,
  ids: { portId: string; mac: string; vmUuid: string },
): Promise<void> {
  await vsctl(
    ovsPaths(host.runDir),
    [
      "--may-exist",
      "add-port",
      bridge,
      port,
      "--",
      "set",
      "Interface",
      port,
      `external_ids:iface-id=${ids.portId}`,
      `external_ids:attached-mac=${ids.mac}`,
      "external_ids:iface-status=active",
      `external_ids:vm-uuid=${ids.vmUuid}`,
    ],
    { noWait: true },
  );
}

/** Unplugs and deletes a VM (its namespace takes the veth with it). */
export async function destroyVm(host: HostInfo, vm: VmInfo): Promise<void> {
  await vsctl(ovsPaths(host.runDir), ["--if-exists", "del-port", vm.port], { noWait: true });
  await ip(["netns", "del", vm.namespace]).catch(() => {});
}
