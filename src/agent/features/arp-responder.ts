/**
 * The ARP responder (Neutron's arp_responder = true): br-tun answers ARP requests for ports on other
 * hosts itself, from the server's entries, as those ports would — so ARP broadcasts need not cross
 * tunnels. Requests it cannot answer are flooded as before.
 */
import { actions as A, type Flow, flow } from "../../openflow/index.ts";
import { type Feature, on } from "../pipeline/feature.ts";
import { TunTable } from "./tunnels.ts";

const ARP_RESPONDER_TABLE = 21;

export function arpAnswerFlows(lvid: number, mac: string, ips: readonly string[]): Flow[] {
  return ips
    .filter((ip) => ip.includes("."))
    .map((ip) =>
      flow({
        table: ARP_RESPONDER_TABLE,
        priority: 1,
        match: { eth_type: 0x0806, vlan_tci: [0x1000 | lvid, 0x1fff], arp_op: 1, arp_tpa: ip },
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

export const arpResponder: Feature = {
  name: "arp-responder",
  summary: "br-tun answers ARP requests for other hosts' ports (arp_responder)",
  ownerClass: 0x08,
  tables: [
    {
      bridge: "tun",
      number: ARP_RESPONDER_TABLE,
      name: "ARP_RESPONDER",
      purpose: "Answers ARP requests for ports on other hosts of the network, from the server's entries.",
      // Unanswered requests are flooded, as they would have been without the responder.
      miss: () => [A.gotoTable(TunTable.floodToTun)],
    },
  ],
  bands: [{ bridge: "tun", table: TunTable.patchLvToTun, min: 2, max: 2, purpose: "ARP broadcasts → 21" }],

  baseFlows({ host }) {
    return on(host.tunnelBridge, [
      flow({
        table: TunTable.patchLvToTun,
        priority: 2,
        match: { eth_type: 0x0806, eth_dst: "ff:ff:ff:ff:ff:ff" },
        actions: [A.gotoTable(ARP_RESPONDER_TABLE)],
      }),
    ]);
  },

  remotePort({ entry, network }, { host }) {
    return on(host.tunnelBridge, arpAnswerFlows(network.lvid, entry.mac_address, entry.ip_addresses));
  },

  examples: ({ host }) => [
    {
      title: "the answer for a port on another host (198.19.2.1 at fa:16:3e:00:00:02, local VLAN 3)",
      flows: on(host.tunnelBridge, arpAnswerFlows(3, "fa:16:3e:00:00:02", ["198.19.2.1"])),
    },
  ],
};
