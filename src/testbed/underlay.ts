import { ip } from "./exec.ts";
import { underlayNamespace } from "./names.ts";

/**
 * The wire between hosts: one namespace holding two Linux bridges. `br-ul` joins every host's underlay
 * link (the tunnel network, 198.18.0.0/24); `br-tr` joins every host's trunk link, which carries 802.1Q
 * tagged frames for VLAN and flat provider networks. Frames never leave this namespace.
 */
export const underlayCidr = { network: "198.18.0.0", prefixLength: 24 } as const;
export const underlayMtu = 9000;

export const underlayIp = (hostIndex: number) => `198.18.0.${hostIndex}`;

export interface HostLinks {
  /** In the host namespace: the link to the tunnel underlay (a port of the host's br-ul). */
  readonly underlay: string;
  /** In the host namespace: the trunk link, left for the agent's physical bridge (bridge_mappings). */
  readonly trunk: string;
}

export const hostLinks: HostLinks = { underlay: "ul0", trunk: "trunk0" };

export async function createUnderlay(testbed: string): Promise<string> {
  const ns = underlayNamespace(testbed);
  await ip(["netns", "add", ns]);
  await ip(["link", "set", "lo", "up"], ns);
  for (const bridge of ["br-ul", "br-tr"]) {
    await ip(["link", "add", bridge, "mtu", String(underlayMtu), "type", "bridge"], ns);
    await ip(["link", "set", bridge, "up"], ns);
  }
  return ns;
}

/** Creates the host's two links into the underlay namespace and brings both ends up. */
export async function linkHost(testbed: string, host: string, hostNs: string): Promise<void> {
  const ulNs = underlayNamespace(testbed);
  const pairs = [
    [hostLinks.underlay, `ul-${host}`, "br-ul"],
    [hostLinks.trunk, `tr-${host}`, "br-tr"],
  ] as const;
  for (const [inHost, inUnderlay, bridge] of pairs) {
    await ip([
      "link",
      "add",
      inHost,
      "netns",
      hostNs,
      "mtu",
      String(underlayMtu),
      "type",
      "veth",
      "peer",
      "name",
      inUnderlay,
      "netns",
      ulNs,
      "mtu",
      String(underlayMtu),
    ]);
    await ip(["link", "set", inUnderlay, "master", bridge, "up"], ulNs);
    await ip(["link", "set", inHost, "up"], hostNs);
  }
}
