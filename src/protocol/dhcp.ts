/**
 * The dhcp section of the agent channel: what an agent answering DHCP and router solicitations itself
 * needs of its ports' subnets (agents that declared the `dhcp` extension only). The per-port part, the
 * port's `extra_dhcp_opts`, travels in DeviceDetails.
 */
import { z } from "zod";
import { uuid } from "./values.ts";

const address = z.string().min(2).max(45);

/** Neutron's IPv6 modes (ipv6_address_mode, ipv6_ra_mode). */
export const Ipv6Mode = z.enum(["slaac", "dhcpv6-stateful", "dhcpv6-stateless"]);
export type Ipv6Mode = z.infer<typeof Ipv6Mode>;

export const HostRoute = z.object({ destination: z.string().min(1).max(49), nexthop: address });
export type HostRoute = z.infer<typeof HostRoute>;

/** A subnet of one of the agent's ports, as a DHCP server needs it. */
export const DhcpSubnetInfo = z.object({
  subnet_id: uuid,
  network_id: uuid,
  ip_version: z.union([z.literal(4), z.literal(6)]),
  cidr: z.string().min(1).max(49),
  gateway_ip: address.nullable(),
  enable_dhcp: z.boolean(),
  dns_nameservers: z.array(address),
  host_routes: z.array(HostRoute),
  ipv6_address_mode: Ipv6Mode.nullable(),
  ipv6_ra_mode: Ipv6Mode.nullable(),
  revision_number: z.number().int(),
});
export type DhcpSubnetInfo = z.infer<typeof DhcpSubnetInfo>;

/** The dhcp section of sync and details replies: the subnets of the ports in the reply. */
export const DhcpSection = z.object({ subnets: z.array(DhcpSubnetInfo) });
export type DhcpSection = z.infer<typeof DhcpSection>;

/**
 * One of a port's extra DHCP options (Neutron's extra_dhcp_opt): a name as dnsmasq knows it (`mtu`,
 * `router`, `domain-search`, or a number), its value, and the IP version it is for.
 */
export const ExtraDhcpOpt = z.object({
  opt_name: z.string().min(1).max(64),
  opt_value: z.string().max(255).nullable(),
  ip_version: z.union([z.literal(4), z.literal(6)]),
});
export type ExtraDhcpOpt = z.infer<typeof ExtraDhcpOpt>;
