/**
 * Port binding (Neutron's ML2 "bind_port" for the Open vSwitch mechanism): a port is bound to a host when
 * a live Open vSwitch agent runs there and can reach the network's segment — the physical network is in
 * its bridge_mappings, or the tunnel type in its tunnel_types (with a tunnelling IP). The vif_details are
 * derived from that agent's configuration, complete every time (shared/seeds/001: ports bound without
 * them lost their security groups and connectivity).
 */
import type { AgentConfigurations } from "../../protocol/index.ts";
import type { NetworkRow } from "../rows.ts";
import type { Queryable } from "./context.ts";
import { agentOnHost, isAlive } from "./lookups.ts";

export interface Binding {
  readonly vifType: "ovs" | "binding_failed" | "unbound";
  readonly vifDetails: Record<string, unknown>;
  readonly reason?: string;
}

export const unbound: Binding = { vifType: "unbound", vifDetails: {} };

export async function bindPort(
  q: Queryable,
  network: NetworkRow,
  host: string,
  vnicType: string,
  agentDownTime: number,
  now: Date,
): Promise<Binding> {
  if (host === "") return unbound;
  if (vnicType !== "normal")
    return failed(`vnic_type ${vnicType} is not supported by the Open vSwitch agent`);
  const agent = await agentOnHost(q, host);
  if (agent === undefined) return failed(`no Open vSwitch agent on host ${host}`);
  if (!isAlive(agent, agentDownTime, now)) return failed(`the agent on ${host} is not alive`);
  if (agent.admin_state_up === 0) return failed(`the agent on ${host} is administratively down`);
  const config = JSON.parse(agent.configurations) as AgentConfigurations;
  const reachable =
    network.network_type === "flat" || network.network_type === "vlan"
      ? network.physical_network !== null && network.physical_network in config.bridge_mappings
      : config.tunnel_types.includes(network.network_type as "vxlan") && config.tunneling_ip !== null;
  if (!reachable) {
    return failed(
      network.physical_network
        ? `physical network ${network.physical_network} is not mapped on ${host}`
        : `${network.network_type} tunnels are not enabled on ${host}`,
    );
  }
  const filtering = config.firewall_driver !== "noop";
  return {
    vifType: "ovs",
    vifDetails: {
      port_filter: filtering,
      ovs_hybrid_plug: config.firewall_driver === "iptables_hybrid",
      datapath_type: config.datapath_type,
      bridge_name: config.integration_bridge,
      connectivity: "l2",
    },
  };
}

function failed(reason: string): Binding {
  return { vifType: "binding_failed", vifDetails: {}, reason };
}
