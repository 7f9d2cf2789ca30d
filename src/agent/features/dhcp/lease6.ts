/**
 * What a port's IPv6 answers say, from what the server sent, as Neutron's radvd and dnsmasq would say it
 * for the port's first IPv6 subnet with enable_dhcp and something to serve:
 *
 * - router advertisements when the subnet has an `ipv6_ra_mode` (with no RA mode, Neutron leaves them to
 *   a router outside the cloud, and so do we): M set for dhcpv6-stateful, O for dhcpv6-stateless, the
 *   prefix on-link, and autonomous unless addresses come from DHCPv6; the network's MTU and the subnet's
 *   DNS servers (RDNSS) — and no default router yet (see ROUTER_LIFETIME_SECONDS);
 * - DHCPv6 by `ipv6_address_mode`: dhcpv6-stateful (and no mode at all, which Neutron's dnsmasq serves
 *   as static) hands out the port's fixed address; dhcpv6-stateless answers information requests
 *   only; slaac, nothing. The port's IPv6 extra_dhcp_opts may replace the DNS servers and domains.
 *
 * Pure: the same inputs give an equal lease.
 */
import type { DeviceDetails, DhcpSubnetInfo } from "../../../protocol/index.ts";
import type { DhcpConfig } from "./config.ts";
import { dhcpv6Overrides } from "./extra-options6.ts";
import { dhcpAddressesOf, serverMacOf } from "./lease.ts";

export type Dhcpv6Mode = "none" | "stateful" | "stateless";

export interface Lease6 {
  readonly clientMac: string;
  /** The answers' source MAC; their source IP is its link-local address. */
  readonly serverMac: string;
  /** The subnet's CIDR, a /64 for SLAAC. */
  readonly prefix: string;
  readonly prefixLength: number;
  /** The port's address on the subnet (its EUI-64 one on SLAAC subnets). */
  readonly address: string;
  /** Whether router solicitations are answered (the subnet has an ipv6_ra_mode). */
  readonly advertise: boolean;
  /** RA flags: M (addresses from DHCPv6), O (other configuration from DHCPv6), A on the prefix (SLAAC). */
  readonly managed: boolean;
  readonly other: boolean;
  readonly autonomous: boolean;
  /** Seconds as a default router in RAs; 0: not a default router. */
  readonly routerLifetime: number;
  /** MaxRtrAdvInterval: the RDNSS lifetime is three of them (RFC 8106 §5.1). */
  readonly raIntervalSeconds: number;
  readonly dhcpv6: Dhcpv6Mode;
  readonly mtu: number;
  /** Seconds for the DHCPv6 address (valid and preferred); -1: infinite. */
  readonly leaseSeconds: number;
  readonly dnsServers: readonly string[];
  /** The domain search list: [dhcp] dns_domain, or the port's IPv6 extra_dhcp_opts domain-search. */
  readonly domains: readonly string[];
}

/**
 * The RAs' router lifetime: 0, not a default router. Neutron's radvd runs on a router's interface only;
 * without one (Weir's routers are issue 14) nothing forwards for the address the RAs come from, and
 * advertising it as a router would send every VM's off-link IPv6 into a neighbour solicitation nobody
 * answers. VMs still take the prefix (on-link, SLAAC) from an RA that offers no router (RFC 4861 §6.3.4).
 */
export const ROUTER_LIFETIME_SECONDS = 0;

/** How addresses are given: the address mode, else the RA mode (a subnet with neither: DHCPv6 static). */
const dhcpv6ModeOf = (mode: DhcpSubnetInfo["ipv6_address_mode"]): Dhcpv6Mode =>
  mode === "slaac" ? "none" : mode === "dhcpv6-stateless" ? "stateless" : "stateful";

/** The IPv6 lease, or undefined when the port has no IPv6 subnet with something to serve. */
export function lease6Of(
  port: DeviceDetails,
  subnet: (id: string) => DhcpSubnetInfo | undefined,
  config: DhcpConfig,
): Lease6 | undefined {
  for (const { address, subnet: s } of dhcpAddressesOf(port, subnet, 6)) {
    const advertise = s.ipv6_ra_mode !== null;
    const addressMode = s.ipv6_address_mode ?? s.ipv6_ra_mode;
    const dhcpv6 = dhcpv6ModeOf(addressMode);
    if (!advertise && dhcpv6 === "none") continue;
    const overrides = dhcpv6Overrides(port);
    return {
      clientMac: port.mac_address.toLowerCase(),
      serverMac: serverMacOf(s.subnet_id),
      prefix: s.cidr.split("/")[0]!,
      prefixLength: Number(s.cidr.split("/")[1]),
      address,
      advertise,
      managed: addressMode === "dhcpv6-stateful",
      other: addressMode === "dhcpv6-stateless",
      autonomous: addressMode !== "dhcpv6-stateful",
      routerLifetime: ROUTER_LIFETIME_SECONDS,
      raIntervalSeconds: config.raIntervalSeconds,
      dhcpv6,
      mtu: port.mtu,
      leaseSeconds: config.leaseSeconds,
      dnsServers: overrides.dnsServers ?? s.dns_nameservers.filter((d) => d.includes(":")),
      domains: overrides.domains ?? [config.dnsDomain],
    };
  }
  return undefined;
}
