/**
 * Server configuration: Neutron's ml2_conf.ini / neutron.conf keys where they apply, so an operator can
 * bring theirs; the few Weir-only settings live in [weir]. Unknown sections and keys are errors (a typo
 * must not silently mean "default"), each naming the file, section and key.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import ini from "ini";
import { describeError, IniSections, InvalidArgumentError } from "../base/index.ts";
import type { AuthSettings } from "./auth/authenticator.ts";
import { Policy, PolicyError } from "./auth/policy.ts";
import { readPolicyFile } from "./auth/policy-file.ts";
import { IGNORED_KEYS, KEYSTONE_KEYS, parseAuthSettings } from "./auth/settings.ts";

export interface VlanRange {
  readonly physicalNetwork: string;
  /** Absent when the physnet is declared without a range (provider networks only). */
  readonly range?: readonly [number, number];
}

export interface ServerConfig {
  readonly agentDownTime: number;
  readonly globalPhysnetMtu: number;
  readonly typeDrivers: readonly string[];
  readonly tenantNetworkTypes: readonly string[];
  /** ["*"] allows any physical network. */
  readonly flatNetworks: readonly string[];
  readonly vlanRanges: readonly VlanRange[];
  readonly vniRanges: Readonly<Record<"vxlan" | "gre" | "geneve", readonly (readonly [number, number])[]>>;
  readonly adminToken: string | undefined;
  readonly agentToken: string | undefined;
  /** How callers are authenticated ([DEFAULT] auth_strategy, [keystone_authtoken]). */
  readonly auth: AuthSettings;
  /** Neutron's default policy with the overrides of [oslo_policy] policy_file, if any. */
  readonly policy: Policy;
  /** keystonemiddleware options given that Weir does not act on (named in the start-up log). */
  readonly ignoredAuthKeys: readonly string[];
  readonly defaultProjectId: string;
  /** How many events the server keeps for agents resuming their stream. */
  readonly eventRetention: number;
  /** [QUOTAS] quota_<resource>: each project's limit unless set per project; -1 is unlimited. */
  readonly quotaDefaults: Readonly<
    Record<
      | "network"
      | "subnet"
      | "port"
      | "security_group"
      | "security_group_rule"
      | "rbac_policy"
      | "router"
      | "floatingip",
      number
    >
  >;
  /** [DEFAULT] max_allowed_address_pair. */
  readonly maxAllowedAddressPairs: number;
}

export const defaultServerConfig: ServerConfig = {
  agentDownTime: 75,
  globalPhysnetMtu: 1500,
  typeDrivers: ["flat", "vlan", "vxlan", "gre", "geneve"],
  tenantNetworkTypes: ["vxlan"],
  flatNetworks: ["*"],
  vlanRanges: [{ physicalNetwork: "physnet1", range: [100, 199] }],
  vniRanges: { vxlan: [[1000, 1999]], gre: [[1000, 1999]], geneve: [[1000, 1999]] },
  adminToken: undefined,
  agentToken: undefined,
  auth: { strategy: "token" },
  policy: Policy.default,
  ignoredAuthKeys: [],
  defaultProjectId: "00000000000000000000000000000001",
  eventRetention: 100_000,
  quotaDefaults: {
    network: 100,
    subnet: 100,
    port: 500,
    security_group: 10,
    security_group_rule: 100,
    rbac_policy: 10,
    router: 10,
    floatingip: 50,
  },
  maxAllowedAddressPairs: 10,
};

const known: Record<string, readonly string[]> = {
  DEFAULT: ["agent_down_time", "global_physnet_mtu", "max_allowed_address_pair", "auth_strategy"],
  keystone_authtoken: [...KEYSTONE_KEYS, ...IGNORED_KEYS],
  oslo_policy: ["policy_file", "enforce_scope", "enforce_new_defaults"],
  QUOTAS: [
    "quota_network",
    "quota_subnet",
    "quota_port",
    "quota_security_group",
    "quota_security_group_rule",
    "quota_rbac_policy",
    "quota_router",
    "quota_floatingip",
  ],
  ml2: ["type_drivers", "tenant_network_types", "mechanism_drivers", "extension_drivers"],
  ml2_type_flat: ["flat_networks"],
  ml2_type_vlan: ["network_vlan_ranges"],
  ml2_type_vxlan: ["vni_ranges", "vxlan_group"],
  ml2_type_gre: ["tunnel_id_ranges"],
  ml2_type_geneve: ["vni_ranges", "max_header_size"],
  weir: ["admin_token", "agent_token", "default_project_id", "event_retention"],
};

export function loadServerConfig(path: string | undefined): ServerConfig {
  if (path === undefined) return defaultServerConfig;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new InvalidArgumentError(path, `cannot read the configuration file: ${describeError(cause)}`);
  }
  return parseServerConfig(text, path);
}

export function parseServerConfig(text: string, file = "server.ini"): ServerConfig {
  const sections = new IniSections(ini.parse(text) as Record<string, unknown>, file);
  sections.checkKnown(known);
  const get = (section: string, key: string) => sections.get(section, key);
  const field = (section: string, key: string) => sections.where(section, key);
  const list = (section: string, key: string, fallback: readonly string[]) =>
    sections.list(section, key, fallback);
  const int = (section: string, key: string, fallback: number, min: number, max: number) =>
    sections.int(section, key, fallback, min, max);
  const typeDrivers = list("ml2", "type_drivers", defaultServerConfig.typeDrivers);
  for (const t of typeDrivers) {
    if (!["flat", "vlan", "vxlan", "gre", "geneve", "local"].includes(t))
      throw new InvalidArgumentError(field("ml2", "type_drivers"), `unknown type ${t}`);
  }
  const tenantNetworkTypes = list("ml2", "tenant_network_types", defaultServerConfig.tenantNetworkTypes);
  for (const t of tenantNetworkTypes) {
    if (!typeDrivers.includes(t))
      throw new InvalidArgumentError(field("ml2", "tenant_network_types"), `${t} is not in type_drivers`);
    if (t === "flat")
      throw new InvalidArgumentError(
        field("ml2", "tenant_network_types"),
        "flat networks cannot be tenant networks",
      );
  }
  const ranges = (
    section: string,
    key: string,
    max: number,
    fallback: readonly (readonly [number, number])[],
  ) => {
    const v = get(section, key);
    if (v === undefined) return fallback;
    return v
      .split(",")
      .filter((s) => s.trim())
      .map((part) => parseRange(part.trim(), max, field(section, key)));
  };
  return {
    agentDownTime: int("DEFAULT", "agent_down_time", defaultServerConfig.agentDownTime, 5, 86_400),
    globalPhysnetMtu: int("DEFAULT", "global_physnet_mtu", defaultServerConfig.globalPhysnetMtu, 68, 65_535),
    typeDrivers,
    tenantNetworkTypes,
    flatNetworks: list("ml2_type_flat", "flat_networks", defaultServerConfig.flatNetworks),
    vlanRanges:
      get("ml2_type_vlan", "network_vlan_ranges") === undefined
        ? defaultServerConfig.vlanRanges
        : list("ml2_type_vlan", "network_vlan_ranges", []).map((entry) =>
            parseVlanRange(entry, field("ml2_type_vlan", "network_vlan_ranges")),
          ),
    vniRanges: {
      vxlan: ranges("ml2_type_vxlan", "vni_ranges", 2 ** 24 - 1, defaultServerConfig.vniRanges.vxlan),
      gre: ranges("ml2_type_gre", "tunnel_id_ranges", 2 ** 32 - 1, defaultServerConfig.vniRanges.gre),
      geneve: ranges("ml2_type_geneve", "vni_ranges", 2 ** 24 - 1, defaultServerConfig.vniRanges.geneve),
    },
    adminToken: get("weir", "admin_token") || undefined,
    agentToken: get("weir", "agent_token") || undefined,
    auth: parseAuthSettings(sections),
    policy: policyOf(sections, file),
    ignoredAuthKeys: IGNORED_KEYS.filter((k) => get("keystone_authtoken", k) !== undefined),
    defaultProjectId: get("weir", "default_project_id") ?? defaultServerConfig.defaultProjectId,
    eventRetention: int("weir", "event_retention", defaultServerConfig.eventRetention, 100, 10_000_000),
    quotaDefaults: {
      network: int("QUOTAS", "quota_network", 100, -1, 2 ** 31 - 1),
      subnet: int("QUOTAS", "quota_subnet", 100, -1, 2 ** 31 - 1),
      port: int("QUOTAS", "quota_port", 500, -1, 2 ** 31 - 1),
      security_group: int("QUOTAS", "quota_security_group", 10, -1, 2 ** 31 - 1),
      security_group_rule: int("QUOTAS", "quota_security_group_rule", 100, -1, 2 ** 31 - 1),
      rbac_policy: int("QUOTAS", "quota_rbac_policy", 10, -1, 2 ** 31 - 1),
      router: int("QUOTAS", "quota_router", 10, -1, 2 ** 31 - 1),
      floatingip: int("QUOTAS", "quota_floatingip", 50, -1, 2 ** 31 - 1),
    },
    maxAllowedAddressPairs: int("DEFAULT", "max_allowed_address_pair", 10, 0, 1000),
  };
}

function parseRange(text: string, max: number, where: string): readonly [number, number] {
  const m = /^(\d+):(\d+)$/.exec(text);
  const low = Number(m?.[1]);
  const high = Number(m?.[2]);
  if (!m || low < 1 || high > max || low > high) {
    throw new InvalidArgumentError(where, `${JSON.stringify(text)} is not a range LOW:HIGH within 1:${max}`);
  }
  return [low, high];
}

function parseVlanRange(text: string, where: string): VlanRange {
  const [physnet, ...rest] = text.split(":");
  if (!physnet || !/^[A-Za-z0-9_.-]+$/.test(physnet))
    throw new InvalidArgumentError(where, `${JSON.stringify(text)} has no physical network name`);
  if (rest.length === 0) return { physicalNetwork: physnet };
  return { physicalNetwork: physnet, range: parseRange(rest.join(":"), 4094, where) };
}

/**
 * [oslo_policy] policy_file (relative to the configuration file), read and checked now: a malformed file
 * or an unknown rule name stops the start. Only the new defaults with project scope exist here, so
 * enforce_new_defaults and enforce_scope may be given as true and nothing else.
 */
function policyOf(sections: IniSections, file: string): Policy {
  for (const key of ["enforce_scope", "enforce_new_defaults"])
    if (sections.get("oslo_policy", key) !== undefined && !sections.bool("oslo_policy", key, true))
      throw new InvalidArgumentError(
        sections.where("oslo_policy", key),
        "only true: Weir has Neutron's new defaults with project scope, not the deprecated ones",
      );
  const path = sections.get("oslo_policy", "policy_file");
  if (path === undefined || path === "") return Policy.default;
  const absolute = resolve(dirname(file), path);
  try {
    return Policy.build(readPolicyFile(absolute), absolute);
  } catch (error) {
    if (error instanceof PolicyError)
      throw new InvalidArgumentError(sections.where("oslo_policy", "policy_file"), error.message);
    throw error;
  }
}
