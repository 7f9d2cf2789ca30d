/**
 * Tunnel ports on br-tun, l2-population style: one per (tunnel type, remote host) that shares a network
 * of that type with this host. Names are Neutron's: <type>-<remote IPv4 in hex> ("vxlan-c6120002"), so
 * they are stable, fit in 15 characters, and an operator recognises them. Each port records, in its
 * external_ids, which networks it floods for, so a restarted agent rebuilds the flood lists before its
 * server answers.
 */
import { isIPv4 } from "node:net";
import { deletePort, ensurePort, tunnelPort, type VswitchDb, WeirKeys } from "../../ovs/index.ts";
import type { TunnelType } from "../../protocol/index.ts";
import type { AgentConfig } from "../config.ts";
import type { OvsView } from "./ovs-view.ts";

export const TUNNEL_NETWORKS_KEY = WeirKeys.tunnelNetworks;
export const TUNNEL_REMOTE_HOST_KEY = WeirKeys.tunnelRemoteHost;

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
  // (Not isTunnelType: this also narrows `type` for the return value.)
  const remoteIp = options.remote_ip;
  if (remoteIp === undefined || tunnelPortName(type, remoteIp) !== name) return undefined;
  const networks = (externalIds[TUNNEL_NETWORKS_KEY] ?? "").split(",").filter(Boolean).sort();
  return { name, type, remoteIp, remoteHost: externalIds[TUNNEL_REMOTE_HOST_KEY] ?? "", networks };
}

/** A tunnel port in place, with its OpenFlow port number. */
export interface TunnelPortState extends TunnelPortWant {
  readonly ofport: number;
}

/** The agent's tunnel ports on br-tun as OVSDB has them (names that say they are ours). */
export function existingTunnelPorts(view: OvsView, bridge: string): Map<string, TunnelPortWant> {
  const existing = new Map<string, TunnelPortWant>();
  for (const name of view.portNames(bridge)) {
    const iface = view.port(bridge, name)?.iface;
    if (iface === undefined) continue;
    const parsed = parseTunnelPort(name, iface.type, iface.options, iface.external_ids);
    if (parsed !== undefined) existing.set(name, parsed);
  }
  return existing;
}

/** What a pass does about tunnel ports: which to create or update now, and which are no longer needed. */
export interface TunnelPortPlan {
  readonly ensure: readonly (TunnelPortWant & { readonly creating: boolean })[];
  /** Wanted ports that have an ofport: their flows can be planned. */
  readonly ready: readonly TunnelPortState[];
  /** Ours but no longer wanted: deleted only once the agent knows everything (after a full sync). */
  readonly stale: readonly string[];
}

export function planTunnelPorts(
  view: OvsView,
  bridge: string,
  wanted: ReadonlyMap<string, TunnelPortWant>,
): TunnelPortPlan {
  const existing = existingTunnelPorts(view, bridge);
  const ensure: (TunnelPortWant & { creating: boolean })[] = [];
  const ready: TunnelPortState[] = [];
  for (const want of wanted.values()) {
    const have = existing.get(want.name);
    if (
      have === undefined ||
      have.remoteHost !== want.remoteHost ||
      have.networks.join(",") !== want.networks.join(",")
    )
      ensure.push({ ...want, creating: have === undefined });
    const ofport = view.ofport(bridge, want.name);
    if (ofport !== undefined) ready.push({ ...want, ofport });
  }
  return { ensure, ready, stale: [...existing.keys()].filter((name) => !wanted.has(name)) };
}

/** Creates or updates one tunnel port (its own transaction: tunnel ports change rarely). */
export async function ensureTunnelPort(
  db: VswitchDb,
  config: AgentConfig,
  want: TunnelPortWant,
): Promise<void> {
  await ensurePort(db, config.tunnelBridge, {
    ...tunnelPort({
      name: want.name,
      type: want.type,
      remoteIp: want.remoteIp,
      ...(config.localIp === undefined ? {} : { localIp: config.localIp }),
      ...(want.type === "vxlan" && config.vxlanUdpPort !== 4789 ? { dstPort: config.vxlanUdpPort } : {}),
    }),
    interfaceExternalIds: {
      [TUNNEL_NETWORKS_KEY]: want.networks.join(","),
      [TUNNEL_REMOTE_HOST_KEY]: want.remoteHost,
    },
  });
}

export function deleteTunnelPort(db: VswitchDb, config: AgentConfig, name: string): Promise<boolean> {
  return deletePort(db, config.tunnelBridge, name);
}
