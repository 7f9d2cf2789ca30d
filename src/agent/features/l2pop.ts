/**
 * l2-population (Neutron's l2_population = true): unicast frames to a port on another host go straight to
 * the tunnel port of its host, from what the server says rather than from learning or flooding.
 */
import { actions as A, type Flow, flow } from "../../openflow/index.ts";
import { DocPort } from "../pipeline/doc-ports.ts";
import { type Feature, on } from "../pipeline/feature.ts";
import { TunTable } from "./tunnels.ts";

const UNICAST_PRIORITY = 2;

export function remoteUnicastFlows(
  lvid: number,
  segmentationId: number,
  mac: string,
  tunnelOfport: number,
): Flow[] {
  return [
    flow({
      table: TunTable.ucastToTun,
      priority: UNICAST_PRIORITY,
      match: { vlan_tci: [0x1000 | lvid, 0x1fff], eth_dst: mac },
      actions: [A.popVlan, A.setTunnel(BigInt(segmentationId)), A.output(tunnelOfport)],
    }),
  ];
}

export const l2pop: Feature = {
  name: "l2pop",
  summary: "unicast to other hosts' ports straight to their host's tunnel port (l2_population)",
  ownerClass: 0x07,
  tables: [],
  bands: [{ bridge: "tun", table: TunTable.ucastToTun, min: 2, max: 2, purpose: "l2-population entries" }],

  remotePort({ entry, network, tunnelOfport }, { host }) {
    if (tunnelOfport === undefined || network.segment.segmentationId === null) return undefined;
    return on(
      host.tunnelBridge,
      remoteUnicastFlows(network.lvid, network.segment.segmentationId, entry.mac_address, tunnelOfport),
    );
  },

  examples: ({ host }) => [
    {
      title: "a port on another host (fa:16:3e:00:00:02 on local VLAN 3, VNI 1001)",
      flows: on(host.tunnelBridge, remoteUnicastFlows(3, 1001, "fa:16:3e:00:00:02", DocPort.vxlanA)),
    },
  ],
};
