/**
 * Prefix arithmetic for subnet pools: a pool's prefixes as netaddr's cidr_merge keeps them (contained
 * prefixes dropped, adjacent halves joined), whether one set covers another, and the first free block of
 * a given length (Neutron's subnet allocator hands out the lowest one). Pure functions on ipam.ts' CIDRs.
 */
import { type Cidr, type IpVersion, lastAddress, overlaps, parseIp } from "./ipam.ts";

const bits = (v: IpVersion) => (v === 4 ? 32 : 128);
const size = (c: Cidr) => 1n << BigInt(bits(c.version) - c.prefix);

/**
 * A prefix as a pool takes it: an address and a length, host bits allowed (netaddr keeps
 * "10.11.12.13/24" and the pool uses its network, 10.11.12.0/24).
 */
export function parsePoolPrefix(text: string): Cidr | undefined {
  const [address, length, ...rest] = text.split("/");
  if (address === undefined || length === undefined || rest.length > 0 || !/^\d{1,3}$/.test(length))
    return undefined;
  const ip = parseIp(address);
  const prefix = Number(length);
  if (ip === undefined || prefix > bits(ip.version)) return undefined;
  const host = (1n << BigInt(bits(ip.version) - prefix)) - 1n;
  return { version: ip.version, network: ip.value & ~host, prefix };
}

const byStart = (a: Cidr, b: Cidr) =>
  a.network < b.network ? -1 : a.network > b.network ? 1 : a.prefix - b.prefix;

/** The smallest list of CIDRs holding exactly the addresses of `cidrs` (one IP version), lowest first. */
export function compact(cidrs: readonly Cidr[]): Cidr[] {
  let out: Cidr[] = [];
  for (const c of [...cidrs].sort(byStart)) {
    const last = out.at(-1);
    if (last !== undefined && overlaps(last, c)) continue; // sorted by start: c lies within last
    out.push(c);
  }
  // Join sibling halves until none are left (each pass can make new siblings one level up).
  for (let joined = true; joined; ) {
    joined = false;
    const next: Cidr[] = [];
    for (const c of out) {
      const prev = next.at(-1);
      if (
        prev !== undefined &&
        prev.prefix === c.prefix &&
        prev.prefix > 0 &&
        prev.network + size(prev) === c.network &&
        (prev.network & size(prev)) === 0n
      ) {
        next[next.length - 1] = { version: c.version, network: prev.network, prefix: prev.prefix - 1 };
        joined = true;
      } else next.push(c);
    }
    out = next;
  }
  return out;
}

/** Whether `inner` lies wholly within one of `outer`. */
export function within(inner: Cidr, outer: readonly Cidr[]): boolean {
  return outer.some(
    (o) =>
      o.version === inner.version &&
      o.prefix <= inner.prefix &&
      inner.network >= o.network &&
      lastAddress(inner) <= lastAddress(o),
  );
}

/** The lowest block of length `prefix` within `prefixes` that overlaps none of `used`. */
export function firstFreeBlock(
  prefixes: readonly Cidr[],
  used: readonly Cidr[],
  prefix: number,
): Cidr | undefined {
  const taken = [...used].sort(byStart);
  for (const p of [...prefixes].sort(byStart)) {
    if (p.prefix > prefix) continue;
    const block = 1n << BigInt(bits(p.version) - prefix);
    let candidate = p.network;
    while (candidate + block - 1n <= lastAddress(p)) {
      const c: Cidr = { version: p.version, network: candidate, prefix };
      const clash = taken.find((u) => overlaps(u, c));
      if (clash === undefined) return c;
      // Past the clashing subnet, aligned to the block size.
      const after = lastAddress(clash) + 1n;
      candidate = ((after + block - 1n) / block) * block;
    }
  }
  return undefined;
}

/**
 * What a subnet costs against a pool's default_quota, in Neutron's units: IPv4 addresses, IPv6 /64s
 * (a subnet longer than /64 costs one).
 */
export function quotaUnits(c: Cidr): bigint {
  if (c.version === 4) return size(c);
  return c.prefix >= 64 ? 1n : 1n << BigInt(64 - c.prefix);
}

/** The addresses of `from` that are in none of `removed`, compacted (netaddr's IPSet difference). */
export function subtract(from: readonly Cidr[], removed: readonly Cidr[]): Cidr[] {
  const out: Cidr[] = [];
  const split = (c: Cidr): void => {
    if (removed.some((r) => r.version === c.version && within(c, [r]))) return;
    if (!removed.some((r) => overlaps(r, c))) {
      out.push(c);
      return;
    }
    // A removed prefix lies strictly inside c: keep the halves apart from it.
    const half = size(c) / 2n;
    split({ version: c.version, network: c.network, prefix: c.prefix + 1 });
    split({ version: c.version, network: c.network + half, prefix: c.prefix + 1 });
  };
  for (const c of from) split(c);
  return compact(out);
}
