/**
 * Neutron's default policy since 2023.2 (secure RBAC: roles admin, member, reader and service; project
 * scope), by Neutron's rule names so that an operator's policy file overrides them by the same names.
 * Only the rules of resources this server has; an override naming any other rule is refused at start-up.
 * Written from Neutron's documented defaults (neutron/conf/policies, neutron-lib policy rules); where
 * Weir's resources differ (no advsvc, no segments), the rule is the nearest one.
 */

const ADMIN = "rule:admin_only";
const MEMBER = "rule:project_member";
const READER = "rule:project_reader";
const SERVICE = "rule:service_api";
const NET_MEMBER = "rule:network_owner_member";
const NET_READER = "rule:network_owner_reader";
const or = (...parts: string[]) => parts.map((p) => (p.includes(" ") ? `(${p})` : p)).join(" or ");

export const DEFAULT_RULES: Readonly<Record<string, string>> = {
  // The building blocks.
  context_is_admin: "role:admin",
  service_api: "role:service",
  admin_only: "rule:context_is_admin",
  regular_user: "",
  owner: "project_id:%(project_id)s",
  admin_or_owner: "rule:context_is_admin or rule:owner",
  project_member: "role:member and project_id:%(project_id)s",
  project_reader: "role:reader and project_id:%(project_id)s",
  network_owner: "project_id:%(network:project_id)s",
  network_owner_member: "role:member and project_id:%(network:project_id)s",
  network_owner_reader: "role:reader and project_id:%(network:project_id)s",
  sg_owner_member: "role:member and project_id:%(security_group:project_id)s",
  sg_owner_reader: "role:reader and project_id:%(security_group:project_id)s",
  shared: "field:networks:shared=True",
  external: "field:networks:router:external=True",
  shared_qos: "field:policies:shared=True",
  shared_security_group: "field:security_groups:shared=True",
  shared_address_group: "field:address_groups:shared=True",
  shared_subnetpools: "field:subnetpools:shared=True",
  shared_address_scopes: "field:address_scopes:shared=True",
  admin_or_project_member: or(ADMIN, MEMBER),
  admin_or_project_reader: or(ADMIN, READER),

  // Networks.
  create_network: or(ADMIN, MEMBER),
  "create_network:shared": ADMIN,
  "create_network:router:external": ADMIN,
  "create_network:provider:network_type": ADMIN,
  "create_network:provider:physical_network": ADMIN,
  "create_network:provider:segmentation_id": ADMIN,
  "create_network:port_security_enabled": or(ADMIN, MEMBER),
  get_network: or(ADMIN, READER, "rule:shared", "rule:external", SERVICE),
  "get_network:provider:network_type": ADMIN,
  "get_network:provider:physical_network": ADMIN,
  "get_network:provider:segmentation_id": ADMIN,
  update_network: or(ADMIN, MEMBER),
  "update_network:shared": ADMIN,
  "update_network:router:external": ADMIN,
  "update_network:provider:network_type": ADMIN,
  "update_network:provider:physical_network": ADMIN,
  "update_network:provider:segmentation_id": ADMIN,
  "update_network:port_security_enabled": or(ADMIN, MEMBER),
  delete_network: or(ADMIN, MEMBER),

  // Subnets: the network's owner manages them; whoever sees a shared network sees its subnets.
  create_subnet: or(ADMIN, NET_MEMBER),
  get_subnet: or(ADMIN, READER, NET_READER, "rule:shared", SERVICE),
  update_subnet: or(ADMIN, NET_MEMBER),
  delete_subnet: or(ADMIN, NET_MEMBER),

  // Ports: Nova binds them with the service role.
  create_port: or(ADMIN, MEMBER, SERVICE),
  "create_port:device_owner": or(ADMIN, MEMBER, NET_MEMBER, SERVICE),
  "create_port:mac_address": or(ADMIN, NET_MEMBER, SERVICE),
  "create_port:fixed_ips": or(ADMIN, NET_MEMBER, SERVICE, "rule:shared"),
  "create_port:port_security_enabled": or(ADMIN, NET_MEMBER, SERVICE),
  "create_port:binding:host_id": or(ADMIN, SERVICE),
  "create_port:binding:profile": SERVICE,
  "create_port:binding:vnic_type": or(ADMIN, MEMBER, SERVICE),
  "create_port:allowed_address_pairs": or(ADMIN, NET_MEMBER),
  get_port: or(ADMIN, SERVICE, NET_READER, READER),
  "get_port:binding:vif_type": or(ADMIN, SERVICE),
  "get_port:binding:vif_details": or(ADMIN, SERVICE),
  "get_port:binding:host_id": or(ADMIN, SERVICE),
  "get_port:binding:profile": or(ADMIN, SERVICE),
  update_port: or(ADMIN, MEMBER, SERVICE),
  "update_port:device_owner": or(ADMIN, MEMBER, NET_MEMBER, SERVICE),
  "update_port:mac_address": or(ADMIN, SERVICE),
  "update_port:fixed_ips": or(ADMIN, NET_MEMBER, SERVICE, "rule:shared"),
  "update_port:port_security_enabled": or(ADMIN, NET_MEMBER, SERVICE),
  "update_port:binding:host_id": or(ADMIN, SERVICE),
  "update_port:binding:profile": SERVICE,
  "update_port:binding:vnic_type": or(ADMIN, MEMBER, SERVICE),
  "update_port:allowed_address_pairs": or(ADMIN, NET_MEMBER),
  delete_port: or(ADMIN, SERVICE, NET_MEMBER, MEMBER),

  // Security groups and their rules.
  create_security_group: or(ADMIN, MEMBER),
  get_security_group: or(ADMIN, READER, "rule:shared_security_group"),
  update_security_group: or(ADMIN, MEMBER),
  delete_security_group: or(ADMIN, MEMBER),
  create_security_group_rule: or(ADMIN, "rule:sg_owner_member"),
  get_security_group_rule: or(ADMIN, READER, "rule:sg_owner_reader"),
  delete_security_group_rule: or(ADMIN, MEMBER, "rule:sg_owner_member"),
  get_default_security_group_rule: "rule:regular_user",
  create_default_security_group_rule: ADMIN,
  delete_default_security_group_rule: ADMIN,

  // Routers and floating IPs (neutron/conf/policies/router.py, floatingip.py): the gateway's addresses
  // and whether it SNATs are the admin's to choose.
  create_router: or(ADMIN, MEMBER),
  "create_router:external_gateway_info": or(ADMIN, MEMBER),
  "create_router:external_gateway_info:network_id": or(ADMIN, MEMBER),
  "create_router:external_gateway_info:enable_snat": ADMIN,
  "create_router:external_gateway_info:external_fixed_ips": ADMIN,
  get_router: or(ADMIN, READER),
  update_router: or(ADMIN, MEMBER),
  "update_router:external_gateway_info": or(ADMIN, MEMBER),
  "update_router:external_gateway_info:network_id": or(ADMIN, MEMBER),
  "update_router:external_gateway_info:enable_snat": ADMIN,
  "update_router:external_gateway_info:external_fixed_ips": ADMIN,
  delete_router: or(ADMIN, MEMBER),
  add_router_interface: or(ADMIN, MEMBER),
  remove_router_interface: or(ADMIN, MEMBER),
  create_floatingip: or(ADMIN, MEMBER),
  "create_floatingip:floating_ip_address": ADMIN,
  get_floatingip: or(ADMIN, READER),
  update_floatingip: or(ADMIN, MEMBER),
  delete_floatingip: or(ADMIN, MEMBER),

  // Address groups.
  create_address_group: or(ADMIN, MEMBER),
  get_address_group: or(ADMIN, READER, "rule:shared_address_group"),
  update_address_group: or(ADMIN, MEMBER),
  delete_address_group: or(ADMIN, MEMBER),
  add_addresses: or(ADMIN, MEMBER),
  remove_addresses: or(ADMIN, MEMBER),

  // QoS: policies and their rules are the admin's; projects read theirs and shared ones.
  create_policy: ADMIN,
  get_policy: or(ADMIN, READER, "rule:shared_qos"),
  update_policy: ADMIN,
  delete_policy: ADMIN,
  get_rule_type: "rule:regular_user",
  create_policy_bandwidth_limit_rule: ADMIN,
  get_policy_bandwidth_limit_rule: or(ADMIN, READER, "rule:shared_qos"),
  update_policy_bandwidth_limit_rule: ADMIN,
  delete_policy_bandwidth_limit_rule: ADMIN,
  create_policy_dscp_marking_rule: ADMIN,
  get_policy_dscp_marking_rule: or(ADMIN, READER, "rule:shared_qos"),
  update_policy_dscp_marking_rule: ADMIN,
  delete_policy_dscp_marking_rule: ADMIN,
  create_policy_minimum_bandwidth_rule: ADMIN,
  get_policy_minimum_bandwidth_rule: or(ADMIN, READER, "rule:shared_qos"),
  update_policy_minimum_bandwidth_rule: ADMIN,
  delete_policy_minimum_bandwidth_rule: ADMIN,

  // RBAC entries: an object's owner shares it with a project; only admins share with every project.
  create_subnetpool: or(ADMIN, MEMBER),
  "create_subnetpool:shared": ADMIN,
  "create_subnetpool:is_default": ADMIN,
  get_subnetpool: or(ADMIN, READER, "rule:shared_subnetpools"),
  update_subnetpool: or(ADMIN, MEMBER),
  "update_subnetpool:is_default": ADMIN,
  delete_subnetpool: or(ADMIN, MEMBER),
  add_prefixes: or(ADMIN, MEMBER),
  remove_prefixes: or(ADMIN, MEMBER),

  create_address_scope: or(ADMIN, MEMBER),
  "create_address_scope:shared": ADMIN,
  get_address_scope: or(ADMIN, READER, "rule:shared_address_scopes"),
  update_address_scope: or(ADMIN, MEMBER),
  "update_address_scope:shared": ADMIN,
  delete_address_scope: or(ADMIN, MEMBER),

  restrict_wildcard: "(not field:rbac_policy:target_tenant=*) or rule:admin_only",
  create_rbac_policy: or(ADMIN, MEMBER),
  "create_rbac_policy:target_tenant": "rule:restrict_wildcard",
  get_rbac_policy: or(ADMIN, READER),
  update_rbac_policy: or(ADMIN, MEMBER),
  "update_rbac_policy:target_tenant": "rule:restrict_wildcard",
  delete_rbac_policy: or(ADMIN, MEMBER),

  // Quotas and agents.
  get_quota: or(ADMIN, READER),
  update_quota: ADMIN,
  delete_quota: ADMIN,
  get_agent: ADMIN,
  update_agent: ADMIN,
  delete_agent: ADMIN,
};
