/**
 * A port's extra_dhcp_opts as dnsmasq reads them (Neutron passes them to dnsmasq as --dhcp-option
 * name,value): a name from dnsmasq's table or a number, and a value whose form the option's type
 * decides. Neutron's server-ip-address is not an option but the BOOTP siaddr (PXE's next server).
 * Values that do not fit their option, and names this table does not know, are not sent.
 */
import { isIPv4 } from "node:net";

export type DhcpOptionValue =
  | { readonly kind: "ips"; readonly ips: readonly string[] }
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "u8"; readonly value: number }
  | { readonly kind: "u16"; readonly value: number }
  | { readonly kind: "u32"; readonly value: number }
  | { readonly kind: "domains"; readonly domains: readonly string[] }
  | { readonly kind: "routes"; readonly routes: readonly { destination: string; nexthop: string }[] };

type Kind = DhcpOptionValue["kind"];

/** dnsmasq's names (dnsmasq --help dhcp) for the options whose type is plain. */
const byName: Readonly<Record<string, readonly [number, Kind]>> = {
  netmask: [1, "ips"],
  router: [3, "ips"],
  "dns-server": [6, "ips"],
  "log-server": [7, "ips"],
  "lpr-server": [9, "ips"],
  hostname: [12, "text"],
  "boot-file-size": [13, "u16"],
  "domain-name": [15, "text"],
  "swap-server": [16, "ips"],
  "root-path": [17, "text"],
  "extension-path": [18, "text"],
  "ip-forward-enable": [19, "u8"],
  "max-datagram-reassembly": [22, "u16"],
  "default-ttl": [23, "u8"],
  mtu: [26, "u16"],
  "router-discovery": [31, "u8"],
  "router-solicitation": [32, "ips"],
  "arp-timeout": [35, "u32"],
  "tcp-ttl": [37, "u8"],
  "tcp-keepalive": [38, "u32"],
  "nis-domain": [40, "text"],
  "nis-server": [41, "ips"],
  "ntp-server": [42, "ips"],
  "netbios-ns": [44, "ips"],
  "netbios-dd": [45, "ips"],
  "netbios-nodetype": [46, "u8"],
  "netbios-scope": [47, "text"],
  "smtp-server": [69, "ips"],
  "pop3-server": [70, "ips"],
  "nntp-server": [71, "ips"],
  "tftp-server": [66, "text"],
  "bootfile-name": [67, "text"],
  "domain-search": [119, "domains"],
  "classless-static-route": [121, "routes"],
  "tftp-server-address": [150, "ips"],
};
const byCode = new Map(Object.values(byName).map(([code, kind]) => [code, kind]));

/**
 * Codes the responder sets itself (message type, server identifier, lease times, the NAK's message, the
 * client identifier it echoes), and framing (pad, overload, end).
 */
const RESERVED = new Set([0, 51, 52, 53, 54, 56, 58, 59, 61, 255]);

export type ExtraOption =
  | { readonly kind: "option"; readonly code: number; readonly value: DhcpOptionValue }
  | { readonly kind: "next-server"; readonly address: string };

function parse(kind: Kind, text: string): DhcpOptionValue | undefined {
  const parts = text.split(",").map((p) => p.trim());
  const int = (max: number) => {
    const n = Number(text);
    return /^\d+$/.test(text) && n <= max ? n : undefined;
  };
  switch (kind) {
    case "ips":
      return parts.length > 0 && parts.every((p) => isIPv4(p)) ? { kind, ips: parts } : undefined;
    case "text":
      return text.length > 0 ? { kind, text } : undefined;
    case "u8": {
      const value = int(0xff);
      return value === undefined ? undefined : { kind, value };
    }
    case "u16": {
      const value = int(0xffff);
      return value === undefined ? undefined : { kind, value };
    }
    case "u32": {
      const value = int(0xffffffff);
      return value === undefined ? undefined : { kind, value };
    }
    case "domains":
      return parts.every((p) => /^[a-z0-9.-]+$/i.test(p)) ? { kind, domains: parts } : undefined;
    case "routes": {
      // dnsmasq's form: destination/length,router[,destination/length,router…]
      if (parts.length % 2 !== 0) return undefined;
      const routes: { destination: string; nexthop: string }[] = [];
      for (let i = 0; i < parts.length; i += 2) {
        const [net, len] = parts[i]!.split("/");
        const bits = Number(len);
        if (!isIPv4(net ?? "") || !/^\d+$/.test(len ?? "") || bits > 32 || !isIPv4(parts[i + 1]!))
          return undefined;
        routes.push({ destination: `${net}/${bits}`, nexthop: parts[i + 1]! });
      }
      return { kind, routes };
    }
  }
}

/** One extra_dhcp_opt (IPv4) as what to send, or undefined when it cannot be sent. */
export function extraOption(opt: {
  readonly opt_name: string;
  readonly opt_value: string;
}): ExtraOption | undefined {
  // dnsmasq also takes "option:NAME"; tags ("tag:x,…") select clients, which one port's options need not.
  const name = opt.opt_name
    .trim()
    .toLowerCase()
    .replace(/^option:/, "");
  const value = opt.opt_value.trim();
  if (name === "server-ip-address")
    return isIPv4(value) ? { kind: "next-server", address: value } : undefined;
  let code: number;
  let kind: Kind | undefined;
  if (/^\d+$/.test(name)) {
    code = Number(name);
    // A number dnsmasq has no type for: addresses if the value is addresses, else text (its guess too).
    kind = byCode.get(code) ?? (value.split(",").every((p) => isIPv4(p.trim())) ? "ips" : "text");
  } else {
    const known = byName[name];
    if (known === undefined) return undefined;
    [code, kind] = known;
  }
  if (code < 1 || code > 254 || RESERVED.has(code)) return undefined;
  const parsed = parse(kind, value);
  return parsed === undefined ? undefined : { kind: "option", code, value: parsed };
}
