/**
 * The cloud tempest runs against: a private Keystone (src/testbed's) and `weir server` as its own process
 * with `auth_strategy = keystone`, over SQLite, both in directories of the run directory so that the
 * testbed sweep finds their pidfiles after a crash. The network service is in Keystone's catalog at the
 * server's URL.
 */
import { join } from "node:path";
import { WeirError } from "../src/base/index.ts";
import { AGENT_TYPE_OVS, AgentRoutes, type ReportStateRequest } from "../src/protocol/index.ts";
import {
  freeLoopbackPort,
  type KeystoneProcess,
  startKeystone,
  startServerProcess,
} from "../src/testbed/index.ts";

export const SERVICE_USER = "neutron";
const SERVICE_PASSWORD = "weir-compat-neutron";
const AGENT_USER = "weir-agent";
const AGENT_PASSWORD = "weir-compat-agent";

export interface CompatCloud {
  readonly keystone: KeystoneProcess;
  /** http://127.0.0.1:PORT of weir server. */
  readonly serverUrl: string;
  readonly serverDir: string;
  /** Aliases the server advertises at GET /v2.0/extensions, sorted. */
  extensions(): Promise<string[]>;
  /** The admin's router:external network tempest's router and floating-IP tests use. */
  readonly publicNetwork: { readonly id: string; readonly name: string };
  /** Stops the server, then Keystone (each by the pid started here). */
  stop(): Promise<void>;
}

/** Neutron's keys for a server behind Keystone, as docs/AUTH.md has them. */
export function serverConfigText(keystoneUrl: string): string {
  return [
    "[DEFAULT]",
    "auth_strategy = keystone",
    "[keystone_authtoken]",
    `www_authenticate_uri = ${keystoneUrl}`,
    `auth_url = ${keystoneUrl}`,
    "auth_type = password",
    "project_domain_name = Default",
    "user_domain_name = Default",
    "project_name = service",
    `username = ${SERVICE_USER}`,
    `password = ${SERVICE_PASSWORD}`,
    "[ml2]",
    "type_drivers = flat,vlan,vxlan,gre,geneve",
    "tenant_network_types = vxlan",
    "[ml2_type_flat]",
    "flat_networks = *",
    "[ml2_type_vlan]",
    "network_vlan_ranges = physnet1:100:199",
    "[ml2_type_vxlan]",
    "vni_ranges = 1000:2999",
    "",
  ].join("\n");
}

/** Starts Keystone in `runDir/keystone` and weir server in `runDir/server`; both answer when it resolves. */
export async function startCloud(runDir: string, log: (line: string) => void): Promise<CompatCloud> {
  const keystone = await startKeystone(join(runDir, "keystone"));
  try {
    await keystone.user({
      project: "service",
      name: SERVICE_USER,
      password: SERVICE_PASSWORD,
      roles: ["admin", "service"],
    });
    const port = await freeLoopbackPort();
    const serverUrl = `http://127.0.0.1:${port}`;
    await keystone.registerService("network", "neutron", serverUrl);
    log(`keystone on ${keystone.url}, network service at ${serverUrl}`);
    const serverDir = join(runDir, "server");
    const server = await startServerProcess(serverDir, port, { config: serverConfigText(keystone.url) });
    log(`weir server (pid ${server.pid}) on ${serverUrl}`);
    await reportAgent(keystone, serverUrl);
    const publicNetwork = await makePublicNetwork(keystone, serverUrl);
    log(`public network ${publicNetwork.id} (${PUBLIC_CIDR})`);
    return {
      keystone,
      publicNetwork,
      serverUrl,
      serverDir,
      async extensions() {
        const token = await keystone.adminToken();
        const res = await fetch(`${serverUrl}/v2.0/extensions`, { headers: { "x-auth-token": token } });
        if (!res.ok)
          throw new WeirError("WEIR_COMPAT_EXTENSIONS", `GET /v2.0/extensions: HTTP ${res.status}`);
        const body = (await res.json()) as { extensions: { alias: string }[] };
        return body.extensions.map((e) => e.alias).sort();
      },
      async stop() {
        await server.stop();
        await keystone.stop();
      },
    };
  } catch (error) {
    await keystone.stop();
    throw error;
  }
}

/**
 * One OVS agent registered over the agent channel, as `weir agent` registers (a service user's token,
 * POST /agent/v1/report-state with start_flag): tempest's agent tests list, show and update an agent and
 * need one. It sends no heartbeats, so it is listed as not alive; no test here asks.
 */
async function reportAgent(keystone: KeystoneProcess, serverUrl: string): Promise<void> {
  await keystone.user({ project: "service", name: AGENT_USER, password: AGENT_PASSWORD, roles: ["service"] });
  const report: ReportStateRequest = {
    host: "compat-host-1",
    agent_type: AGENT_TYPE_OVS,
    binary: "weir-agent",
    configurations: {
      bridge_mappings: { physnet1: "br-phys" },
      tunnel_types: ["vxlan"],
      tunneling_ip: "198.18.0.1",
      integration_bridge: "br-int",
      datapath_type: "netdev",
      firewall_driver: "openvswitch",
      l2_population: true,
      arp_responder: false,
      devices: 0,
    },
    start_flag: true,
  };
  const token = await keystone.token(AGENT_USER, AGENT_PASSWORD, "service");
  const res = await fetch(`${serverUrl}${AgentRoutes.reportState}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-auth-token": token },
    body: JSON.stringify(report),
  });
  if (!res.ok)
    throw new WeirError(
      "WEIR_COMPAT_AGENT",
      `${AgentRoutes.reportState}: HTTP ${res.status} ${await res.text()}`,
    );
}

/** The external network's subnet: benchmarking space, apart from the project networks' 198.18.128.0/17. */
const PUBLIC_CIDR = "198.18.112.0/20";

/** An admin's router:external network with one subnet, as a cloud's "public" network is. */
async function makePublicNetwork(
  keystone: KeystoneProcess,
  serverUrl: string,
): Promise<{ id: string; name: string }> {
  const token = await keystone.adminToken();
  const call = async (path: string, body: object) => {
    const res = await fetch(`${serverUrl}${path}`, {
      method: "POST",
      headers: { "x-auth-token": token, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!res.ok)
      throw new WeirError("WEIR_COMPAT_PUBLIC", `POST ${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, { id: string }>;
  };
  const name = "public";
  const network = (await call("/v2.0/networks", { network: { name, "router:external": true } })).network!;
  await call("/v2.0/subnets", {
    subnet: { network_id: network.id, cidr: PUBLIC_CIDR, ip_version: 4, name: "public-subnet" },
  });
  return { id: network.id, name };
}
