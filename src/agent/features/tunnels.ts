/**
 * Tunnelled networks (VXLAN, GRE, Geneve) through br-tun, Neutron's table layout: frames from br-int go
 * by destination to the unicast (20) or flood (22) tables; frames from a tunnel port go through their
 * type's tunnel-id table (3/4/6) to the local VLAN, are learned (10) and go to br-int. A network's floods
 * go only to the tunnel ports of hosts with ports on it (l2-population), or to every tunnel port of its
 * type without it.
 */
import { actions as A, type Flow, flow, learnedCookie } from "../../openflow/index.ts";
import type { TunnelType } from "../../protocol/index.ts";
import { DocPort } from "../pipeline/doc-ports.ts";
import { type Feature, on } from "../pipeline/feature.ts";
import type { Segment } from "../ports/local-vlans.ts";

export const TunTable = {
  localSwitching: 0,
  patchLvToTun: 2,
  greTunToLv: 3,
  vxlanTunToLv: 4,
  geneveTunToLv: 6,
  learnFromTun: 10,
  ucastToTun: 20,
  floodToTun: 22,
} as const;

/** Tunnel type → the br-tun table that maps its tunnel ids to local VLANs. */
export const tunToLvTable: Record<TunnelType, number> = {
  gre: TunTable.greTunToLv,
  vxlan: TunTable.vxlanTunToLv,
  geneve: TunTable.geneveTunToLv,
};

const vlanMatch = (vid: number) => [0x1000 | vid, 0x1fff] as const;
const isTunnelled = (t: string): t is TunnelType => t === "vxlan" || t === "gre" || t === "geneve";

/** Tunnel id → local VLAN on the way in; floods to the given tunnel ports on the way out. */
export function tunnelNetworkFlows(segment: Segment, lvid: number, floodOfports: readonly number[]): Flow[] {
  if (!isTunnelled(segment.networkType) || segment.segmentationId === null) return [];
  const key = BigInt(segment.segmentationId);
  const flows = [
    flow({
      table: tunToLvTable[segment.networkType],
      priority: 1,
      match: { tun_id: key },
      actions: [A.pushVlan(), A.setVlanVid(lvid), A.gotoTable(TunTable.learnFromTun)],
    }),
  ];
  if (floodOfports.length > 0) {
    flows.push(
      flow({
        table: TunTable.floodToTun,
        priority: 1,
        match: { vlan_tci: vlanMatch(lvid) },
        actions: [
          A.popVlan,
          A.setTunnel(key),
          ...[...floodOfports].sort((a, b) => a - b).map((p) => A.output(p)),
        ],
      }),
    );
  }
  return flows;
}

/** A tunnel port's frames go to its type's tunnel-id table. */
export function tunnelPortFlows(type: TunnelType, ofport: number): Flow[] {
  return [
    flow({
      table: TunTable.localSwitching,
      priority: 1,
      match: { in_port: ofport },
      actions: [A.gotoTable(tunToLvTable[type])],
    }),
  ];
}

/**
 * Learning writes flows with the learned-flow cookie (generation 0, class 0x7f), which generation swaps
 * and reconciles leave in place: they are data-plane state, and they expire by timeout.
 */
function learnAndDeliver(patchInt: number) {
  const vlanOf = A.subfield("vlan_tci", 0, 11);
  return [
    A.learn({
      table: TunTable.ucastToTun,
      priority: 1,
      hardTimeout: 300,
      cookie: learnedCookie(),
      specs: [
        { kind: "match", dst: vlanOf, src: vlanOf },
        { kind: "match", dst: A.subfield("eth_dst"), src: A.subfield("eth_src") },
        { kind: "load", dst: A.subfield("vlan_tci"), src: 0n },
        { kind: "load", dst: A.subfield("tun_id"), src: A.subfield("tun_id") },
        { kind: "output", src: A.subfield("in_port") },
      ],
    }),
    A.output(patchInt),
  ];
}

export const tunnels: Feature = {
  name: "tunnels",
  summary: "VXLAN, GRE and Geneve networks through br-tun, floods to the hosts that share a network",
  ownerClass: 0x06,
  tables: [
    {
      bridge: "tun",
      number: TunTable.localSwitching,
      name: "LOCAL_SWITCHING",
      purpose: "Entry. From br-int → 2; from a tunnel port → the tunnel type's table.",
      miss: () => [],
    },
    {
      bridge: "tun",
      number: TunTable.patchLvToTun,
      name: "PATCH_LV_TO_TUN",
      purpose: "From br-int: unicast → 20, multicast and broadcast → 22.",
      shared: true,
      miss: () => [],
    },
    {
      bridge: "tun",
      number: TunTable.greTunToLv,
      name: "GRE_TUN_TO_LV",
      purpose: "GRE key → local VLAN, then learn.",
      miss: () => [],
    },
    {
      bridge: "tun",
      number: TunTable.vxlanTunToLv,
      name: "VXLAN_TUN_TO_LV",
      purpose: "VXLAN VNI → local VLAN, then learn.",
      miss: () => [],
    },
    {
      bridge: "tun",
      number: TunTable.geneveTunToLv,
      name: "GENEVE_TUN_TO_LV",
      purpose: "Geneve VNI → local VLAN, then learn.",
      miss: () => [],
    },
    {
      bridge: "tun",
      number: TunTable.learnFromTun,
      name: "LEARN_FROM_TUN",
      purpose:
        "Learns (local VLAN, source MAC) → tunnel port into table 20 (hard timeout 300 s, learned-flow cookie), then sends the frame to br-int.",
      miss: ({ host }) => (host.tunPatch === undefined ? [] : learnAndDeliver(host.tunPatch.tunSide)),
    },
    {
      bridge: "tun",
      number: TunTable.ucastToTun,
      name: "UCAST_TO_TUN",
      purpose:
        "Unicast by destination: learned (priority 1) or known from l2-population (priority 2) → strip the local VLAN, set the tunnel id, out the one tunnel port; else flood.",
      shared: true,
      miss: () => [A.gotoTable(TunTable.floodToTun)],
    },
    {
      bridge: "tun",
      number: TunTable.floodToTun,
      name: "FLOOD_TO_TUN",
      purpose:
        "Floods a local VLAN's frames to the tunnel ports of the other hosts with ports on that network (all of the type's without l2-population).",
      miss: () => [],
      // arp-responder sends the ARP requests it cannot answer here, to be flooded as without it.
      handOff: "a frame on a local VLAN, flooded to that network's tunnel ports",
    },
  ],
  bands: [
    { bridge: "tun", table: TunTable.patchLvToTun, min: 0, max: 1, purpose: "by destination" },
    { bridge: "tun", table: TunTable.ucastToTun, min: 0, max: 1, purpose: "the miss; learned destinations" },
  ],

  baseFlows({ host }) {
    if (host.tunnelBridge === undefined || host.tunPatch === undefined) return new Map();
    return on(host.tunnelBridge, [
      flow({
        table: TunTable.localSwitching,
        priority: 1,
        match: { in_port: host.tunPatch.tunSide },
        actions: [A.gotoTable(TunTable.patchLvToTun)],
      }),
      flow({
        table: TunTable.patchLvToTun,
        priority: 1,
        match: { eth_dst: "00:00:00:00:00:00/01:00:00:00:00:00" },
        actions: [A.gotoTable(TunTable.ucastToTun)],
      }),
      flow({
        table: TunTable.patchLvToTun,
        priority: 1,
        match: { eth_dst: "01:00:00:00:00:00/01:00:00:00:00:00" },
        actions: [A.gotoTable(TunTable.floodToTun)],
      }),
    ]);
  },

  network({ segment, lvid, floodOfports }, { host }) {
    if (host.tunnelBridge === undefined || !isTunnelled(segment.networkType)) return undefined;
    if (!host.tunnelTypes.includes(segment.networkType)) return undefined;
    return on(host.tunnelBridge, tunnelNetworkFlows(segment, lvid, floodOfports));
  },

  tunnelPort({ type, ofport }, { host }) {
    return on(host.tunnelBridge, tunnelPortFlows(type, ofport));
  },

  examples: ({ host }) => [
    {
      title: "a VXLAN network (VNI 1001, local VLAN 3) with ports on two other hosts",
      flows: on(
        host.tunnelBridge,
        tunnelNetworkFlows({ networkType: "vxlan", physicalNetwork: null, segmentationId: 1001 }, 3, [
          DocPort.vxlanA,
          DocPort.vxlanB,
        ]),
      ),
    },
    { title: "a tunnel port", flows: on(host.tunnelBridge, tunnelPortFlows("vxlan", DocPort.vxlanA)) },
  ],
};
