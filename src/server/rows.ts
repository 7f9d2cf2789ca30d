/** Rows as stored (both stores return the same shapes: integers for booleans, JSON as text). */
import type { Ipv6Mode } from "../protocol/index.ts";

export interface NetworkRow {
  id: string;
  name: string;
  description: string;
  project_id: string;
  admin_state_up: number;
  shared: number;
  mtu: number;
  status: string;
  port_security_enabled: number;
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
  qos_policy_id: string | null;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface SubnetRow {
  id: string;
  network_id: string;
  name: string;
  description: string;
  project_id: string;
  ip_version: number;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: number;
  allocation_pools: string;
  dns_nameservers: string;
  host_routes: string;
  subnetpool_id: string | null;
  ipv6_address_mode: Ipv6Mode | null;
  ipv6_ra_mode: Ipv6Mode | null;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface PortRow {
  id: string;
  network_id: string;
  name: string;
  description: string;
  project_id: string;
  mac_address: string;
  admin_state_up: number;
  status: string;
  device_id: string;
  device_owner: string;
  port_security_enabled: number;
  allowed_address_pairs: string;
  binding_host_id: string;
  binding_vnic_type: string;
  binding_profile: string;
  binding_vif_type: string;
  binding_vif_details: string;
  qos_policy_id: string | null;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** One of a port's extra DHCP options (Neutron's extradhcpopts). */
export interface ExtraDhcpOptRow {
  port_id: string;
  opt_name: string;
  opt_value: string;
  ip_version: number;
}

export interface IpAllocationRow {
  port_id: string;
  subnet_id: string;
  network_id: string;
  ip_address: string;
}

export interface AgentRow {
  id: string;
  agent_type: string;
  agent_binary: string;
  host: string;
  topic: string;
  configurations: string;
  admin_state_up: number;
  description: string;
  heartbeat_at: string;
  started_at: string;
  created_at: string;
}

export interface QosPolicyRow {
  id: string;
  name: string;
  description: string;
  project_id: string;
  shared: number;
  is_default: number;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** One row per rule; the columns of the other type are null. */
export interface QosRuleRow {
  id: string;
  qos_policy_id: string;
  type: "bandwidth_limit" | "dscp_marking";
  max_kbps: number | null;
  max_burst_kbps: number | null;
  direction: "egress" | "ingress" | null;
  dscp_mark: number | null;
}

export interface SecurityGroupRow {
  id: string;
  name: string;
  description: string;
  project_id: string;
  stateful: number;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** What a rule, or a template of rules, says about traffic. */
export interface RuleColumns {
  direction: "ingress" | "egress";
  ethertype: "IPv4" | "IPv6";
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  remote_address_group_id: string | null;
  description: string;
}

export interface SecurityGroupRuleRow extends RuleColumns {
  id: string;
  security_group_id: string;
  project_id: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** A template for the rules of new groups; remote_group_id "PARENT" is the new group itself. */
export interface DefaultSecurityGroupRuleRow extends RuleColumns {
  id: string;
  used_in_default_sg: number;
  used_in_non_default_sg: number;
}

export interface AddressGroupRow {
  id: string;
  name: string;
  description: string;
  project_id: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** Neutron writes timestamps as ISO 8601 without fractions. */
export function timestamp(date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export interface AddressScopeRow {
  id: string;
  name: string;
  project_id: string;
  shared: number;
  ip_version: number;
}

export interface SubnetPoolRow {
  id: string;
  name: string;
  description: string;
  project_id: string;
  ip_version: number;
  default_prefixlen: number;
  min_prefixlen: number;
  max_prefixlen: number;
  default_quota: number | null;
  shared: number;
  is_default: number;
  address_scope_id: string | null;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface RouterRow {
  id: string;
  name: string;
  description: string;
  project_id: string;
  admin_state_up: number;
  status: string;
  gw_port_id: string | null;
  enable_snat: number;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** One of a router's extra routes (Neutron's extraroute). */
export interface RouterRouteRow {
  router_id: string;
  destination: string;
  nexthop: string;
}

export interface FloatingIpRow {
  id: string;
  description: string;
  project_id: string;
  floating_network_id: string;
  floating_ip_address: string;
  floating_port_id: string;
  port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  status: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}
