/**
 * Tunnel ports on br-tun, l2-population style: one per (tunnel type, remote host) that shares a network
 * of that type with this host. Names are Neutron's: <type>-<remote IPv4 in hex> ("vxlan-c6120002"), so
 * they are stable, fit in 15 characters, and an operator recognises them. Each port records, in its
 * external_ids, which networks it floods for, so a restarted agent rebuilds the flood lists before its
 * server answers.
 */
import { isIPv4 } from "node:net";
import type { TunnelType } from "../ovs/index.ts";

export const TUNNEL_NETWORKS_KEY = "weir-networks";
export const TUNNEL_REMOTE_HOST_KEY = "weir-remote-host";

export interface TunnelPortWant {
  readonly name: string;
  readonly type: TunnelType;
  readonly remoteIp: string;
  readonly remoteHost: string;
  /** Networks whose floods go through this port, sorted. */
  readonly networks: readonly string[];
}

export function tunnelPortName(type: TunnelType, remoteIp: string): string {
  if (isIPv4(remoteIp)) {
    const hex = remoteIp
      .split(".")
      .map((o) => Number(o).toString(16).padStart(2, "0"))
      .join("");
    return `${type}-${hex}`;
  }
  // IPv6: a hash of the address keeps the name within 15 characters.
  let hash = 0x811c9dc5;
  for (let i = 0; i < remoteIp.length; i++) hash = Math.imul(hash ^ remoteIp.charCodeAt(i), 0x01000193) >>> 0;
  return `${type}-${hash.toString(16).padStart(8, "0")}`;
}

export interface NetworkRemotes {
  readonly networkId: string;
  readonly type: TunnelType;
  /** Other hosts with ports on the network, with their tunnel endpoint. */
  readonly remotes: readonly { readonly host: string; readonly ip: string }[];
}

/** The tunnel ports this host needs for the given tunnelled networks, keyed by port name. */
export function wantedTunnelPorts(
  networks: readonly NetworkRemotes[],
  localIp: string,
): Map<string, TunnelPortWant> {
  const wanted = new Map<
    string,
    { type: TunnelType; remoteIp: string; remoteHost: string; networks: Set<string> }
  >();
  for (const net of networks) {
    for (const remote of net.remotes) {
      if (remote.ip === localIp) continue;
      const name = tunnelPortName(net.type, remote.ip);
      const entry = wanted.get(name) ?? {
        type: net.type,
        remoteIp: remote.ip,
        remoteHost: remote.host,
        networks: new Set(),
      };
      entry.networks.add(net.networkId);
      wanted.set(name, entry);
    }
  }
  return new Map(
    [...wanted].map(([name, w]) => [
      name,
      {
        name,
        type: w.type,
        remoteIp: w.remoteIp,
        remoteHost: w.remoteHost,
        networks: [...w.networks].sort(),
      },
    ]),
  );
}

/** A tunnel port found in OVSDB whose name and options say it is one of ours. */
export function parseTunnelPort(
  name: string,
  type: string,
  options: Readonly<Record<string, string>>,
  externalIds: Readonly<Record<string, string>>,
): TunnelPortWant | undefined {
  if (type !== "vxlan" && type !== "gre" && type !== "geneve") return undefined;
  const remoteIp = options.remote_ip;
  if (remoteIp === undefined || tunnelPortName(type, remoteIp) !== name) return undefined;
  const networks = (externalIds[TUNNEL_NETWORKS_KEY] ?? "").split(",").filter(Boolean).sort();
  return { name, type, remoteIp, remoteHost: externalIds[TUNNEL_REMOTE_HOST_KEY] ?? "", networks };
}
