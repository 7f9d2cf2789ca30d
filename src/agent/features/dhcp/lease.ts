/**
 * What a port's DHCPv4 answers say, from what the server sent: the port's address on its first IPv4
 * subnet with enable_dhcp, and the options Neutron's dnsmasq gives (subnet mask, router, DNS servers,
 * domain, host name, MTU, broadcast, classless static routes with the default route in them) with the
 * port's extra_dhcp_opts over them. Pure: the same inputs give an equal lease.
 */
import type { DeviceDetails, DhcpSubnetInfo } from "../../../protocol/index.ts";
import type { DhcpConfig } from "./config.ts";
import { type DhcpOptionValue, extraOption } from "./extra-options.ts";

/** Option codes (RFC 2132, RFC 3442). */
export const OptionCode = {
  subnetMask: 1,
  router: 3,
  dns: 6,
  hostName: 12,
  domainName: 15,
  mtu: 26,
  broadcast: 28,
  classlessRoutes: 121,
} as const;

export interface Lease {
  readonly clientMac: string;
  readonly address: string;
  readonly prefixLength: number;
  /** The server identifier (option 54) and the answers' source: the subnet's gateway, else 169.254.169.254. */
  readonly serverIp: string;
  readonly serverMac: string;
  /** -1: infinite. */
  readonly leaseSeconds: number;
  /** siaddr (extra_dhcp_opts server-ip-address), for PXE; undefined: 0.0.0.0. */
  readonly nextServer: string | undefined;
  /** Options besides 51, 53, 54, 58 and 59 (the responder's), by code, ascending. */
  readonly options: ReadonlyMap<number, DhcpOptionValue>;
}

/** Where a server without a gateway to borrow answers from (as Neutron's metadata address is). */
const NO_GATEWAY_SERVER = "169.254.169.254";

const ipv4ToInt = (ip: string) => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
const intToIpv4 = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");

function maskOf(prefixLength: number): string {
  return intToIpv4(prefixLength === 0 ? 0 : (0xffffffff - (2 ** (32 - prefixLength) - 1)) >>> 0);
}

function broadcastOf(address: string, prefixLength: number): string {
  const host = 2 ** (32 - prefixLength) - 1;
  return intToIpv4((Math.floor(ipv4ToInt(address) / (host + 1)) * (host + 1) + host) >>> 0);
}

/**
 * A locally administered MAC of the subnet's (02 and five bytes of its id): stable across restarts and
 * hosts, so a client that noted it sees the same server everywhere.
 */
export function serverMacOf(subnetId: string): string {
  const hex = subnetId.replace(/-/g, "").slice(0, 10);
  return ["02", ...(hex.match(/../g) ?? [])].join(":");
}

/** Neutron's host name for a port without dns_name: host-<address with dashes>. */
export const hostNameOf = (address: string) => `host-${address.replace(/[.:]/g, "-")}`;

/**
 * The lease, or undefined when the port has no IPv4 address on a subnet with DHCP enabled that the
 * server has sent (such a port's DHCP is not answered: it floods as without the feature).
 */
export function leaseOf(
  port: DeviceDetails,
  subnet: (id: string) => DhcpSubnetInfo | undefined,
  config: DhcpConfig,
): Lease | undefined {
  for (const { address, subnet: s } of dhcpAddressesOf(port, subnet, 4))
    return lease(port, address, s, config);
  return undefined;
}

/** The port's fixed IPs of one version on subnets the server sent with enable_dhcp, in the port's order. */
export function* dhcpAddressesOf(
  port: DeviceDetails,
  subnet: (id: string) => DhcpSubnetInfo | undefined,
  version: 4 | 6,
): Generator<{ readonly address: string; readonly subnet: DhcpSubnetInfo }> {
  for (const fixed of port.fixed_ips) {
    if (fixed.ip_address.includes(":") !== (version === 6)) continue;
    const s = subnet(fixed.subnet_id);
    if (s !== undefined && s.ip_version === version && s.enable_dhcp)
      yield { address: fixed.ip_address, subnet: s };
  }
}

function lease(port: DeviceDetails, address: string, s: DhcpSubnetInfo, config: DhcpConfig): Lease {
  const prefixLength = Number(s.cidr.split("/")[1]);
  const options = new Map<number, DhcpOptionValue>();
  options.set(OptionCode.subnetMask, { kind: "ips", ips: [maskOf(prefixLength)] });
  if (s.gateway_ip !== null) options.set(OptionCode.router, { kind: "ips", ips: [s.gateway_ip] });
  if (s.dns_nameservers.length > 0) options.set(OptionCode.dns, { kind: "ips", ips: [...s.dns_nameservers] });
  options.set(OptionCode.hostName, { kind: "text", text: hostNameOf(address) });
  options.set(OptionCode.domainName, { kind: "text", text: config.dnsDomain });
  options.set(OptionCode.mtu, { kind: "u16", value: port.mtu });
  options.set(OptionCode.broadcast, { kind: "ips", ips: [broadcastOf(address, prefixLength)] });
  const routes = s.host_routes.filter((r) => r.destination.includes("."));
  if (routes.length > 0) {
    // RFC 3442: a client that takes option 121 ignores option 3, so the default route goes in it too.
    const withDefault =
      s.gateway_ip !== null && !routes.some((r) => r.destination === "0.0.0.0/0")
        ? [...routes, { destination: "0.0.0.0/0", nexthop: s.gateway_ip }]
        : routes;
    options.set(OptionCode.classlessRoutes, { kind: "routes", routes: withDefault });
  }
  let nextServer: string | undefined;
  for (const opt of port.extra_dhcp_opts ?? []) {
    if (opt.ip_version !== 4 || opt.opt_value === null) continue;
    const extra = extraOption({ opt_name: opt.opt_name, opt_value: opt.opt_value });
    if (extra === undefined) continue;
    if (extra.kind === "next-server") nextServer = extra.address;
    else options.set(extra.code, extra.value);
  }
  return {
    clientMac: port.mac_address.toLowerCase(),
    address,
    prefixLength,
    serverIp: s.gateway_ip ?? NO_GATEWAY_SERVER,
    serverMac: serverMacOf(s.subnet_id),
    leaseSeconds: config.leaseSeconds,
    nextServer,
    options: new Map([...options].sort(([a], [b]) => a - b)),
  };
}
