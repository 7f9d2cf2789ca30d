/**
 * Agent configuration: Neutron's openvswitch_agent.ini keys ([DEFAULT] host; [ovs]; [agent];
 * [securitygroup]) so an operator can bring theirs, plus [weir] for the server. Unknown keys and bad
 * values are errors naming the file, section and key; an unknown section is one too, unless an extension
 * named in [agent] extensions claims it (extensions/load.ts checks that once they are loaded). Nothing
 * touches OVS before this passes.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { hostname } from "node:os";
import ini from "ini";
import { describeError, IniSections, InvalidArgumentError } from "../base/index.ts";
import { PASSWORD_KEYS, type PasswordCredentials, passwordCredentials } from "../keystone/index.ts";
import { FEATURE_NAME, isTunnelType, type TunnelType } from "../protocol/index.ts";

export type { TunnelType };

export interface AgentConfig {
  readonly file: string;
  readonly host: string;
  readonly integrationBridge: string;
  readonly tunnelBridge: string;
  readonly intPeerPatchPort: string;
  readonly tunPeerPatchPort: string;
  readonly localIp: string | undefined;
  /** physical network → bridge */
  readonly bridgeMappings: Readonly<Record<string, string>>;
  readonly datapathType: "system" | "netdev";
  readonly ovsdbConnection: string;
  readonly ovsRundir: string;
  readonly tunnelTypes: readonly TunnelType[];
  readonly vxlanUdpPort: number;
  readonly l2Population: boolean;
  readonly arpResponder: boolean;
  readonly dropFlowsOnStart: boolean;
  /** openvswitch: the conntrack firewall (security groups); noop: anti-spoofing only. */
  readonly firewallDriver: FirewallDriver;
  readonly server: string;
  readonly token: string | undefined;
  /** [keystone_authtoken]: the agent's Keystone service user, when the server authenticates with Keystone. */
  readonly keystone: PasswordCredentials | undefined;
  readonly metricsListen: string | undefined;
  /** Seconds between heartbeats (report_state). */
  readonly reportInterval: number;
  /** [agent] extensions as written: built-in names or paths of extension modules (Neutron's key). */
  readonly extensions: readonly string[];
  /** Sections the agent does not know, for the extensions to claim (each is an error otherwise). */
  readonly otherSections: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

const known: Record<string, readonly string[]> = {
  DEFAULT: ["host"],
  ovs: [
    "integration_bridge",
    "tunnel_bridge",
    "int_peer_patch_port",
    "tun_peer_patch_port",
    "local_ip",
    "bridge_mappings",
    "datapath_type",
    "ovsdb_connection",
    "ovs_rundir",
  ],
  agent: [
    "tunnel_types",
    "vxlan_udp_port",
    "l2_population",
    "arp_responder",
    "drop_flows_on_start",
    "extensions",
  ],
  securitygroup: ["firewall_driver"],
  weir: ["server", "token", "metrics_listen", "report_interval"],
  keystone_authtoken: PASSWORD_KEYS,
};

const bridgeName = /^[A-Za-z0-9_.-]{1,15}$/;

export function loadAgentConfig(path: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new InvalidArgumentError(path, `cannot read the configuration file: ${describeError(cause)}`);
  }
  return parseAgentConfig(text, path);
}

export function parseAgentConfig(text: string, file = "agent.ini"): AgentConfig {
  const cfg = new IniSections(ini.parse(text) as Record<string, unknown>, file);
  // Sections the agent does not know are left to the extensions, if any are named; [OVS] is a typo.
  const extending = cfg.list("agent", "extensions").length > 0;
  cfg.checkKnown(known, (section) => extending && /^[a-z][a-z0-9_-]*$/.test(section));
  const tunnels = tunnelSettings(cfg);
  const bridges = bridgeSettings(cfg);
  const host = cfg.get("DEFAULT", "host") ?? hostname();
  if (host.length === 0 || host.length > 255)
    throw new InvalidArgumentError(cfg.where("DEFAULT", "host"), "must be 1-255 characters");
  return {
    file,
    host,
    ...bridges,
    ...tunnels,
    ...ovsSettings(cfg),
    ...serverSettings(cfg),
    l2Population: cfg.bool("agent", "l2_population", true),
    arpResponder: cfg.bool("agent", "arp_responder", false),
    dropFlowsOnStart: cfg.bool("agent", "drop_flows_on_start", false),
    firewallDriver: firewallDriver(cfg),
    extensions: extensionSpecs(cfg),
    otherSections: Object.fromEntries(
      cfg
        .names()
        .filter((name) => !(name in known))
        .map((name) => [name, cfg.section(name)!]),
    ),
  };
}

/** A bridge or port name from the file (OVS's 15 characters), or the default. */
function portOrBridgeName(cfg: IniSections, section: string, key: string, fallback: string): string {
  const v = cfg.get(section, key) ?? fallback;
  if (!bridgeName.test(v))
    throw new InvalidArgumentError(
      cfg.where(section, key),
      `${JSON.stringify(v)} is not a bridge or port name (1-15 of A-Z a-z 0-9 _ . -)`,
    );
  return v;
}

/** [agent] tunnel_types, vxlan_udp_port and [ovs] local_ip, which tunnels need. */
function tunnelSettings(cfg: IniSections) {
  const tunnelTypes = (cfg.get("agent", "tunnel_types") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const t of tunnelTypes) {
    if (!isTunnelType(t))
      throw new InvalidArgumentError(
        cfg.where("agent", "tunnel_types"),
        `unknown tunnel type ${JSON.stringify(t)} (vxlan, gre, geneve)`,
      );
  }
  const localIp = cfg.get("ovs", "local_ip");
  if (localIp !== undefined && isIP(localIp) === 0)
    throw new InvalidArgumentError(
      cfg.where("ovs", "local_ip"),
      `${JSON.stringify(localIp)} is not an IP address`,
    );
  if (tunnelTypes.length > 0 && localIp === undefined)
    throw new InvalidArgumentError(
      cfg.where("ovs", "local_ip"),
      "is required when [agent] tunnel_types is set",
    );
  const udp = Number(cfg.get("agent", "vxlan_udp_port") ?? "4789");
  if (!Number.isInteger(udp) || udp < 1 || udp > 65535)
    throw new InvalidArgumentError(cfg.where("agent", "vxlan_udp_port"), "must be a port number 1-65535");
  return { tunnelTypes: tunnelTypes.filter(isTunnelType), localIp, vxlanUdpPort: udp };
}

/** br-int, br-tun, their patch ports and the physical bridges of bridge_mappings: all different. */
function bridgeSettings(cfg: IniSections) {
  const integrationBridge = portOrBridgeName(cfg, "ovs", "integration_bridge", "br-int");
  const tunnelBridge = portOrBridgeName(cfg, "ovs", "tunnel_bridge", "br-tun");
  if (tunnelBridge === integrationBridge)
    throw new InvalidArgumentError(
      cfg.where("ovs", "tunnel_bridge"),
      `must differ from integration_bridge (${integrationBridge})`,
    );
  const bridgeMappings = bridgeMappingsOf(cfg);
  for (const br of Object.values(bridgeMappings)) {
    if (br === integrationBridge || br === tunnelBridge)
      throw new InvalidArgumentError(
        cfg.where("ovs", "bridge_mappings"),
        `bridge ${br} is also the integration or tunnel bridge`,
      );
  }
  return {
    integrationBridge,
    tunnelBridge,
    intPeerPatchPort: portOrBridgeName(cfg, "ovs", "int_peer_patch_port", "patch-tun"),
    tunPeerPatchPort: portOrBridgeName(cfg, "ovs", "tun_peer_patch_port", "patch-int"),
    bridgeMappings,
  };
}

/** [ovs] bridge_mappings: PHYSNET:BRIDGE, each physical network and bridge once. */
function bridgeMappingsOf(cfg: IniSections): Record<string, string> {
  const where = cfg.where("ovs", "bridge_mappings");
  const bridgeMappings: Record<string, string> = {};
  for (const entry of (cfg.get("ovs", "bridge_mappings") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [physnet, br, ...rest] = entry.split(":").map((part) => part.trim());
    if (!physnet || !br || rest.length > 0 || !bridgeName.test(br))
      throw new InvalidArgumentError(where, `${JSON.stringify(entry)} is not PHYSNET:BRIDGE`);
    if (physnet in bridgeMappings)
      throw new InvalidArgumentError(where, `physical network ${physnet} is mapped twice`);
    if (br.length > 11)
      throw new InvalidArgumentError(
        where,
        `bridge name ${br} is longer than 11 characters: its patch ports int-${br} and phy-${br} would not fit OVS's 15`,
      );
    if (Object.values(bridgeMappings).includes(br))
      throw new InvalidArgumentError(where, `bridge ${br} is mapped twice`);
    bridgeMappings[physnet] = br;
  }
  return bridgeMappings;
}

/** How to reach Open vSwitch, and which datapath its bridges get. */
function ovsSettings(cfg: IniSections) {
  const datapathType = cfg.get("ovs", "datapath_type") ?? "system";
  if (datapathType !== "system" && datapathType !== "netdev")
    throw new InvalidArgumentError(
      cfg.where("ovs", "datapath_type"),
      `must be system or netdev, got ${JSON.stringify(datapathType)}`,
    );
  const ovsdbConnection = cfg.get("ovs", "ovsdb_connection") ?? "unix:/var/run/openvswitch/db.sock";
  if (!/^(unix:.+|tcp:.+:\d+)$/.test(ovsdbConnection))
    throw new InvalidArgumentError(
      cfg.where("ovs", "ovsdb_connection"),
      `${JSON.stringify(ovsdbConnection)} is not unix:PATH or tcp:HOST:PORT`,
    );
  return {
    datapathType,
    ovsdbConnection,
    ovsRundir: cfg.get("ovs", "ovs_rundir") ?? "/var/run/openvswitch",
  } as const;
}

export type FirewallDriver = "openvswitch" | "noop";

/**
 * [securitygroup] firewall_driver: openvswitch (the default: security groups are enforced) or noop
 * (anti-spoofing only). iptables_hybrid needs a Linux bridge per port, which Weir does not plug.
 */
function firewallDriver(cfg: IniSections): FirewallDriver {
  const firewall = cfg.get("securitygroup", "firewall_driver") ?? "openvswitch";
  if (firewall === "openvswitch" || firewall === "noop") return firewall;
  const hint =
    firewall === "iptables_hybrid"
      ? "iptables_hybrid is not supported (Weir plugs no per-port Linux bridge); use openvswitch"
      : `must be openvswitch or noop, got ${JSON.stringify(firewall)}`;
  throw new InvalidArgumentError(cfg.where("securitygroup", "firewall_driver"), hint);
}

/** [weir]: the server, its token, how often to report, where /metrics listens. */
function serverSettings(cfg: IniSections) {
  const server = cfg.get("weir", "server") ?? "http://127.0.0.1:9696";
  if (!/^https?:\/\/[^/]+\/?$/.test(server))
    throw new InvalidArgumentError(
      cfg.where("weir", "server"),
      `${JSON.stringify(server)} is not http(s)://HOST:PORT`,
    );
  const report = Number(cfg.get("weir", "report_interval") ?? "10");
  if (!Number.isInteger(report) || report < 1 || report > 300)
    throw new InvalidArgumentError(cfg.where("weir", "report_interval"), "must be 1-300 seconds");
  const metricsListen = cfg.get("weir", "metrics_listen");
  if (metricsListen !== undefined) {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(metricsListen);
    const port = Number(m?.[2]);
    if (m === null || port < 1 || port > 65535)
      throw new InvalidArgumentError(
        cfg.where("weir", "metrics_listen"),
        `${JSON.stringify(metricsListen)} is not HOST:PORT (port 1-65535; IPv6 as [ADDR]:PORT)`,
      );
  }
  const token = cfg.get("weir", "token") || undefined;
  const keystone = keystoneSettings(cfg);
  if (token !== undefined && keystone !== undefined)
    throw new InvalidArgumentError(
      cfg.where("weir", "token"),
      "give either a static token or [keystone_authtoken] credentials, not both",
    );
  return {
    server: server.replace(/\/$/, ""),
    token,
    keystone,
    metricsListen,
    reportInterval: report,
  };
}

/** [agent] extensions: names (lower case) or module paths; a name twice is a mistake. */
function extensionSpecs(cfg: IniSections): string[] {
  const specs = cfg.list("agent", "extensions");
  const seen = new Set<string>();
  for (const spec of specs) {
    const isPath = spec.includes("/");
    if (!isPath && !FEATURE_NAME.test(spec))
      throw new InvalidArgumentError(
        cfg.where("agent", "extensions"),
        `${JSON.stringify(spec)} is neither an extension name nor a path to an extension module`,
      );
    if (isPath && !/\.(ts|js|mjs)$/.test(spec))
      throw new InvalidArgumentError(
        cfg.where("agent", "extensions"),
        `${JSON.stringify(spec)}: an extension module is a .ts, .js or .mjs file`,
      );
    if (seen.has(spec))
      throw new InvalidArgumentError(cfg.where("agent", "extensions"), `${spec} is named twice`);
    seen.add(spec);
  }
  return specs;
}

/** [keystone_authtoken]: a service user's password credentials (auth_url set means Keystone is used). */
function keystoneSettings(cfg: IniSections): PasswordCredentials | undefined {
  if (cfg.get("keystone_authtoken", "auth_url") === undefined) {
    const stray = ["username", "password", "project_name"].find(
      (k) => cfg.get("keystone_authtoken", k) !== undefined,
    );
    if (stray !== undefined)
      throw new InvalidArgumentError(cfg.where("keystone_authtoken", stray), "needs auth_url as well");
    return undefined;
  }
  return passwordCredentials(cfg, "keystone_authtoken", "with auth_url");
}
