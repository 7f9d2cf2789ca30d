/**
 * A port's IPv6 extra_dhcp_opts (ip_version 6) as dnsmasq reads them for DHCPv6 (Neutron passes them as
 * --dhcp-option=option6:name,value): the DNS servers (`dns-server`, option 23; addresses in brackets or
 * bare) and the domain search list (`domain-search`, option 24), by name or number. They replace what
 * the subnet gives. Values that do not fit, and other options, are not sent.
 */
import { isIPv6 } from "node:net";
import type { DeviceDetails } from "../../../protocol/index.ts";

export interface Dhcpv6Overrides {
  readonly dnsServers?: readonly string[];
  readonly domains?: readonly string[];
}

const DNS = new Set(["dns-server", "23", "option6:dns-server", "option6:23"]);
const DOMAINS = new Set(["domain-search", "24", "option6:domain-search", "option6:24"]);
const DOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

const items = (value: string) =>
  value
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);

export function dhcpv6Overrides(port: DeviceDetails): Dhcpv6Overrides {
  let dnsServers: string[] | undefined;
  let domains: string[] | undefined;
  for (const opt of port.extra_dhcp_opts ?? []) {
    if (opt.ip_version !== 6 || opt.opt_value === null) continue;
    const name = opt.opt_name.toLowerCase();
    if (DNS.has(name)) {
      const ips = items(opt.opt_value).map((v) => v.replace(/^\[(.*)\]$/, "$1"));
      if (ips.length > 0 && ips.every((ip) => isIPv6(ip))) dnsServers = ips;
    } else if (DOMAINS.has(name)) {
      const names = items(opt.opt_value).map((d) => d.replace(/\.$/, ""));
      if (names.length > 0 && names.every((d) => DOMAIN.test(d))) domains = names;
    }
  }
  return { ...(dnsServers ? { dnsServers } : {}), ...(domains ? { domains } : {}) };
}
