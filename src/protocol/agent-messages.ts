/**
 * The agent channel between the server and each host's agent (docs/PROTOCOL.md is generated from these
 * schemas). Every message is validated on both sides. How it evolves without lockstep upgrades:
 *   - requests (what agents send) are strict: an unknown key is refused, so a typo is an error;
 *   - replies and events (what the server sends) tolerate unknown keys (they are dropped), and new
 *     fields are optional, so an agent of this version reads what a newer server adds;
 *   - an agent says what it reads in report-state (`configurations.extensions`, as Neutron's agents do);
 *     the server sends a feature's fields and sections (QoS now) only to agents that declared it, and
 *     nothing new at all to agents of the first protocol, which declared nothing and refuse unknown keys.
 */
import { z } from "zod";
import { DhcpSection, ExtraDhcpOpt } from "./dhcp.ts";
import { QosSection } from "./qos.ts";
import { SecurityGroupsSection } from "./security-groups.ts";
import { FEATURE_NAME, uuid } from "./values.ts";

export const AGENT_TYPE_OVS = "Open vSwitch agent";

const host = z.string().min(1).max(255);
const ipAddress = z.string().min(2).max(45);

export const NetworkType = z.enum(["flat", "vlan", "vxlan", "gre", "geneve"]);
export type NetworkType = z.infer<typeof NetworkType>;
/** The network types carried in tunnels (l2-population, br-tun): the one list of them. */
export const TunnelType = z.enum(["vxlan", "gre", "geneve"]);
export type TunnelType = z.infer<typeof TunnelType>;
export const isTunnelType = (t: string): t is TunnelType =>
  (TunnelType.options as readonly string[]).includes(t);

/** What an agent reports about itself (Neutron's agent "configurations"). */
export const AgentConfigurations = z
  .object({
    bridge_mappings: z.record(z.string(), z.string()),
    tunnel_types: z.array(TunnelType),
    tunneling_ip: ipAddress.nullable(),
    integration_bridge: z.string(),
    datapath_type: z.enum(["system", "netdev"]),
    firewall_driver: z.enum(["noop", "openvswitch", "iptables_hybrid"]),
    l2_population: z.boolean(),
    arp_responder: z.boolean(),
    devices: z.number().int().min(0),
    /** The features beyond L2 this agent runs ([agent] extensions): the server sends their data only to such agents. */
    extensions: z.array(z.string().regex(FEATURE_NAME, "an extension name")).max(64).optional(),
  })
  .strict();
export type AgentConfigurations = z.infer<typeof AgentConfigurations>;

/** POST /agent/v1/report-state — register (start_flag) and heartbeat. */
export const ReportStateRequest = z
  .object({
    host,
    agent_type: z.literal(AGENT_TYPE_OVS),
    binary: z.string().min(1),
    configurations: AgentConfigurations,
    start_flag: z.boolean(),
  })
  .strict();
export type ReportStateRequest = z.infer<typeof ReportStateRequest>;

export const ReportStateResponse = z.object({
  agent_id: uuid,
  revision: z.number().int().min(0),
  agent_down_time: z.number().int().positive(),
});
export type ReportStateResponse = z.infer<typeof ReportStateResponse>;

export const FixedIp = z.object({ subnet_id: uuid, ip_address: ipAddress });

/** Everything an agent needs to wire one port. */
export const DeviceDetails = z.object({
  port_id: uuid,
  network_id: uuid,
  network_type: NetworkType,
  physical_network: z.string().nullable(),
  segmentation_id: z.number().int().nullable(),
  mtu: z.number().int(),
  mac_address: z.string(),
  fixed_ips: z.array(FixedIp),
  admin_state_up: z.boolean(),
  network_admin_state_up: z.boolean(),
  port_security_enabled: z.boolean(),
  allowed_address_pairs: z.array(z.object({ ip_address: z.string(), mac_address: z.string() })),
  device_owner: z.string(),
  device_id: z.string(),
  host,
  status: z.enum(["ACTIVE", "DOWN", "BUILD", "ERROR"]),
  vif_type: z.string(),
  revision_number: z.number().int(),
  /** The port's QoS policy: its own, else its network's (agents that declared `qos` only). */
  qos_policy_id: uuid.nullable().optional(),
  /** The port's security groups (agents that run the openvswitch firewall only; none with port security off). */
  security_groups: z.array(uuid).optional(),
  /** The port's extra DHCP options (agents that declared `dhcp` only). */
  extra_dhcp_opts: z.array(ExtraDhcpOpt).optional(),
});
export type DeviceDetails = z.infer<typeof DeviceDetails>;

/** POST /agent/v1/devices/details — details for the agent's devices, in batches. */
export const DeviceDetailsRequest = z.object({ host, devices: z.array(uuid).max(1000) }).strict();
export const DeviceDetailsResponse = z.object({
  devices: z.array(DeviceDetails),
  /** Ports that do not exist or are not bound to this host. */
  failed: z.array(z.object({ port_id: z.string(), reason: z.string() })),
  /** The QoS policies those ports use (agents that declared `qos` only). */
  qos: QosSection.optional(),
  /** Those ports' groups and their remotes (agents that run the openvswitch firewall only). */
  security_groups: SecurityGroupsSection.optional(),
  /** Those ports' subnets (agents that declared `dhcp` only). */
  dhcp: DhcpSection.optional(),
});
export type DeviceDetailsResponse = z.infer<typeof DeviceDetailsResponse>;

/** POST /agent/v1/devices/status — the agent wired (up) or unwired (down) these ports. */
export const DeviceStatusRequest = z
  .object({ host, up: z.array(uuid).max(1000), down: z.array(uuid).max(1000) })
  .strict();
export const DeviceStatusResponse = z.object({
  updated: z.array(uuid),
  failed: z.array(z.object({ port_id: z.string(), reason: z.string() })),
});
export type DeviceStatusResponse = z.infer<typeof DeviceStatusResponse>;

export const NetworkInfo = z.object({
  network_id: uuid,
  network_type: NetworkType,
  physical_network: z.string().nullable(),
  segmentation_id: z.number().int().nullable(),
  mtu: z.number().int(),
  admin_state_up: z.boolean(),
});
export type NetworkInfo = z.infer<typeof NetworkInfo>;

/** l2-population: the hosts that have bound ports on a network, and their tunnel endpoints. */
export const Endpoint = z.object({ host, tunneling_ip: ipAddress.nullable() });
export const NetworkEndpoints = z.object({ network_id: uuid, endpoints: z.array(Endpoint) });
export type NetworkEndpoints = z.infer<typeof NetworkEndpoints>;

/** A bound port as every agent sees it: where it lives and its addresses (ARP responder, l2-population). */
export const FdbEntry = z.object({
  port_id: uuid,
  network_id: uuid,
  host,
  mac_address: z.string(),
  ip_addresses: z.array(ipAddress),
});
export type FdbEntry = z.infer<typeof FdbEntry>;

/** POST /agent/v1/sync — a consistent snapshot of what concerns this host, as of `revision`. */
export const SyncRequest = z.object({ host }).strict();
export const SyncResponse = z.object({
  revision: z.number().int().min(0),
  ports: z.array(DeviceDetails),
  networks: z.array(NetworkInfo),
  endpoints: z.array(NetworkEndpoints),
  /** Bound ports of other hosts on the networks this host has ports on. */
  fdb: z.array(FdbEntry),
  /** The QoS policies this host's ports use (agents that declared `qos` only). */
  qos: QosSection.optional(),
  /** This host's ports' groups and their remotes (agents that run the openvswitch firewall only). */
  security_groups: SecurityGroupsSection.optional(),
  /** The subnets of this host's ports (agents that declared `dhcp` only). */
  dhcp: DhcpSection.optional(),
});
export type SyncResponse = z.infer<typeof SyncResponse>;
