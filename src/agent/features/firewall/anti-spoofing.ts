/**
 * BASE_EGRESS (71): what a VIF with port security may send, whatever the firewall driver — its own MACs
 * and IPs (fixed IPs, allowed address pairs, link-local), ARP and IPv6 neighbour discovery only for them,
 * DHCP client traffic; never DHCP server replies or router advertisements. IP from an allowed source goes
 * on to the rules (through conntrack for stateful groups), or straight to NORMAL without a firewall.
 * Anything else from the VIF falls to the table's miss: DROPPED.
 */
import { actions as A, type Action, type Flow, flow } from "../../../openflow/index.ts";
import { type AllowedSource, allowedMacs, isIpv6, prefixOf } from "./addresses.ts";
import { ETH, FwTable, PROTO, Prio, ZONE_REG } from "./tables.ts";

/** Where IP from an allowed source goes next. */
export type IpVerdict = "rules-tracked" | "rules-stateless" | "accept";

/** ICMPv6 a VM sends from its own addresses: MLD (130–132, 143), router and neighbour solicitation. */
const ND_EGRESS = [130, 131, 132, 133, 135, 143] as const;
/** … and from the unspecified address (duplicate address detection, MLD reports before an address). */
const ND_FROM_UNSPECIFIED = [135, 143] as const;

const toAccepted: readonly Action[] = [A.gotoTable(FwTable.acceptedEgressTraffic)];
const toDropped: readonly Action[] = [A.gotoTable(FwTable.dropped)];

function ipActions(verdict: IpVerdict): readonly Action[] {
  if (verdict === "accept") return toAccepted;
  if (verdict === "rules-stateless") return [A.gotoTable(FwTable.rulesEgress)];
  return [A.ct({ zone: ZONE_REG, table: FwTable.rulesEgress })];
}

export function antiSpoofingFlows(
  ofport: number,
  sources: readonly AllowedSource[],
  macs: readonly string[],
  verdict: IpVerdict,
): Flow[] {
  const reg5 = ofport;
  const t = FwTable.baseEgress;
  const flows: Flow[] = [];
  const add = (priority: number, match: Record<string, unknown>, actions: readonly Action[]) =>
    flows.push(flow({ table: t, priority, match: { reg5, ...match }, actions }));

  for (const { mac, ip } of sources) {
    const prefix = prefixOf(ip);
    if (!isIpv6(ip)) {
      add(Prio.spoofable, { eth_type: ETH.arp, eth_src: mac, arp_sha: mac, arp_spa: prefix }, toAccepted);
      add(Prio.ipFromVif, { eth_type: ETH.ipv4, eth_src: mac, ip_src: prefix }, ipActions(verdict));
      add(
        Prio.dhcpClient,
        { eth_type: ETH.ipv4, eth_src: mac, ip_src: prefix, ip_proto: PROTO.udp, udp_src: 68, udp_dst: 67 },
        toAccepted,
      );
      continue;
    }
    const v6 = { eth_type: ETH.ipv6, eth_src: mac, ipv6_src: prefix };
    for (const type of ND_EGRESS)
      add(Prio.spoofable, { ...v6, ip_proto: PROTO.icmpv6, icmpv6_type: type }, toAccepted);
    add(
      Prio.spoofable,
      {
        eth_type: ETH.ipv6,
        eth_src: mac,
        ip_proto: PROTO.icmpv6,
        icmpv6_type: 136,
        icmpv6_code: 0,
        nd_target: prefix,
      },
      toAccepted,
    );
    add(Prio.ipFromVif, v6, ipActions(verdict));
    add(Prio.dhcpClient, { ...v6, ip_proto: PROTO.udp, udp_src: 546, udp_dst: 547 }, toAccepted);
  }
  for (const mac of macs) {
    add(
      Prio.dhcpClient,
      {
        eth_type: ETH.ipv4,
        eth_src: mac,
        ip_src: "0.0.0.0",
        ip_proto: PROTO.udp,
        udp_src: 68,
        udp_dst: 67,
      },
      toAccepted,
    );
    for (const type of ND_FROM_UNSPECIFIED)
      add(
        Prio.spoofable,
        { eth_type: ETH.ipv6, eth_src: mac, ipv6_src: "::", ip_proto: PROTO.icmpv6, icmpv6_type: type },
        toAccepted,
      );
  }
  // A VM is never a DHCP server or a router to its neighbours, even from an address it owns.
  add(Prio.serverBan, { eth_type: ETH.ipv4, ip_proto: PROTO.udp, udp_src: 67, udp_dst: 68 }, toDropped);
  add(Prio.serverBan, { eth_type: ETH.ipv6, ip_proto: PROTO.udp, udp_src: 547, udp_dst: 546 }, toDropped);
  add(Prio.serverBan, { eth_type: ETH.ipv6, ip_proto: PROTO.icmpv6, icmpv6_type: 134 }, toDropped);
  return flows;
}

export { allowedMacs };
