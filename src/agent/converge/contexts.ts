/**
 * What the features are called with: the host, a network, another host's port, a VIF — built from the
 * agent's state as a pass sees it. Pure reads; nothing here changes anything.
 */
import type { VswitchTables } from "../../ovsdb/index.ts";
import type { AgentConfig } from "../config.ts";
import type { ControlState } from "../control/state.ts";
import { physPatchNames } from "../host/bridges.ts";
import type { OvsView } from "../host/ovs-view.ts";
import type { TunnelPortState } from "../host/tunnel-ports.ts";
import type {
  HostContext,
  NetworkContext,
  RemotePortContext,
  VifContext,
  VifRows,
} from "../pipeline/feature.ts";
import type { VifDecision } from "../ports/decisions.ts";
import type { LocalVlans } from "../ports/local-vlans.ts";
import type { Decided } from "./decide.ts";
import { stateOf } from "./vif-records.ts";

export interface ContextSources {
  readonly config: AgentConfig;
  readonly view: OvsView;
  readonly vlans: LocalVlans;
  readonly control: ControlState;
}

export function hostContext({ config, view }: ContextSources): HostContext {
  const tunBr = config.tunnelTypes.length > 0 ? config.tunnelBridge : undefined;
  const intSide = view.ofport(config.integrationBridge, config.intPeerPatchPort);
  const tunSide = tunBr === undefined ? undefined : view.ofport(tunBr, config.tunPeerPatchPort);
  const physPatches = new Map<string, { intSide: number; physSide: number }>();
  for (const [physnet, bridge] of Object.entries(config.bridgeMappings)) {
    const names = physPatchNames(bridge);
    const i = view.ofport(config.integrationBridge, names.intSide);
    const p = view.ofport(bridge, names.otherSide);
    if (i !== undefined && p !== undefined) physPatches.set(physnet, { intSide: i, physSide: p });
  }
  const datapath = view.bridge(config.integrationBridge)?.datapath_type;
  return {
    host: config.host,
    integrationBridge: config.integrationBridge,
    tunnelBridge: tunBr,
    physicalBridges: new Map(Object.entries(config.bridgeMappings)),
    datapath: datapath === "netdev" ? "netdev" : "system",
    tunnelTypes: config.tunnelTypes,
    l2Population: config.l2Population,
    arpResponder: config.arpResponder,
    tunPatch: intSide === undefined || tunSide === undefined ? undefined : { intSide, tunSide },
    physPatches,
  };
}

/** What of the host a pass's base and network flows depend on: when it changes, they are planned again. */
export function hostKeyOf(host: HostContext): string {
  return JSON.stringify([host.datapath, host.tunPatch, [...host.physPatches]]);
}

export function networkContext(
  { vlans }: ContextSources,
  id: string,
  floodOfports: readonly number[],
): NetworkContext | undefined {
  const vlan = vlans.get(id);
  if (vlan === undefined) return undefined;
  const { networkId, lvid, ...segment } = vlan;
  return { networkId, lvid, segment, floodOfports };
}

/** Another host's port on a tunnelled network with a local VLAN here; undefined when it has no flows here. */
export function remotePortContext(
  { config, control, vlans }: ContextSources,
  id: string,
  tunnels: Iterable<TunnelPortState>,
): RemotePortContext | undefined {
  const entry = control.fdb.get(id);
  if (entry === undefined || entry.host === control.host) return undefined;
  const vlan = vlans.get(entry.network_id);
  if (vlan === undefined || vlan.segmentationId === null) return undefined;
  if (!(config.tunnelTypes as readonly string[]).includes(vlan.networkType)) return undefined;
  const { networkId, lvid, ...segment } = vlan;
  let tunnelOfport: number | undefined;
  for (const t of tunnels) {
    if (t.type !== vlan.networkType || t.remoteHost !== entry.host) continue;
    tunnelOfport = t.ofport;
    break;
  }
  return { entry, network: { id: networkId, lvid, segment }, tunnelOfport };
}

export function vifContext(
  sources: ContextSources,
  d: Decided,
  decision: VifDecision,
): VifContext | undefined {
  const { config, view, vlans, control } = sources;
  const entry = view.port(config.integrationBridge, d.iface);
  if (entry?.iface === undefined) return undefined;
  const networkId = decision.kind === "dead" ? undefined : decision.networkId;
  const vlan = networkId === undefined ? undefined : vlans.get(networkId);
  const portId = d.observation.kind === "vif" ? d.observation.portId : undefined;
  return {
    iface: d.iface,
    ofport: d.observation.ofport,
    state: stateOf(decision),
    portId,
    mac: d.observation.kind === "vif" ? d.observation.mac : undefined,
    network: vlan === undefined ? undefined : { id: vlan.networkId, lvid: vlan.lvid, segment: vlan },
    details: decision.kind === "wire" && portId !== undefined ? control.details.get(portId) : undefined,
    rows: vifRows(view, entry.port, entry.iface),
  };
}

export function vifRows(
  view: OvsView,
  port: VswitchTables["Port"],
  iface: VswitchTables["Interface"],
): VifRows {
  const cache = view.cache;
  return { port, iface, get: (table, uuid) => cache.get(table, uuid) };
}
