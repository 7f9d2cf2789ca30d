/** Rows rendered as the Networking API v2.0 presents resources (what openstackclient expects to see). */
import type {
  AgentConfigurations,
  DeviceDetails,
  ExtraDhcpOpt,
  NetworkInfo,
  NetworkType,
} from "../protocol/index.ts";
import type {
  AddressGroupRow,
  AgentRow,
  DefaultSecurityGroupRuleRow,
  FloatingIpRow,
  IpAllocationRow,
  NetworkRow,
  PortRow,
  QosPolicyRow,
  QosRuleRow,
  RouterRow,
  SecurityGroupRow,
  SecurityGroupRuleRow,
  SubnetRow,
} from "./rows.ts";
import { normalizedCidr } from "./services/sg-rule-values.ts";

const bool = (v: number) => v !== 0;

export function networkView(n: NetworkRow, subnetIds: readonly string[]): Record<string, unknown> {
  return {
    id: n.id,
    name: n.name,
    description: n.description,
    tenant_id: n.project_id,
    project_id: n.project_id,
    admin_state_up: bool(n.admin_state_up),
    shared: bool(n.shared),
    status: n.status,
    mtu: n.mtu,
    subnets: [...subnetIds],
    "provider:network_type": n.network_type,
    "provider:physical_network": n.physical_network,
    "provider:segmentation_id": n.segmentation_id,
    "router:external": false,
    port_security_enabled: bool(n.port_security_enabled),
    availability_zone_hints: [],
    availability_zones: [],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    l2_adjacency: true,
    qos_policy_id: n.qos_policy_id,
    tags: [],
    revision_number: n.revision_number,
    created_at: n.created_at,
    updated_at: n.updated_at,
  };
}

/** `shared`: whether the subnet's network is shared with the caller's project (Neutron shows it on subnets). */
export function subnetView(s: SubnetRow, shared: boolean): Record<string, unknown> {
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    network_id: s.network_id,
    tenant_id: s.project_id,
    project_id: s.project_id,
    ip_version: s.ip_version,
    cidr: s.cidr,
    gateway_ip: s.gateway_ip,
    enable_dhcp: bool(s.enable_dhcp),
    allocation_pools: JSON.parse(s.allocation_pools),
    dns_nameservers: JSON.parse(s.dns_nameservers),
    host_routes: JSON.parse(s.host_routes),
    ipv6_ra_mode: s.ipv6_ra_mode,
    ipv6_address_mode: s.ipv6_address_mode,
    shared,
    subnetpool_id: s.subnetpool_id,
    segment_id: null,
    service_types: [],
    tags: [],
    revision_number: s.revision_number,
    created_at: s.created_at,
    updated_at: s.updated_at,
  };
}

export function fixedIps(allocations: readonly IpAllocationRow[]) {
  return allocations.map((a) => ({ subnet_id: a.subnet_id, ip_address: a.ip_address }));
}

/** What a port's view shows besides its row. */
export interface PortViewParts {
  readonly allocations: readonly IpAllocationRow[];
  /** The port's network's QoS policy, shown as qos_network_policy_id. */
  readonly networkPolicyId: string | null;
  readonly securityGroups: readonly string[];
  readonly extraDhcpOpts: readonly ExtraDhcpOpt[];
}

export function portView(
  p: PortRow,
  { allocations, networkPolicyId, securityGroups, extraDhcpOpts }: PortViewParts,
): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    network_id: p.network_id,
    tenant_id: p.project_id,
    project_id: p.project_id,
    mac_address: p.mac_address,
    admin_state_up: bool(p.admin_state_up),
    status: p.status,
    device_id: p.device_id,
    device_owner: p.device_owner,
    fixed_ips: fixedIps(allocations),
    port_security_enabled: bool(p.port_security_enabled),
    allowed_address_pairs: JSON.parse(p.allowed_address_pairs),
    security_groups: securityGroups,
    extra_dhcp_opts: extraDhcpOpts,
    "binding:host_id": p.binding_host_id,
    "binding:vnic_type": p.binding_vnic_type,
    "binding:profile": JSON.parse(p.binding_profile),
    "binding:vif_type": p.binding_vif_type,
    "binding:vif_details": JSON.parse(p.binding_vif_details),
    qos_policy_id: p.qos_policy_id,
    qos_network_policy_id: networkPolicyId,
    tags: [],
    revision_number: p.revision_number,
    created_at: p.created_at,
    updated_at: p.updated_at,
  };
}

/** Neutron shows agent timestamps as "YYYY-MM-DD HH:MM:SS". */
const agentTime = (iso: string) => iso.replace("T", " ").replace(/(\.\d+)?Z$/, "");

export function agentView(a: AgentRow, alive: boolean): Record<string, unknown> {
  return {
    id: a.id,
    agent_type: a.agent_type,
    binary: a.agent_binary,
    topic: a.topic,
    host: a.host,
    admin_state_up: bool(a.admin_state_up),
    alive,
    heartbeat_timestamp: agentTime(a.heartbeat_at),
    started_at: agentTime(a.started_at),
    created_at: agentTime(a.created_at),
    configurations: JSON.parse(a.configurations) as AgentConfigurations,
    description: a.description,
    availability_zone: null,
    resources_synced: null,
  };
}

export function networkInfo(n: NetworkRow): NetworkInfo {
  return {
    network_id: n.id,
    network_type: n.network_type as NetworkType,
    physical_network: n.physical_network,
    segmentation_id: n.segmentation_id,
    mtu: n.mtu,
    admin_state_up: bool(n.admin_state_up),
  };
}

/** What only some agents read (services/agent-capabilities.ts), each given only for those agents. */
export interface DeviceExtras {
  /** The port's effective QoS policy (agents that declared `qos`). */
  readonly qos?: { readonly policyId: string | null };
  /** The port's security groups, [] with port security off (agents that run the openvswitch firewall). */
  readonly securityGroups?: readonly string[];
  /** The port's extra DHCP options (agents that declared `dhcp`). */
  readonly extraDhcpOpts?: readonly ExtraDhcpOpt[];
}

/** Without extras, the first protocol's DeviceDetails, key for key. */
export function deviceDetails(
  p: PortRow,
  n: NetworkRow,
  allocations: readonly IpAllocationRow[],
  extras: DeviceExtras = {},
): DeviceDetails {
  const details: DeviceDetails = {
    port_id: p.id,
    network_id: n.id,
    network_type: n.network_type as NetworkType,
    physical_network: n.physical_network,
    segmentation_id: n.segmentation_id,
    mtu: n.mtu,
    mac_address: p.mac_address,
    fixed_ips: fixedIps(allocations),
    admin_state_up: bool(p.admin_state_up),
    network_admin_state_up: bool(n.admin_state_up),
    port_security_enabled: bool(p.port_security_enabled),
    allowed_address_pairs: JSON.parse(p.allowed_address_pairs),
    device_owner: p.device_owner,
    device_id: p.device_id,
    host: p.binding_host_id,
    status: p.status as DeviceDetails["status"],
    vif_type: p.binding_vif_type,
    revision_number: p.revision_number,
  };
  if (extras.qos !== undefined) details.qos_policy_id = extras.qos.policyId;
  if (extras.securityGroups !== undefined) details.security_groups = [...extras.securityGroups];
  if (extras.extraDhcpOpts !== undefined) details.extra_dhcp_opts = [...extras.extraDhcpOpts];
  return details;
}

/** A rule inside policy.rules: every field, with its policy and type (openstackclient's rule list reads them). */
export function qosRuleInPolicyView(r: QosRuleRow): Record<string, unknown> {
  return { id: r.id, qos_policy_id: r.qos_policy_id, type: r.type, ...qosRuleFields(r) };
}

/** A rule as its own resource (…/bandwidth_limit_rules/{id}): Neutron shows only its attribute map. */
export function qosRuleView(r: QosRuleRow): Record<string, unknown> {
  return { id: r.id, ...qosRuleFields(r) };
}

function qosRuleFields(r: QosRuleRow): Record<string, unknown> {
  return r.type === "bandwidth_limit"
    ? { max_kbps: Number(r.max_kbps), max_burst_kbps: Number(r.max_burst_kbps), direction: r.direction }
    : { dscp_mark: Number(r.dscp_mark) };
}

/** `shared`: whether the policy is shared with the caller's project (services/targets.ts sharedWith). */
export function qosPolicyView(
  p: QosPolicyRow,
  rules: readonly QosRuleRow[],
  shared: boolean,
): Record<string, unknown> {
  return {
    id: p.id,
    project_id: p.project_id,
    tenant_id: p.project_id,
    name: p.name,
    description: p.description,
    shared,
    is_default: bool(p.is_default),
    revision_number: p.revision_number,
    created_at: p.created_at,
    updated_at: p.updated_at,
    tags: [],
    rules: rules.map(qosRuleInPolicyView),
  };
}

export function securityGroupRuleView(
  r: SecurityGroupRuleRow,
  belongsToDefault: boolean | null,
): Record<string, unknown> {
  return {
    id: r.id,
    tenant_id: r.project_id,
    project_id: r.project_id,
    security_group_id: r.security_group_id,
    ethertype: r.ethertype,
    direction: r.direction,
    protocol: r.protocol,
    port_range_min: r.port_range_min,
    port_range_max: r.port_range_max,
    remote_ip_prefix: r.remote_ip_prefix,
    remote_address_group_id: r.remote_address_group_id,
    normalized_cidr: normalizedCidr(r.remote_ip_prefix),
    remote_group_id: r.remote_group_id,
    belongs_to_default_sg: belongsToDefault,
    description: r.description,
    revision_number: r.revision_number,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

/** `shared`: whether the group is shared with the caller's project (services/targets.ts sharedWith). */
export function securityGroupView(
  g: SecurityGroupRow,
  rules: readonly SecurityGroupRuleRow[],
  isDefault: boolean,
  shared: boolean,
): Record<string, unknown> {
  return {
    id: g.id,
    name: g.name,
    stateful: bool(g.stateful),
    tenant_id: g.project_id,
    project_id: g.project_id,
    description: g.description,
    shared,
    security_group_rules: rules.map((r) => securityGroupRuleView(r, isDefault)),
    tags: [],
    revision_number: g.revision_number,
    created_at: g.created_at,
    updated_at: g.updated_at,
  };
}

export function defaultSecurityGroupRuleView(t: DefaultSecurityGroupRuleRow): Record<string, unknown> {
  return {
    id: t.id,
    ethertype: t.ethertype,
    direction: t.direction,
    protocol: t.protocol,
    port_range_min: t.port_range_min,
    port_range_max: t.port_range_max,
    remote_ip_prefix: t.remote_ip_prefix,
    remote_address_group_id: t.remote_address_group_id,
    remote_group_id: t.remote_group_id,
    description: t.description,
    used_in_default_sg: bool(t.used_in_default_sg),
    used_in_non_default_sg: bool(t.used_in_non_default_sg),
  };
}

export function addressGroupView(g: AddressGroupRow, addresses: readonly string[]): Record<string, unknown> {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    tenant_id: g.project_id,
    project_id: g.project_id,
    addresses,
    revision_number: g.revision_number,
    created_at: g.created_at,
    updated_at: g.updated_at,
  };
}

/** A router's gateway as its view shows it: the gateway port's network and addresses. */
export interface GatewayView {
  readonly networkId: string;
  readonly allocations: readonly IpAllocationRow[];
}

export function routerView(
  r: RouterRow,
  gateway: GatewayView | undefined,
  routes: readonly { destination: string; nexthop: string }[],
): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    tenant_id: r.project_id,
    project_id: r.project_id,
    admin_state_up: bool(r.admin_state_up),
    status: r.status,
    external_gateway_info:
      gateway === undefined
        ? null
        : {
            network_id: gateway.networkId,
            enable_snat: bool(r.enable_snat),
            external_fixed_ips: fixedIps(gateway.allocations),
          },
    routes,
    tags: [],
    revision_number: r.revision_number,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export function floatingIpView(f: FloatingIpRow): Record<string, unknown> {
  return {
    id: f.id,
    description: f.description,
    tenant_id: f.project_id,
    project_id: f.project_id,
    floating_network_id: f.floating_network_id,
    floating_ip_address: f.floating_ip_address,
    router_id: f.router_id,
    port_id: f.port_id,
    fixed_ip_address: f.fixed_ip_address,
    status: f.status,
    tags: [],
    revision_number: f.revision_number,
    created_at: f.created_at,
    updated_at: f.updated_at,
  };
}
