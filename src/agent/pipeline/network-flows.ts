/** Flows of one network on this host (owner net:<id>), per bridge, given its local VLAN. */
import { actions as A, type Flow, flow } from "../../openflow/index.ts";
import type { NetworkType } from "../../protocol/index.ts";
import { IntTable, PhysTable, TunTable, tunToLvTable } from "./tables.ts";

export interface NetworkPlacement {
  readonly type: NetworkType;
  readonly segmentationId: number | null;
  readonly lvid: number;
}

const vlanMatch = (vid: number) => [0x1000 | vid, 0x1fff] as const;

/**
 * flat/VLAN, br-int side: frames from the physical bridge carrying the provider VLAN (or none, for flat)
 * get the local VLAN instead.
 */
export function intProviderFlows(net: NetworkPlacement, intPatchOfport: number): Flow[] {
  if (net.type === "vlan") {
    return [
      flow({
        table: IntTable.localSwitching,
        priority: 3,
        match: { in_port: intPatchOfport, vlan_tci: vlanMatch(net.segmentationId!) },
        actions: [A.setVlanVid(net.lvid), A.gotoTable(IntTable.transient)],
      }),
    ];
  }
  if (net.type === "flat") {
    return [
      flow({
        table: IntTable.localSwitching,
        priority: 3,
        match: { in_port: intPatchOfport, vlan_tci: [0, 0x1fff] },
        actions: [A.pushVlan(), A.setVlanVid(net.lvid), A.gotoTable(IntTable.transient)],
      }),
    ];
  }
  return [];
}

/** flat/VLAN, physical bridge side: the local VLAN leaves as the provider VLAN (or untagged). */
export function physProviderFlows(net: NetworkPlacement, phyPatchOfport: number): Flow[] {
  const translate = net.type === "vlan" ? [A.setVlanVid(net.segmentationId!)] : [A.popVlan];
  return [
    flow({
      table: PhysTable.localSwitching,
      priority: 4,
      match: { in_port: phyPatchOfport, vlan_tci: vlanMatch(net.lvid) },
      actions: [...translate, A.normal],
    }),
  ];
}

/**
 * Tunnelled networks, br-tun: tunnel id → local VLAN on the way in; on the way out, floods go to the
 * tunnel ports of the other hosts with ports on this network (and only those).
 */
export function tunnelNetworkFlows(net: NetworkPlacement, floodOfports: readonly number[]): Flow[] {
  if (net.type !== "vxlan" && net.type !== "gre" && net.type !== "geneve") return [];
  const flows = [
    flow({
      table: tunToLvTable[net.type],
      priority: 1,
      match: { tun_id: BigInt(net.segmentationId!) },
      actions: [A.pushVlan(), A.setVlanVid(net.lvid), A.gotoTable(TunTable.learnFromTun)],
    }),
  ];
  if (floodOfports.length > 0) {
    flows.push(
      flow({
        table: TunTable.floodToTun,
        priority: 1,
        match: { vlan_tci: vlanMatch(net.lvid) },
        actions: [
          A.popVlan,
          A.setTunnel(BigInt(net.segmentationId!)),
          ...[...floodOfports].sort((a, b) => a - b).map((p) => A.output(p)),
        ],
      }),
    );
  }
  return flows;
}

/** A tunnel port's frames go to its type's tunnel-id table (owner tunnel:<port>). */
export function tunnelPortFlows(type: "vxlan" | "gre" | "geneve", ofport: number): Flow[] {
  return [
    flow({
      table: TunTable.localSwitching,
      priority: 1,
      match: { in_port: ofport },
      actions: [A.gotoTable(tunToLvTable[type])],
    }),
  ];
}

/** A dead VIF (unknown, admin-down, odd external_ids) forwards nothing (owner vif:<interface>). */
export function deadVifFlows(ofport: number): Flow[] {
  return [flow({ table: IntTable.localSwitching, priority: 2, match: { in_port: ofport }, actions: [] })];
}

/**
 * ARP responder entry for a port on another host (owner fdb:<port>): a request for its IP on this
 * network's local VLAN is answered from br-tun, as that port would answer.
 */
export function arpResponderFlows(lvid: number, mac: string, ips: readonly string[]): Flow[] {
  return ips
    .filter((ip) => ip.includes("."))
    .map((ip) =>
      flow({
        table: TunTable.arpResponder,
        priority: 1,
        match: { eth_type: 0x0806, vlan_tci: vlanMatch(lvid), arp_op: 1, arp_tpa: ip },
        actions: [
          A.move(A.subfield("eth_src"), A.subfield("eth_dst")),
          A.setField("eth_src", mac),
          A.load(2, A.subfield("arp_op")),
          A.move(A.subfield("arp_sha"), A.subfield("arp_tha")),
          A.move(A.subfield("arp_spa"), A.subfield("arp_tpa")),
          A.setField("arp_sha", mac),
          A.setField("arp_spa", ip),
          A.inPort,
        ],
      }),
    );
}

/**
 * l2-population unicast entry for a port on another host (owner fdb:<port>): frames to its MAC on this
 * network's local VLAN go straight to the one tunnel port of its host, ahead of anything learned.
 */
export function fdbUnicastFlows(
  lvid: number,
  segmentationId: number,
  mac: string,
  tunnelOfport: number,
): Flow[] {
  return [
    flow({
      table: TunTable.ucastToTun,
      priority: 2,
      match: { vlan_tci: vlanMatch(lvid), eth_dst: mac },
      actions: [A.popVlan, A.setTunnel(BigInt(segmentationId)), A.output(tunnelOfport)],
    }),
  ];
}
