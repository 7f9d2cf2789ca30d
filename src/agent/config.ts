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
  readonly firewallDriver: "noop";
  readonly server: string;
  readonly token: string | undefined;
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
  const ini_ = new IniSections(ini.parse(text) as Record<string, unknown>, file);
  // Sections the agent does not know are left to the extensions, if any are named; [OVS] is a typo.
  const extending = ini_.list("agent", "extensions").length > 0;
  ini_.checkKnown(known, (section) => extending && /^[a-z][a-z0-9_-]*$/.test(section));
  const where = (section: string, key: string) => ini_.where(section, key);
  const get = (section: string, key: string) => ini_.get(section, key);
  const bool = (section: string, key: string, fallback: boolean) => ini_.bool(section, key, fallback);
  const bridge = (section: string, key: string, fallback: string) => {
    const v = get(section, key) ?? fallback;
    if (!bridgeName.test(v))
      throw new InvalidArgumentError(
        where(section, key),
        `${JSON.stringify(v)} is not a bridge or port name (1-15 of A-Z a-z 0-9 _ . -)`,
      );
    return v;
  };

  const tunnelTypes = (get("agent", "tunnel_types") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const t of tunnelTypes) {
    if (!isTunnelType(t))
      throw new InvalidArgumentError(
        where("agent", "tunnel_types"),
        `unknown tunnel type ${JSON.stringify(t)} (vxlan, gre, geneve)`,
      );
  }
  const localIp = get("ovs", "local_ip");
  if (localIp !== undefined && isIP(localIp) === 0)
    throw new InvalidArgumentError(
      where("ovs", "local_ip"),
      `${JSON.stringify(localIp)} is not an IP address`,
    );
  if (tunnelTypes.length > 0 && localIp === undefined)
    throw new InvalidArgumentError(where("ovs", "local_ip"), "is required when [agent] tunnel_types is set");

  const bridgeMappings: Record<string, string> = {};
  for (const entry of (get("ovs", "bridge_mappings") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [physnet, br, ...rest] = entry.split(":").map((part) => part.trim());
    if (!physnet || !br || rest.length > 0 || !bridgeName.test(br)) {
      throw new InvalidArgumentError(
        where("ovs", "bridge_mappings"),
        `${JSON.stringify(entry)} is not PHYSNET:BRIDGE`,
      );
    }
    if (physnet in bridgeMappings)
      throw new InvalidArgumentError(
        where("ovs", "bridge_mappings"),
        `physical network ${physnet} is mapped twice`,
      );
    if (br.length > 11)
      throw new InvalidArgumentError(
        where("ovs", "bridge_mappings"),
        `bridge name ${br} is longer than 11 characters: its patch ports int-${br} and phy-${br} would not fit OVS's 15`,
      );
    if (Object.values(bridgeMappings).includes(br))
      throw new InvalidArgumentError(where("ovs", "bridge_mappings"), `bridge ${br} is mapped twice`);
    bridgeMappings[physnet] = br;
  }

  const datapathType = get("ovs", "datapath_type") ?? "system";
  if (datapathType !== "system" && datapathType !== "netdev")
    throw new InvalidArgumentError(
      where("ovs", "datapath_type"),
      `must be system or netdev, got ${JSON.stringify(datapathType)}`,
    );
  const ovsdbConnection = get("ovs", "ovsdb_connection") ?? "unix:/var/run/openvswitch/db.sock";
  if (!/^(unix:.+|tcp:.+:\d+)$/.test(ovsdbConnection))
    throw new InvalidArgumentError(
      where("ovs", "ovsdb_connection"),
      `${JSON.stringify(ovsdbConnection)} is not unix:PATH or tcp:HOST:PORT`,
    );
  const firewall = get("securitygroup", "firewall_driver") ?? "noop";
  if (firewall !== "noop")
    throw new InvalidArgumentError(
      where("securitygroup", "firewall_driver"),
      `only noop is supported for now, got ${JSON.stringify(firewall)}`,
    );
  const server = get("weir", "server") ?? "http://127.0.0.1:9696";
  if (!/^https?:\/\/[^/]+\/?$/.test(server))
    throw new InvalidArgumentError(
      where("weir", "server"),
      `${JSON.stringify(server)} is not http(s)://HOST:PORT`,
    );
  const udp = Number(get("agent", "vxlan_udp_port") ?? "4789");
  if (!Number.isInteger(udp) || udp < 1 || udp > 65535)
    throw new InvalidArgumentError(where("agent", "vxlan_udp_port"), "must be a port number 1-65535");
  const report = Number(get("weir", "report_interval") ?? "10");
  if (!Number.isInteger(report) || report < 1 || report > 300)
    throw new InvalidArgumentError(where("weir", "report_interval"), "must be 1-300 seconds");
  const metricsListen = get("weir", "metrics_listen");
  if (metricsListen !== undefined) {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(metricsListen);
    const port = Number(m?.[2]);
    if (m === null || port < 1 || port > 65535) {
      throw new InvalidArgumentError(
        where("weir", "metrics_listen"),
        `${JSON.stringify(metricsListen)} is not HOST:PORT (port 1-65535; IPv6 as [ADDR]:PORT)`,
      );
    }
  }

  const integrationBridge = bridge("ovs", "integration_bridge", "br-int");
  const tunnelBridge = bridge("ovs", "tunnel_bridge", "br-tun");
  if (tunnelBridge === integrationBridge) {
    throw new InvalidArgumentError(
      where("ovs", "tunnel_bridge"),
      `must differ from integration_bridge (${integrationBridge})`,
    );
  }
  for (const br of Object.values(bridgeMappings)) {
    if (br === integrationBridge || br === tunnelBridge)
      throw new InvalidArgumentError(
        where("ovs", "bridge_mappings"),
        `bridge ${br} is also the integration or tunnel bridge`,
      );
  }
  const host = get("DEFAULT", "host") ?? hostname();
  if (host.length === 0 || host.length > 255)
    throw new InvalidArgumentError(where("DEFAULT", "host"), "must be 1-255 characters");
  return {
    file,
    host,
    integrationBridge,
    tunnelBridge,
    intPeerPatchPort: bridge("ovs", "int_peer_patch_port", "patch-tun"),
    tunPeerPatchPort: bridge("ovs", "tun_peer_patch_port", "patch-int"),
    localIp,
    bridgeMappings,
    datapathType,
    ovsdbConnection,
    ovsRundir: get("ovs", "ovs_rundir") ?? "/var/run/openvswitch",
    tunnelTypes: tunnelTypes.filter(isTunnelType),
    vxlanUdpPort: udp,
    l2Population: bool("agent", "l2_population", true),
    arpResponder: bool("agent", "arp_responder", false),
    dropFlowsOnStart: bool("agent", "drop_flows_on_start", false),
    firewallDriver: "noop",
    server: server.replace(/\/$/, ""),
    token: get("weir", "token") || undefined,
    metricsListen,
    reportInterval: report,
    extensions: extensionSpecs(ini_),
    otherSections: Object.fromEntries(
      ini_
        .names()
        .filter((name) => !(name in known))
        .map((name) => [name, ini_.section(name)!]),
    ),
  };
}

/** [agent] extensions: names (lower case) or module paths; a name twice is a mistake. */
function extensionSpecs(ini_: IniSections): string[] {
  const specs = ini_.list("agent", "extensions");
  const seen = new Set<string>();
  for (const spec of specs) {
    const isPath = spec.includes("/");
    if (!isPath && !FEATURE_NAME.test(spec))
      throw new InvalidArgumentError(
        ini_.where("agent", "extensions"),
        `${JSON.stringify(spec)} is neither an extension name nor a path to an extension module`,
      );
    if (isPath && !/\.(ts|js|mjs)$/.test(spec))
      throw new InvalidArgumentError(
        ini_.where("agent", "extensions"),
        `${JSON.stringify(spec)}: an extension module is a .ts, .js or .mjs file`,
      );
    if (seen.has(spec))
      throw new InvalidArgumentError(ini_.where("agent", "extensions"), `${spec} is named twice`);
    seen.add(spec);
  }
  return specs;
}
