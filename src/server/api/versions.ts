/** Version and extension discovery, as Neutron answers them (clients discover before they call). */

import { notFound } from "../api-errors.ts";
import type { Router } from "../http/router.ts";

const resources = ["network", "subnet", "port", "agent"];

// Advertised only when OpenStack's API tests of the extension pass (docs/COMPATIBILITY.md). Not
// external-gateway-multihoming: openstackclient would then set gateways through actions Weir lacks.
export const extensions = [
  {
    alias: "external-net",
    name: "Neutron external network",
    description: "Adds external network attribute to network resource.",
  },
  {
    alias: "router",
    name: "Neutron L3 Router",
    description:
      "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.",
  },
  {
    alias: "ext-gw-mode",
    name: "Neutron L3 Configurable external gateway mode",
    description:
      "Extension of the router abstraction for specifying whether SNAT should occur on the external gateway",
  },
  {
    alias: "extraroute",
    name: "Neutron Extra Route",
    description: "Extra routes configuration for L3 router",
  },
  { alias: "agent", name: "agent", description: "The agent management extension." },
  {
    alias: "allowed-address-pairs",
    name: "Allowed Address Pairs",
    description: "Provides allowed address pairs",
  },
  {
    alias: "binding",
    name: "Port Binding",
    description: "Expose port bindings of a virtual port to external application",
  },
  {
    alias: "extra_dhcp_opt",
    name: "Neutron Extra DHCP options",
    description:
      "Extra options configuration for DHCP. For example PXE boot options to DHCP clients can be specified (e.g. tftp-server, server-ip-address, bootfile-name)",
  },
  { alias: "net-mtu", name: "Network MTU", description: "Provides MTU attribute for a network resource." },
  {
    alias: "net-mtu-writable",
    name: "Network MTU (writable)",
    description: "Provides a writable MTU attribute for a network resource.",
  },
  { alias: "port-security", name: "Port Security", description: "Provides port security" },
  {
    alias: "project-id",
    name: "project_id field enabled",
    description: "Extension that indicates that project_id field is enabled.",
  },
  {
    alias: "provider",
    name: "Provider Network",
    description: "Expose mapping of virtual networks to physical networks",
  },
  { alias: "qos", name: "Quality of Service", description: "The Quality of Service extension." },
  {
    alias: "qos-bw-limit-direction",
    name: "Direction for QoS bandwidth limit rule",
    description: "Allow to configure QoS bandwidth limit rule with specific direction: ingress or egress",
  },
  {
    alias: "qos-default",
    name: "QoS default policy",
    description: "Expose the QoS default policy per project",
  },
  {
    alias: "qos-port-network-policy",
    name: "QoS port network policy ID",
    description: "Adds a the QoS network ID to the port definition", // sic, as Neutron has it
  },
  {
    alias: "qos-rule-type-details",
    name: "Details of QoS rule types",
    description: "Expose details about QoS rule types supported by loaded backend drivers",
  },
  {
    alias: "qos-rule-type-filter",
    name: "Allow to filter the list of QoS rule types",
    description:
      'Allows to filter the QoS rule type list adding two new flags. "all_rules" prints all implemented QoS rule types."all_supported" prints all supported QoS rule types by the loaded mechanism drivers',
  },
  {
    alias: "address-group",
    name: "Address group",
    description: "Support address group",
  },
  { alias: "security-group", name: "security-group", description: "The security groups extension." },
  {
    alias: "security-groups-default-rules",
    name: "Default rules for security groups",
    description: "Configure set of security group rules used as default rules for every new security group",
  },
  {
    alias: "security-groups-normalized-cidr",
    name: "Security group with normalized CIDR",
    description: "Add new field with normalized remote_ip_prefix cidr in SG rule",
  },
  {
    alias: "security-groups-remote-address-group",
    name: "Remote address group id field for security group rules",
    description: "Add new field of remote address group id in security group rules",
  },
  {
    alias: "stateful-security-group",
    name: "Stateful security group",
    description: "Indicates if the security group is stateful or not",
  },
  {
    alias: "standard-attr-description",
    name: "standard-attr-description",
    description: "Extension to add descriptions to standard attributes",
  },
  {
    alias: "standard-attr-revisions",
    name: "Resource revision numbers",
    description: "This extension will display the revision number of neutron resources.",
  },
  {
    alias: "standard-attr-tag",
    name: "Tag support for resources with standard attribute: subnet, trunk, network_segment_range, router, network, policy, subnetpool, port, security_group, floatingip",
    description: "Enables to set tag on resources with standard attribute.",
  },
  {
    alias: "quotas",
    name: "Quota management support",
    description: "Expose functions for quotas management per project",
  },
  {
    alias: "quota_details",
    name: "Quota details management support",
    description: "Expose functions for quotas usage statistics per project",
  },
  {
    alias: "pagination",
    name: "Pagination support",
    description: "Extension that indicates that pagination is enabled.",
  },
  {
    alias: "sorting",
    name: "Sorting support",
    description: "Extension that indicates that sorting is enabled.",
  },
  {
    alias: "revision-if-match",
    name: "If-Match constraints based on revision_number",
    description: "Extension indicating that If-Match based on revision_number is supported.",
  },
  {
    alias: "rbac-policies",
    name: "RBAC Policies",
    description: "Allows creation and modification of policies that control tenant access to resources.",
  },
  {
    alias: "rbac-security-groups",
    name: "Add security_group type to network RBAC",
    description: "Add security_group type to network RBAC",
  },
  {
    alias: "rbac-address-group",
    name: "Add address_group type to RBAC",
    description: "Add address_group type to RBAC",
  },
  {
    alias: "rbac-address-scope",
    name: "Add address_scope type to RBAC",
    description: "Add address_scope type to RBAC",
  },
  {
    alias: "rbac-subnetpool",
    name: "Add subnetpool type to RBAC",
    description: "Add subnetpool type to RBAC",
  },
  {
    alias: "subnet_allocation",
    name: "Subnet Allocation",
    description: "Enables allocation of subnets from a subnet pool",
  },
  {
    alias: "default-subnetpools",
    name: "Default Subnetpools",
    description: "Provides ability to mark and use a subnetpool as the default.",
  },
  {
    alias: "subnetpool-prefix-ops",
    name: "Subnet Pool Prefix Operations",
    description: "Provides support for adjusting the prefix list of subnet pools",
  },
  { alias: "address-scope", name: "Address scope", description: "Address scopes extension." },

  {
    alias: "standard-attr-timestamp",
    name: "Resource timestamps",
    description:
      "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.",
  },
].map((e) => ({ ...e, links: [], updated: "2026-11-24T00:00:00-00:00" }));

export function versionRoutes(router: Router): void {
  router.add({
    method: "GET",
    pattern: "/",
    access: "public",
    handler: async (req) => ({
      status: 200,
      body: {
        versions: [{ id: "v2.0", status: "CURRENT", links: [{ href: `${req.baseUrl}/v2.0/`, rel: "self" }] }],
      },
    }),
  });
  router.add({
    method: "GET",
    pattern: "/v2.0",
    access: "public",
    handler: async (req) => ({
      status: 200,
      body: {
        resources: resources.map((name) => ({
          name,
          collection: `${name}s`,
          links: [{ href: `${req.baseUrl}/v2.0/${name}s`, rel: "self" }],
        })),
      },
    }),
  });
  router.add({
    method: "GET",
    pattern: "/v2.0/extensions",
    access: "api",
    handler: async () => ({ status: 200, body: { extensions } }),
  });
  router.add({
    method: "GET",
    pattern: "/v2.0/extensions/:alias",
    access: "api",
    handler: async (req) => {
      const found = extensions.find((e) => e.alias === req.params.alias);
      if (found === undefined) throw notFound("Extension", req.params.alias!);
      return { status: 200, body: { extension: found } };
    },
  });
}
