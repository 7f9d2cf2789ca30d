/**
 * Versioned migrations, shared by SQLite and PostgreSQL (the dialects differ only where noted). Booleans
 * are integers 0/1 and JSON is text in both, so rows read the same from either.
 */
export type Dialect = "sqlite" | "postgres";

export interface Migration {
  readonly version: number;
  readonly description: string;
  statements(dialect: Dialect): string[];
}

const big = (d: Dialect) => (d === "postgres" ? "BIGINT" : "INTEGER");

/** Fixed ids for the four templates every Neutron has (migration c33da356b165 seeds the same four rows). */
const LEGACY_TEMPLATE_IDS = [
  "4b4d3e1f-7c1a-4c7e-9a44-0c1f5e0a0001",
  "4b4d3e1f-7c1a-4c7e-9a44-0c1f5e0a0002",
  "4b4d3e1f-7c1a-4c7e-9a44-0c1f5e0a0003",
  "4b4d3e1f-7c1a-4c7e-9a44-0c1f5e0a0004",
];

export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: "networks, subnets, ports, IP allocations, agents, event log",
    statements: (d) => [
      `CREATE TABLE weir_meta (id INTEGER PRIMARY KEY CHECK (id = 1), revision ${big(d)} NOT NULL)`,
      "INSERT INTO weir_meta (id, revision) VALUES (1, 0)",
      `CREATE TABLE networks (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, project_id TEXT NOT NULL,
        admin_state_up INTEGER NOT NULL, shared INTEGER NOT NULL, mtu INTEGER NOT NULL, status TEXT NOT NULL,
        port_security_enabled INTEGER NOT NULL, network_type TEXT NOT NULL, physical_network TEXT,
        segmentation_id INTEGER, revision_number INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
      // One network per segment: a VLAN on a physnet, a VNI, a flat physnet.
      "CREATE UNIQUE INDEX networks_segment ON networks (network_type, COALESCE(physical_network, ''), COALESCE(segmentation_id, -1))",
      `CREATE TABLE subnets (
        id TEXT PRIMARY KEY, network_id TEXT NOT NULL REFERENCES networks (id), name TEXT NOT NULL,
        description TEXT NOT NULL, project_id TEXT NOT NULL, ip_version INTEGER NOT NULL, cidr TEXT NOT NULL,
        gateway_ip TEXT, enable_dhcp INTEGER NOT NULL, allocation_pools TEXT NOT NULL, dns_nameservers TEXT NOT NULL,
        host_routes TEXT NOT NULL, revision_number INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
      "CREATE INDEX subnets_network ON subnets (network_id)",
      `CREATE TABLE ports (
        id TEXT PRIMARY KEY, network_id TEXT NOT NULL REFERENCES networks (id), name TEXT NOT NULL,
        description TEXT NOT NULL, project_id TEXT NOT NULL, mac_address TEXT NOT NULL, admin_state_up INTEGER NOT NULL,
        status TEXT NOT NULL, device_id TEXT NOT NULL, device_owner TEXT NOT NULL, port_security_enabled INTEGER NOT NULL,
        allowed_address_pairs TEXT NOT NULL, binding_host_id TEXT NOT NULL, binding_vnic_type TEXT NOT NULL,
        binding_profile TEXT NOT NULL, binding_vif_type TEXT NOT NULL, binding_vif_details TEXT NOT NULL,
        revision_number INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
      "CREATE UNIQUE INDEX ports_mac ON ports (network_id, mac_address)",
      "CREATE INDEX ports_network ON ports (network_id)",
      "CREATE INDEX ports_host ON ports (binding_host_id)",
      "CREATE INDEX ports_device ON ports (device_id)",
      `CREATE TABLE ip_allocations (
        port_id TEXT NOT NULL REFERENCES ports (id) ON DELETE CASCADE, subnet_id TEXT NOT NULL REFERENCES subnets (id),
        network_id TEXT NOT NULL, ip_address TEXT NOT NULL, PRIMARY KEY (subnet_id, ip_address))`,
      "CREATE INDEX ip_allocations_port ON ip_allocations (port_id)",
      `CREATE TABLE agents (
        id TEXT PRIMARY KEY, agent_type TEXT NOT NULL, agent_binary TEXT NOT NULL, host TEXT NOT NULL,
        topic TEXT NOT NULL, configurations TEXT NOT NULL, admin_state_up INTEGER NOT NULL, description TEXT NOT NULL,
        heartbeat_at TEXT NOT NULL, started_at TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE (agent_type, host))`,
      `CREATE TABLE events (revision ${big(d)} PRIMARY KEY, host TEXT, payload TEXT NOT NULL, created_at TEXT NOT NULL)`,
    ],
  },
  {
    version: 2,
    description: "QoS policies and rules; qos_policy_id on ports and networks",
    statements: () => [
      `CREATE TABLE qos_policies (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, project_id TEXT NOT NULL,
        shared INTEGER NOT NULL, is_default INTEGER NOT NULL, revision_number INTEGER NOT NULL,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
      // One default per project (Neutron's qos_policies_default has project_id as its primary key).
      "CREATE UNIQUE INDEX qos_policies_default ON qos_policies (project_id) WHERE is_default = 1",
      `CREATE TABLE qos_rules (
        id TEXT PRIMARY KEY, qos_policy_id TEXT NOT NULL REFERENCES qos_policies (id) ON DELETE CASCADE,
        type TEXT NOT NULL CHECK (type IN ('bandwidth_limit', 'dscp_marking')),
        max_kbps INTEGER, max_burst_kbps INTEGER, direction TEXT CHECK (direction IN ('egress', 'ingress')),
        dscp_mark INTEGER)`,
      // Neutron's backstops: qos_bandwidth_rules0qos_policy_id0direction, qos_dscp_marking_rules.qos_policy_id.
      "CREATE UNIQUE INDEX qos_rules_bandwidth_limit ON qos_rules (qos_policy_id, direction) WHERE type = 'bandwidth_limit'",
      "CREATE UNIQUE INDEX qos_rules_dscp_marking ON qos_rules (qos_policy_id) WHERE type = 'dscp_marking'",
      "ALTER TABLE ports ADD COLUMN qos_policy_id TEXT REFERENCES qos_policies (id)",
      "ALTER TABLE networks ADD COLUMN qos_policy_id TEXT REFERENCES qos_policies (id)",
      "CREATE INDEX ports_qos_policy ON ports (qos_policy_id)",
      "CREATE INDEX networks_qos_policy ON networks (qos_policy_id)",
    ],
  },
  {
    version: 3,
    description:
      "security groups, their rules and port bindings; default-rule templates; address groups; quotas",
    statements: () => [
      `CREATE TABLE security_groups (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, project_id TEXT NOT NULL,
        stateful INTEGER NOT NULL, revision_number INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
      "CREATE INDEX security_groups_project ON security_groups (project_id)",
      // Neutron's default_security_group table: at most one default group per project, found by project.
      `CREATE TABLE default_security_groups (
        project_id TEXT PRIMARY KEY,
        security_group_id TEXT NOT NULL UNIQUE REFERENCES security_groups (id) ON DELETE CASCADE)`,
      `CREATE TABLE address_groups (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, project_id TEXT NOT NULL,
        revision_number INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
      `CREATE TABLE address_group_addresses (
        address_group_id TEXT NOT NULL REFERENCES address_groups (id) ON DELETE CASCADE, address TEXT NOT NULL,
        PRIMARY KEY (address_group_id, address))`,
      // The agent needs rules by group and groups by remote; a rule dies with its group, and a group or an
      // address group named as a remote cannot be deleted while a rule names it.
      `CREATE TABLE security_group_rules (
        id TEXT PRIMARY KEY, security_group_id TEXT NOT NULL REFERENCES security_groups (id) ON DELETE CASCADE,
        project_id TEXT NOT NULL, direction TEXT NOT NULL CHECK (direction IN ('ingress', 'egress')),
        ethertype TEXT NOT NULL CHECK (ethertype IN ('IPv4', 'IPv6')), protocol TEXT,
        port_range_min INTEGER, port_range_max INTEGER, remote_ip_prefix TEXT,
        remote_group_id TEXT REFERENCES security_groups (id) ON DELETE CASCADE,
        remote_address_group_id TEXT REFERENCES address_groups (id), description TEXT NOT NULL,
        revision_number INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
      "CREATE INDEX security_group_rules_group ON security_group_rules (security_group_id)",
      "CREATE INDEX security_group_rules_remote_group ON security_group_rules (remote_group_id)",
      "CREATE INDEX security_group_rules_remote_address_group ON security_group_rules (remote_address_group_id)",
      `CREATE TABLE port_security_groups (
        port_id TEXT NOT NULL REFERENCES ports (id) ON DELETE CASCADE,
        security_group_id TEXT NOT NULL REFERENCES security_groups (id), PRIMARY KEY (port_id, security_group_id))`,
      "CREATE INDEX port_security_groups_group ON port_security_groups (security_group_id)",
      // Templates for the rules of new groups; remote_group_id 'PARENT' stands for the new group itself.
      `CREATE TABLE default_security_group_rules (
        id TEXT PRIMARY KEY, direction TEXT NOT NULL, ethertype TEXT NOT NULL, protocol TEXT,
        port_range_min INTEGER, port_range_max INTEGER, remote_ip_prefix TEXT, remote_group_id TEXT,
        remote_address_group_id TEXT, description TEXT NOT NULL, used_in_default_sg INTEGER NOT NULL,
        used_in_non_default_sg INTEGER NOT NULL)`,
      ...[
        ["egress", "IPv4", null, "Legacy default SG rule for egress traffic", 1],
        ["egress", "IPv6", null, "Legacy default SG rule for egress traffic", 1],
        ["ingress", "IPv4", "PARENT", "Legacy default SG rule for ingress traffic", 0],
        ["ingress", "IPv6", "PARENT", "Legacy default SG rule for ingress traffic", 0],
      ].map(
        ([direction, ethertype, remote, description, nonDefault], i) =>
          `INSERT INTO default_security_group_rules (id, direction, ethertype, protocol, port_range_min, port_range_max,
            remote_ip_prefix, remote_group_id, remote_address_group_id, description, used_in_default_sg,
            used_in_non_default_sg) VALUES ('${LEGACY_TEMPLATE_IDS[i]}', '${direction}', '${ethertype}', NULL, NULL, NULL,
            NULL, ${remote === null ? "NULL" : `'${remote}'`}, NULL, '${description}', 1, ${nonDefault})`,
      ),
      `CREATE TABLE quotas (
        project_id TEXT NOT NULL, resource TEXT NOT NULL, hard_limit INTEGER NOT NULL,
        PRIMARY KEY (project_id, resource))`,
    ],
  },
  {
    version: 4,
    description: "tags of networks, subnets, ports, security groups, QoS policies and address groups",
    statements: () => [
      // One table for every taggable resource (Neutron keeps tags on the standard attributes): a tag
      // goes with its object when the object's delete removes it (services/tags.ts).
      `CREATE TABLE tags (
        resource TEXT NOT NULL, resource_id TEXT NOT NULL, tag TEXT NOT NULL,
        PRIMARY KEY (resource, resource_id, tag))`,
      "CREATE INDEX tags_tag ON tags (resource, tag)",
    ],
  },
  {
    version: 5,
    description: "RBAC entries sharing networks, QoS policies, security groups and address groups",
    statements: (d) => [
      `CREATE TABLE rbac_policies (
        id TEXT PRIMARY KEY, project_id TEXT NOT NULL, object_type TEXT NOT NULL, object_id TEXT NOT NULL,
        action TEXT NOT NULL, target_project TEXT NOT NULL,
        UNIQUE (object_type, object_id, action, target_project))`,
      "CREATE INDEX rbac_policies_target ON rbac_policies (target_project)",
      "CREATE INDEX rbac_policies_object ON rbac_policies (object_id)",
      // What was shared before entries existed becomes the wildcard entry `shared` now stands for.
      ...(["network", "qos_policy"] as const).map(
        (type) =>
          `INSERT INTO rbac_policies (id, project_id, object_type, object_id, action, target_project)
           SELECT ${newUuid(d)}, project_id, '${type}', id, 'access_as_shared', '*'
           FROM ${type === "network" ? "networks" : "qos_policies"} WHERE shared = 1`,
      ),
    ],
  },
  {
    version: 6,
    description: "address scopes, subnet pools and their prefixes; subnets allocated from pools",
    statements: () => [
      `CREATE TABLE address_scopes (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, project_id TEXT NOT NULL, shared INTEGER NOT NULL,
        ip_version INTEGER NOT NULL)`,
      `CREATE TABLE subnetpools (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, project_id TEXT NOT NULL,
        ip_version INTEGER NOT NULL, default_prefixlen INTEGER NOT NULL, min_prefixlen INTEGER NOT NULL,
        max_prefixlen INTEGER NOT NULL, default_quota INTEGER, shared INTEGER NOT NULL, is_default INTEGER NOT NULL,
        address_scope_id TEXT REFERENCES address_scopes (id), revision_number INTEGER NOT NULL,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
      // One default pool per IP version (Neutron's default-subnetpools).
      "CREATE UNIQUE INDEX subnetpools_default ON subnetpools (ip_version) WHERE is_default = 1",
      `CREATE TABLE subnetpool_prefixes (
        subnetpool_id TEXT NOT NULL REFERENCES subnetpools (id) ON DELETE CASCADE, cidr TEXT NOT NULL,
        PRIMARY KEY (subnetpool_id, cidr))`,
      "ALTER TABLE subnets ADD COLUMN subnetpool_id TEXT REFERENCES subnetpools (id)",
      "CREATE INDEX subnets_subnetpool ON subnets (subnetpool_id)",
    ],
  },
  {
    version: 7,
    description: "IPv6 address and RA modes of subnets; extra DHCP options of ports",
    statements: () => [
      ...["ipv6_address_mode", "ipv6_ra_mode"].map(
        (column) =>
          `ALTER TABLE subnets ADD COLUMN ${column} TEXT CHECK (${column} IN ('slaac', 'dhcpv6-stateful', 'dhcpv6-stateless'))`,
      ),
      // Neutron's extradhcpopts, its unique key (port, name, IP version) as the primary key.
      `CREATE TABLE extra_dhcp_opts (
        port_id TEXT NOT NULL REFERENCES ports (id) ON DELETE CASCADE, opt_name TEXT NOT NULL,
        opt_value TEXT NOT NULL, ip_version INTEGER NOT NULL CHECK (ip_version IN (4, 6)),
        PRIMARY KEY (port_id, opt_name, ip_version))`,
    ],
  },
  {
    version: 8,
    description: "Routers (their gateway, interfaces and extra routes) and floating IPs",
    statements: () => [
      // A router's interfaces and gateway are ports whose device_id is the router (device_owner says
      // which); gw_port_id names the gateway port so that a router has at most one.
      `CREATE TABLE routers (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, project_id TEXT NOT NULL,
        admin_state_up INTEGER NOT NULL, status TEXT NOT NULL,
        gw_port_id TEXT UNIQUE REFERENCES ports (id), enable_snat INTEGER NOT NULL,
        revision_number INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
      `CREATE TABLE router_routes (
        router_id TEXT NOT NULL REFERENCES routers (id) ON DELETE CASCADE, destination TEXT NOT NULL,
        nexthop TEXT NOT NULL, PRIMARY KEY (router_id, destination, nexthop))`,
      // floating_port_id is the address's own port on the external network (device_owner
      // network:floatingip); port_id and fixed_ip_address the VM address it forwards to, if any.
      `CREATE TABLE floatingips (
        id TEXT PRIMARY KEY, description TEXT NOT NULL, project_id TEXT NOT NULL,
        floating_network_id TEXT NOT NULL REFERENCES networks (id), floating_ip_address TEXT NOT NULL,
        floating_port_id TEXT NOT NULL UNIQUE REFERENCES ports (id),
        port_id TEXT REFERENCES ports (id), fixed_ip_address TEXT, router_id TEXT REFERENCES routers (id),
        status TEXT NOT NULL, revision_number INTEGER NOT NULL, created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL)`,
      "CREATE UNIQUE INDEX floatingips_fixed ON floatingips (port_id, fixed_ip_address) WHERE port_id IS NOT NULL",
      "CREATE INDEX floatingips_router ON floatingips (router_id)",
    ],
  },
];

/** A random UUID in SQL (for rows a migration makes). */
function newUuid(d: Dialect): string {
  if (d === "postgres") return "gen_random_uuid()::text";
  const hex = (n: number) => `lower(hex(randomblob(${n})))`;
  return `${hex(4)} || '-' || ${hex(2)} || '-4' || substr(${hex(2)}, 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(${hex(2)}, 2) || '-' || ${hex(6)}`;
}
