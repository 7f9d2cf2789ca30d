/**
 * The DHCP feature's flows in DHCP_IPV4 (Neutron's table 77), per VIF with a lease: its DHCP requests —
 * from its own MAC, client port 68 to server port 67, broadcast or unicast to any server — go through
 * the VIF's meter to the agent, with the lease as the punt's userdata; any other DHCP request from it
 * (another MAC: spoofed; another source port) is dropped. Everything else, and every VIF without a lease,
 * goes on (the table's miss).
 */
import { actions as A, type Flow, flow, type Meter, meter } from "../../../openflow/index.ts";
import type { DhcpConfig } from "./config.ts";

export const DHCP_TABLE = 77;
/** Meter ids of VIFs' DHCP rate limits: this base plus the VIF's ofport. */
export const DHCP_METER_BASE = 0x20000;
export const DHCP_METER_IDS = { min: DHCP_METER_BASE, max: DHCP_METER_BASE + 0xffff } as const;

const Priority = { punt: 30, refuse: 20 } as const;

const UDP = { eth_type: 0x0800, ip_proto: 17 } as const;

export function dhcpFlows(ofport: number, mac: string, userdata: Uint8Array): Flow[] {
  return [
    flow({
      table: DHCP_TABLE,
      priority: Priority.punt,
      match: { in_port: ofport, eth_src: mac, ...UDP, udp_src: 68, udp_dst: 67 },
      actions: [A.meter(DHCP_METER_BASE + ofport), A.controllerWith(userdata)],
    }),
    flow({
      table: DHCP_TABLE,
      priority: Priority.refuse,
      match: { in_port: ofport, ...UDP, udp_dst: 67 },
      actions: [],
    }),
  ];
}

const UDP6 = { eth_type: 0x86dd, ip_proto: 17 } as const;
const ROUTER_SOLICITATION = { eth_type: 0x86dd, ip_proto: 58, icmpv6_type: 133, icmpv6_code: 0 } as const;

/**
 * The IPv6 flows of a VIF with an IPv6 lease, through the same meter: when the subnet's DHCPv6 is ours,
 * DHCPv6 requests from its MAC (client port 546 to server port 547, to All_DHCP_Relay_Agents_and_Servers
 * or unicast) — any other DHCPv6 request from it dropped; when its RAs are ours, its router
 * solicitations. What is not ours (no RA mode, a SLAAC subnet's DHCPv6) goes on to the network.
 */
export function dhcpv6Flows(
  ofport: number,
  mac: string,
  userdata: Uint8Array,
  serves: { readonly advertise: boolean; readonly dhcpv6: boolean },
): Flow[] {
  const punt = [A.meter(DHCP_METER_BASE + ofport), A.controllerWith(userdata)];
  const flows: Flow[] = [];
  if (serves.dhcpv6)
    flows.push(
      flow({
        table: DHCP_TABLE,
        priority: Priority.punt,
        match: { in_port: ofport, eth_src: mac, ...UDP6, udp_src: 546, udp_dst: 547 },
        actions: punt,
      }),
      flow({
        table: DHCP_TABLE,
        priority: Priority.refuse,
        match: { in_port: ofport, ...UDP6, udp_dst: 547 },
        actions: [],
      }),
    );
  if (serves.advertise)
    flows.push(
      flow({
        table: DHCP_TABLE,
        priority: Priority.punt,
        match: { in_port: ofport, eth_src: mac, ...ROUTER_SOLICITATION },
        actions: punt,
      }),
    );
  return flows;
}

/** The VIF's meter: packets per second, the excess dropped (and counted in the meter's band). */
export function dhcpMeter(ofport: number, config: DhcpConfig): Meter {
  return meter({
    id: DHCP_METER_BASE + ofport,
    unit: "pktps",
    burst: config.burst > 0,
    stats: true,
    bands: [{ rate: config.rateLimit, ...(config.burst > 0 ? { burstSize: config.burst } : {}) }],
  });
}
