/**
 * Start-up step 5: what OVSDB remembers of the last run — local VLANs from the ports' other_config and
 * tag, tunnel endpoints from the tunnel ports — so that the first pass installs the same flows before
 * the server has said anything.
 */
import type { AgentParts } from "../agent.ts";
import type { OvsView } from "../host/ovs-view.ts";
import { parseTunnelPort } from "../host/tunnel-ports.ts";
import { segmentFromOtherConfig } from "../ports/local-vlans.ts";

export function restore(parts: AgentParts, view: OvsView): { ports: number; vlans: number; tunnels: number } {
  const { config, vlans, control, log } = parts;
  let ports = 0;
  for (const name of view.portNames(config.integrationBridge)) {
    const port = view.port(config.integrationBridge, name)!.port;
    const segment = segmentFromOtherConfig(port.other_config);
    if (segment === undefined || port.tag === null) continue;
    const { networkId, ...rest } = segment;
    if (vlans.restore(networkId, port.tag, rest)) ports++;
    else
      log.warn(
        { port: port.name, tag: port.tag, network: networkId },
        "port's local VLAN conflicts with another port's; it will be re-wired",
      );
  }
  let tunnels = 0;
  if (config.tunnelTypes.length > 0) {
    for (const name of view.portNames(config.tunnelBridge)) {
      const iface = view.port(config.tunnelBridge, name)?.iface;
      if (iface === undefined) continue;
      const parsed = parseTunnelPort(name, iface.type, iface.options, iface.external_ids);
      if (parsed === undefined) continue;
      tunnels++;
      for (const network of parsed.networks)
        control.seedEndpoint(network, { host: parsed.remoteHost, ip: parsed.remoteIp });
    }
  }
  return { ports, vlans: vlans.size, tunnels };
}
