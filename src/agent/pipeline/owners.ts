/**
 * Flow owners and their cookie classes. Every flow the agent installs belongs to exactly one owner; the
 * owner's class and a hash of its key go in the cookie (openflow/cookie.ts), so
 *   ovs-ofctl dump-flows br-int cookie=0x5700000400000000/0xff0000ff00000000
 * lists every per-interface flow, whatever the generation.
 */
import { EXTENSION_CLASS_MIN } from "../../openflow/index.ts";

export const OwnerClass = {
  intBase: 0x01,
  tunBase: 0x02,
  physBase: 0x03,
  vif: 0x04,
  network: 0x05,
  tunnel: 0x06,
  fdb: 0x07,
} as const;

const byPrefix: Record<string, number> = {
  "int-base": OwnerClass.intBase,
  "tun-base": OwnerClass.tunBase,
  "phys-base": OwnerClass.physBase,
  vif: OwnerClass.vif,
  net: OwnerClass.network,
  tunnel: OwnerClass.tunnel,
  fdb: OwnerClass.fdb,
};

/** The cookie class of an owner name ("vif:tap123", "net:<uuid>", "ext:<feature>"). */
export function ownerClass(owner: string): number {
  const prefix = owner.split(":")[0]!;
  const known = byPrefix[prefix];
  if (known !== undefined) return known;
  if (prefix === "ext") return EXTENSION_CLASS_MIN;
  throw new Error(`unknown flow owner ${owner}`);
}

export const owners = {
  intBase: "int-base",
  tunBase: "tun-base",
  physBase: "phys-base",
  vif: (iface: string) => `vif:${iface}`,
  network: (id: string) => `net:${id}`,
  tunnel: (port: string) => `tunnel:${port}`,
  fdb: (portId: string) => `fdb:${portId}`,
} as const;
