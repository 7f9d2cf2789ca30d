/**
 * What a VM's kernel made of IPv6 on its eth0 — its global addresses and its default router — read with
 * `ip` in its namespace, addresses in RFC 5952 form so that they compare with the server's.
 */
import { waitFor } from "../base/index.ts";
import { formatIpv6, parseIpv6 } from "../packet/index.ts";
import { ip } from "./exec.ts";
import type { VmInfo } from "./vm.ts";

export const canonicalIpv6 = (address: string) => formatIpv6(parseIpv6(address));

/**
 * The VM's usable global IPv6 addresses on eth0 (SLAAC, DHCPv6 or static), canonical: not those still
 * in duplicate address detection (tentative: the VM does not answer at them yet) or that failed it.
 */
export async function globalIpv6Addresses(vm: VmInfo): Promise<string[]> {
  const text = await ip(["-6", "addr", "show", "dev", "eth0", "scope", "global"], vm.namespace);
  return [...text.matchAll(/inet6 ([0-9a-f:]+)\/\d+ (.*)$/gm)]
    .filter((m) => !/\b(tentative|dadfailed)\b/.test(m[2]!))
    .map((m) => canonicalIpv6(m[1]!));
}

/** The VM's IPv6 default router (a link-local address, from a router advertisement), if it has one. */
export async function ipv6DefaultRouter(vm: VmInfo): Promise<string | undefined> {
  const text = await ip(["-6", "route", "show", "default"], vm.namespace);
  const via = /via ([0-9a-f:]+) /.exec(text)?.[1];
  return via === undefined ? undefined : canonicalIpv6(via);
}

/**
 * The on-link prefixes the VM's kernel learnt from router advertisements: its prefix routes that expire
 * (the kernel marks them `proto kernel` like any interface route, but only an RA's have a lifetime).
 */
export async function raPrefixes(vm: VmInfo): Promise<string[]> {
  const text = await ip(["-6", "route", "show", "dev", "eth0"], vm.namespace);
  return [...text.matchAll(/^([0-9a-f:]+)\/(\d+) .*\bexpires\b/gm)].map(
    (m) => `${canonicalIpv6(m[1]!)}/${m[2]}`,
  );
}

/** Waits until the VM's kernel has a prefix from an RA; with `address`, that address on eth0 too. */
export async function waitIpv6Configured(
  vm: VmInfo,
  prefix: string,
  address?: string,
  timeoutMs = 15_000,
): Promise<void> {
  const want = address === undefined ? undefined : canonicalIpv6(address);
  await waitFor(
    async () => {
      if (!(await raPrefixes(vm)).includes(prefix)) return undefined;
      return want === undefined || (await globalIpv6Addresses(vm)).includes(want) ? true : undefined;
    },
    {
      timeoutMs,
      intervalMs: 200,
      what: `${vm.name}'s RA prefix ${prefix}${want ? ` and address ${want}` : ""}`,
    },
  );
}

/** dhclient -6 binds to the link-local address: it must have left the tentative state (DAD) first. */
export async function linkLocalReady(vm: VmInfo): Promise<void> {
  await waitFor(
    async () => {
      const text = await ip(["-6", "addr", "show", "dev", "eth0", "scope", "link"], vm.namespace);
      return /inet6 fe80::/.test(text) && !/tentative/.test(text) ? true : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 100, what: `${vm.name}'s link-local address` },
  );
}
