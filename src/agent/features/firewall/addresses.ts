/** The addresses a VIF may send from: its MAC with its fixed IPs, its allowed address pairs, its link-local address. */
import type { DeviceDetails } from "../../../protocol/index.ts";

export interface AllowedSource {
  readonly mac: string;
  /** An address or a CIDR, as the server gave it. */
  readonly ip: string;
}

export const isIpv6 = (ip: string) => ip.includes(":");

/** The EUI-64 link-local address of a MAC (fe80::/64), which every IPv6 stack configures for itself. */
export function linkLocalOf(mac: string): string {
  const b = mac.split(":").map((x) => Number.parseInt(x, 16));
  const groups = [
    ((b[0]! ^ 0x02) << 8) | b[1]!,
    (b[2]! << 8) | 0xff,
    (0xfe << 8) | b[3]!,
    (b[4]! << 8) | b[5]!,
  ];
  return `fe80::${groups.map((g) => g.toString(16)).join(":")}`;
}

/** (MAC, IP) pairs a VIF may use as source, deduplicated, in a stable order; link-local addresses included. */
export function allowedSources(details: DeviceDetails): AllowedSource[] {
  const mac = details.mac_address.toLowerCase();
  const out = new Map<string, AllowedSource>();
  const add = (s: AllowedSource) => out.set(`${s.mac} ${s.ip}`, s);
  for (const ip of details.fixed_ips) add({ mac, ip: ip.ip_address });
  for (const pair of details.allowed_address_pairs)
    add({ mac: pair.mac_address.toLowerCase(), ip: pair.ip_address });
  for (const m of new Set([mac, ...details.allowed_address_pairs.map((p) => p.mac_address.toLowerCase())]))
    add({ mac: m, ip: linkLocalOf(m) });
  return [...out.values()];
}

/** The MACs a VIF may use (its own and its address pairs'). */
export function allowedMacs(details: DeviceDetails): string[] {
  return [
    ...new Set([
      details.mac_address.toLowerCase(),
      ...details.allowed_address_pairs.map((p) => p.mac_address.toLowerCase()),
    ]),
  ];
}

/** "10.0.0.5" → "10.0.0.5/32": a match value for an address or a CIDR. */
export function prefixOf(ip: string): string {
  return ip.includes("/") ? ip : `${ip}/${isIpv6(ip) ? 128 : 32}`;
}
