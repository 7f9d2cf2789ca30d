/**
 * tempest.conf for a run against weir server: Keystone v3 with its admin (dynamic credentials: each test
 * class gets projects and users of its own), only the network service available, the extensions the
 * server advertises, project networks in 198.18.128.0/17 (and 2001:db8::/48), the admin's public
 * (router:external) network for routers' gateways and floating IPs, and tempest's log with every request and response at DEBUG, which the
 * report reads failures from. Options: tempest/config.py and neutron_tempest_plugin/config.py.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface TempestSettings {
  /** Keystone's base URL (the v3 API is under /v3). */
  readonly keystoneUrl: string;
  readonly admin: { readonly username: string; readonly password: string; readonly project: string };
  /** Extension aliases the server advertises (GET /v2.0/extensions). */
  readonly extensions: readonly string[];
  /** The workspace: etc/tempest.conf, the log and the lock directory go there. */
  readonly workspace: string;
  /** The router:external network routers' gateways and floating IPs come from. */
  readonly publicNetwork?: { readonly id: string; readonly name: string };
}

export type ConfSections = Record<string, Record<string, string>>;

export function tempestSections(s: TempestSettings): ConfSections {
  return {
    DEFAULT: {
      debug: "true",
      log_dir: s.workspace,
      log_file: "tempest.log",
      use_stderr: "false",
    },
    oslo_concurrency: { lock_path: join(s.workspace, "lock") },
    auth: {
      use_dynamic_credentials: "true",
      create_isolated_networks: "false",
      admin_username: s.admin.username,
      admin_password: s.admin.password,
      admin_project_name: s.admin.project,
      admin_domain_name: "Default",
    },
    identity: {
      uri_v3: `${s.keystoneUrl}/v3`,
      auth_version: "v3",
      region: "RegionOne",
      v3_endpoint_type: "public",
    },
    "identity-feature-enabled": { api_v2: "false", api_v3: "true" },
    service_available: {
      neutron: "true",
      nova: "false",
      cinder: "false",
      glance: "false",
      swift: "false",
      horizon: "false",
    },
    network: {
      catalog_type: "network",
      endpoint_type: "publicURL",
      project_network_cidr: "198.18.128.0/17",
      project_network_mask_bits: "28",
      project_network_v6_cidr: "2001:db8::/48",
      project_network_v6_mask_bits: "64",
      project_networks_reachable: "false",
      public_network_id: s.publicNetwork?.id ?? "",
      floating_network_name: s.publicNetwork?.name ?? "",
      shared_physical_network: "false",
      build_timeout: "60",
    },
    "network-feature-enabled": {
      api_extensions: s.extensions.join(","),
      // Features tempest cannot discover (scenario tests read them); none of them here.
      available_features: "",
      ipv6: "true",
      ipv6_subnet_attributes: "true",
      port_admin_state_change: "true",
      port_security: s.extensions.includes("port-security") ? "true" : "false",
      floating_ips: s.extensions.includes("router") ? "true" : "false",
      provider_net_base_segmentation_id: "100",
    },
    neutron_plugin_options: {
      provider_vlans: "physnet1",
      provider_net_base_segm_id: "100",
      available_type_drivers: "flat,vlan,vxlan,gre,geneve",
      specify_floating_ip_address_available: "false",
      q_agent: "ovs",
      firewall_driver: "openvswitch",
      create_shared_resources: "false",
    },
    validation: { run_validation: "false" },
    // The plugin's other suites have API tests under their own packages; the regex leaves them out.
    bgpvpn: { run_bgpvpn_tests: "false" },
    fwaas: { run_fwaas_tests: "false" },
    sfc: { run_sfc_tests: "false" },
  };
}

export function iniText(sections: ConfSections): string {
  const out: string[] = [];
  for (const [name, keys] of Object.entries(sections)) {
    out.push(`[${name}]`);
    for (const [key, value] of Object.entries(keys)) out.push(`${key} = ${value}`);
    out.push("");
  }
  return out.join("\n");
}

/** Writes `workspace/etc/tempest.conf` (and the lock directory); returns the file's path. */
export async function writeTempestConf(s: TempestSettings): Promise<string> {
  await mkdir(join(s.workspace, "etc"), { recursive: true });
  await mkdir(join(s.workspace, "lock"), { recursive: true });
  const path = join(s.workspace, "etc", "tempest.conf");
  await writeFile(path, iniText(tempestSections(s)));
  return path;
}
