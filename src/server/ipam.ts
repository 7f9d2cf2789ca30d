/**
 * IP address arithmetic for subnets: CIDRs, gateways, allocation pools, overlap and first-free allocation.
 * Addresses are bigints internally (IPv6 is 128 bits); the API speaks strings.
 */
import { isIP } from "node:net";

export type IpVersion = 4 | 6;

export interface Cidr {
  readonly version: IpVersion;
  readonly network: bigint;
  readonly prefix: number;
}

export interface Pool {
  readonly start: string;
  readonly end: string;
}

const bits = (v: IpVersion) => (v === 4 ? 32 : 128);

export function parseIp(text: string): { version: IpVersion; value: bigint } | undefined {
  const kind = isIP(text);
  if (kind === 4)
    return { version: 4, value: text.split(".").reduce((a, p) => (a << 8n) | BigInt(Number(p)), 0n) };
  if (kind === 6) return { version: 6, value: parseIpv6(text) };
  return undefined;
}

function parseIpv6(text: string): bigint {
  let t = text;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  if (v4) {
    const n = parseIp(v4[1]!)!.value;
    t = `${t.slice(0, -v4[1]!.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = t.split("::") as [string, string | undefined];
  const h = head === "" ? [] : head.split(":");
  const tl = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - tl.length).fill("0"), ...tl];
  return groups.reduce((a, g) => (a << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

export function formatIp(version: IpVersion, value: bigint): string {
  if (version === 4)
    return Array.from({ length: 4 }, (_, i) => Number((value >> BigInt(24 - 8 * i)) & 0xffn)).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  return best < 0 ? hex.join(":") : `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/** Parses "198.19.0.0/16"; host bits must be zero (as Neutron requires). Undefined if malformed. */
export function parseCidr(text: string): Cidr | { error: string } {
  const [address, prefixText, ...rest] = text.split("/");
  if (address === undefined || prefixText === undefined || rest.length > 0 || !/^\d{1,3}$/.test(prefixText)) {
    return { error: `'${text}' is not a valid CIDR` };
  }
  const ip = parseIp(address);
  const prefix = Number(prefixText);
  if (ip === undefined || prefix > bits(ip.version)) return { error: `'${text}' is not a valid CIDR` };
  const host = hostMask(ip.version, prefix);
  if ((ip.value & host) !== 0n) {
    return {
      error: `'${text}' isn't a recognized IP subnet cidr, '${formatCidr({ ...ip, network: ip.value & ~host & all(ip.version), prefix })}' is recommended`,
    };
  }
  return { version: ip.version, network: ip.value, prefix };
}

const all = (v: IpVersion) => (1n << BigInt(bits(v))) - 1n;
const hostMask = (v: IpVersion, prefix: number) => (1n << BigInt(bits(v) - prefix)) - 1n;

/** A stored subnet's CIDR (stored canonical, so it parses). */
export function subnetCidr(row: { readonly cidr: string }): Cidr {
  return parseCidr(row.cidr) as Cidr;
}

export function formatCidr(c: { version: IpVersion; network: bigint; prefix: number }): string {
  return `${formatIp(c.version, c.network)}/${c.prefix}`;
}

export function lastAddress(c: Cidr): bigint {
  return c.network | hostMask(c.version, c.prefix);
}

export function contains(c: Cidr, value: bigint): boolean {
  return value >= c.network && value <= lastAddress(c);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.network <= lastAddress(b) && b.network <= lastAddress(a);
}

/** Neutron's defaults: gateway = first host address; pool = the rest, minus the IPv4 broadcast. */
export function defaultGateway(c: Cidr): bigint | undefined {
  const size = lastAddress(c) - c.network + 1n;
  return size > 2n || c.version === 6 ? c.network + 1n : undefined;
}

export function defaultPools(c: Cidr, gateway: bigint | undefined): Pool[] {
  const first = c.network + (c.version === 4 && c.prefix < 31 ? 1n : c.version === 6 ? 1n : 0n);
  const last = lastAddress(c) - (c.version === 4 && c.prefix < 31 ? 1n : 0n);
  const ranges: [bigint, bigint][] = [];
  if (gateway === undefined || gateway < first || gateway > last) ranges.push([first, last]);
  else {
    if (gateway > first) ranges.push([first, gateway - 1n]);
    if (gateway < last) ranges.push([gateway + 1n, last]);
  }
  return ranges.map(([s, e]) => ({ start: formatIp(c.version, s), end: formatIp(c.version, e) }));
}

/** Checks pools: inside the CIDR, start ≤ end, no overlaps among them, not containing the gateway. */
export function validatePools(
  c: Cidr,
  pools: readonly Pool[],
  gateway: bigint | undefined,
): string | undefined {
  const ranges: [bigint, bigint][] = [];
  for (const pool of pools) {
    const s = parseIp(pool.start);
    const e = parseIp(pool.end);
    if (s === undefined || e === undefined || s.version !== c.version || e.version !== c.version) {
      return `Invalid allocation pool ${pool.start}-${pool.end}: not IPv${c.version} addresses`;
    }
    if (!contains(c, s.value) || !contains(c, e.value)) {
      return `The allocation pool ${pool.start}-${pool.end} spans beyond the subnet cidr ${formatCidr(c)}.`;
    }
    if (s.value > e.value) return `Invalid allocation pool ${pool.start}-${pool.end}: start is after end`;
    if (gateway !== undefined && gateway >= s.value && gateway <= e.value) {
      return `Gateway ip ${formatIp(c.version, gateway)} conflicts with allocation pool ${pool.start}-${pool.end}`;
    }
    for (const [os, oe] of ranges) {
      if (s.value <= oe && os <= e.value)
        return `Found overlapping allocation pools: ${pool.start}-${pool.end}`;
    }
    ranges.push([s.value, e.value]);
  }
  return undefined;
}

export function inPools(pools: readonly Pool[], version: IpVersion, value: bigint): boolean {
  return pools.some((p) => {
    const s = parseIp(p.start)!;
    const e = parseIp(p.end)!;
    return s.version === version && value >= s.value && value <= e.value;
  });
}

/** The lowest address of the pools not in `used` (canonical strings), or undefined when exhausted. */
export function firstFree(
  pools: readonly Pool[],
  version: IpVersion,
  used: ReadonlySet<string>,
): string | undefined {
  for (const pool of pools) {
    const start = parseIp(pool.start)!.value;
    const end = parseIp(pool.end)!.value;
    // Bounded: at most |used| + 1 candidates per pool are ever taken.
    for (let v = start, tries = 0; v <= end && tries <= used.size; v++, tries++) {
      const text = formatIp(version, v);
      if (!used.has(text)) return text;
    }
  }
  return undefined;
}

/** The canonical text of an address (so "198.019.0.1"-style variants cannot dodge uniqueness). */
export function canonicalIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip === undefined ? undefined : formatIp(ip.version, ip.value);
}

/**
 * The modified EUI-64 address of a MAC in an IPv6 prefix (RFC 4291 appendix A; oslo's
 * get_ipv6_addr_by_EUI64): the prefix's first address plus the MAC with ff:fe in its middle and the
 * universal/local bit flipped.
 */
export function eui64Address(c: Cidr, mac: string): string {
  const bytes = mac.split(":").map((b) => Number.parseInt(b, 16));
  const id = [bytes[0]! ^ 0x02, bytes[1]!, bytes[2]!, 0xff, 0xfe, bytes[3]!, bytes[4]!, bytes[5]!].reduce(
    (acc, b) => (acc << 8n) | BigInt(b),
    0n,
  );
  return formatIp(6, c.network + id);
}
