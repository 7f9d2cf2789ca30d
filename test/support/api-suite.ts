// The API test suite, run against each storage backend (server-api-*.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AgentConfigurations } from "../../src/protocol/index.ts";
import { type Backend, startServer, type TestServer } from "./server.ts";
import { openSse } from "./sse.ts";

export const agentConfig = (overrides: Partial<AgentConfigurations> = {}): AgentConfigurations => ({
  bridge_mappings: { physnet1: "br-phys" },
  tunnel_types: ["vxlan"],
  tunneling_ip: "198.18.0.1",
  integration_bridge: "br-int",
  datapath_type: "netdev",
  firewall_driver: "noop",
  l2_population: true,
  arp_responder: false,
  devices: 0,
  ...overrides,
});

/** A first report_state of an agent on `host`. */
export const agentReport = (host: string, config = agentConfig()) => ({
  host,
  agent_type: "Open vSwitch agent" as const,
  binary: "weir-agent",
  configurations: config,
  start_flag: true,
});

export async function registerAgent(s: TestServer, host: string, config = agentConfig()) {
  const r = await s.api("POST", "/agent/v1/report-state", agentReport(host, config));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

export async function network(s: TestServer, body: object = {}) {
  const r = await s.api("POST", "/v2.0/networks", { network: { name: "net", ...body } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.network;
}

export async function subnet(s: TestServer, networkId: string, cidr: string, extra: object = {}) {
  const r = await s.api("POST", "/v2.0/subnets", { subnet: { network_id: networkId, cidr, ...extra } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.subnet;
}

export async function port(s: TestServer, networkId: string, extra: object = {}) {
  const r = await s.api("POST", "/v2.0/ports", { port: { network_id: networkId, ...extra } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.port;
}

export function neutronError(
  r: { status: number; body: any },
  status: number,
  type: string,
  message?: RegExp,
) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.NeutronError.type, type, JSON.stringify(r.body));
  if (message) assert.match(r.body.NeutronError.message, message);
  assert.equal(typeof r.body.NeutronError.detail, "string");
}

export function defineApiSuite(backend: Backend): void {
  const b = backend.kind;

  test(`[${b}] version discovery answers as Neutron does`, async (t) => {
    const s = await startServer(t, backend);
    const root = await s.api("GET", "/");
    assert.equal(root.body.versions[0].id, "v2.0");
    assert.equal(root.body.versions[0].status, "CURRENT");
    const v2 = await s.api("GET", "/v2.0/");
    assert.deepEqual(v2.body.resources.map((r: any) => r.collection).sort(), [
      "agents",
      "networks",
      "ports",
      "subnets",
    ]);
    const ext = await s.api("GET", "/v2.0/extensions");
    assert.ok(ext.body.extensions.some((e: any) => e.alias === "binding"));
    neutronError(await s.api("GET", "/v2.0/nothing"), 404, "HTTPNotFound");
    neutronError(await s.api("PATCH", "/v2.0/networks"), 405, "HTTPMethodNotAllowed");
  });

  test(`[${b}] networks: CRUD, tenant segments from the ranges, provider attributes, errors`, async (t) => {
    const s = await startServer(t, backend);
    const a = await network(s);
    const c = await network(s);
    assert.deepEqual(
      [a["provider:network_type"], a["provider:segmentation_id"], a.mtu],
      ["vxlan", 1000, 1450],
    );
    assert.equal(c["provider:segmentation_id"], 1001);
    const vlan = await network(s, {
      "provider:network_type": "vlan",
      "provider:physical_network": "physnet1",
    });
    assert.deepEqual([vlan["provider:segmentation_id"], vlan.mtu], [100, 1500]);
    const explicit = await network(s, {
      "provider:network_type": "vlan",
      "provider:physical_network": "physnet1",
      "provider:segmentation_id": 150,
    });
    assert.equal(explicit["provider:segmentation_id"], 150);
    neutronError(
      await s.api("POST", "/v2.0/networks", {
        network: {
          "provider:network_type": "vlan",
          "provider:physical_network": "physnet1",
          "provider:segmentation_id": 150,
        },
      }),
      409,
      "VlanIdInUse",
    );
    const flat = await network(s, {
      "provider:network_type": "flat",
      "provider:physical_network": "physnet2",
    });
    assert.equal(flat["provider:segmentation_id"], null);
    neutronError(
      await s.api("POST", "/v2.0/networks", {
        network: { "provider:network_type": "flat", "provider:physical_network": "physnet2" },
      }),
      409,
      "FlatNetworkInUse",
    );
    neutronError(
      await s.api("POST", "/v2.0/networks", {
        network: { "provider:network_type": "vlan", "provider:physical_network": "nope" },
      }),
      400,
      "InvalidInput",
      /physical_network 'nope' unknown/,
    );
    neutronError(
      await s.api("POST", "/v2.0/networks", {
        network: { "provider:network_type": "vxlan", "provider:segmentation_id": 2 ** 24 },
      }),
      400,
      "InvalidInput",
      /out of range/,
    );
    neutronError(
      await s.api("POST", "/v2.0/networks", { network: { name: "x", color: "red" } }),
      400,
      "HTTPBadRequest",
      /Unrecognized attribute\(s\) 'color'/,
    );
    neutronError(
      await s.api("POST", "/v2.0/networks", { network: { admin_state_up: "yes" } }),
      400,
      "HTTPBadRequest",
      /admin_state_up/,
    );
    neutronError(await s.api("POST", "/v2.0/networks", "{not json"), 400, "HTTPBadRequest", /Malformed/);
    neutronError(
      await s.api("POST", "/v2.0/networks", { net: {} }),
      400,
      "HTTPBadRequest",
      /Resource body required/,
    );
    neutronError(
      await s.api("GET", "/v2.0/networks/00000000-0000-0000-0000-000000000000"),
      404,
      "NetworkNotFound",
    );

    const renamed = await s.api("PUT", `/v2.0/networks/${a.id}`, {
      network: { name: "renamed", admin_state_up: false },
    });
    assert.equal(renamed.status, 200);
    assert.deepEqual(
      [renamed.body.network.name, renamed.body.network.admin_state_up, renamed.body.network.revision_number],
      ["renamed", false, 2],
    );
    neutronError(
      await s.api("PUT", `/v2.0/networks/${a.id}`, { network: { "provider:segmentation_id": 7 } }),
      400,
      "InvalidInput",
      /provider attributes/,
    );
    // Deleting frees the segment: the next tenant network gets it back.
    assert.equal((await s.api("DELETE", `/v2.0/networks/${a.id}`)).status, 204);
    neutronError(await s.api("DELETE", `/v2.0/networks/${a.id}`), 404, "NetworkNotFound");
    assert.equal((await network(s))["provider:segmentation_id"], 1000);
  });

  test(`[${b}] tenant segments run out with a clear 503, and a range of one is exhausted correctly`, async (t) => {
    const s = await startServer(t, backend, {
      config: { vniRanges: { vxlan: [[5, 6]], gre: [], geneve: [] } },
    });
    assert.equal((await network(s))["provider:segmentation_id"], 5);
    assert.equal((await network(s))["provider:segmentation_id"], 6);
    neutronError(await s.api("POST", "/v2.0/networks", { network: {} }), 503, "NoNetworkAvailable");
  });

  test(`[${b}] subnets: IPv4 and IPv6 defaults, pools, overlaps, gateway checks, in-use delete`, async (t) => {
    const s = await startServer(t, backend);
    const n = await network(s);
    const v4 = await subnet(s, n.id, "198.19.10.0/24", { name: "v4" });
    assert.deepEqual(
      [v4.ip_version, v4.gateway_ip, v4.allocation_pools],
      [4, "198.19.10.1", [{ start: "198.19.10.2", end: "198.19.10.254" }]],
    );
    const v6 = await subnet(s, n.id, "2001:db8:1::/64", { enable_dhcp: false });
    assert.deepEqual([v6.ip_version, v6.gateway_ip, v6.enable_dhcp], [6, "2001:db8:1::1", false]);
    // RFC 5952: a single zero group is not compressed.
    assert.deepEqual(v6.allocation_pools, [
      { start: "2001:db8:1::2", end: "2001:db8:1:0:ffff:ffff:ffff:ffff" },
    ]);
    neutronError(
      await s.api("POST", "/v2.0/subnets", { subnet: { network_id: n.id, cidr: "198.19.10.128/25" } }),
      400,
      "InvalidInput",
      /overlaps with another subnet/,
    );
    neutronError(
      await s.api("POST", "/v2.0/subnets", { subnet: { network_id: n.id, cidr: "198.19.11.5/24" } }),
      400,
      "InvalidInput",
      /198\.19\.11\.0\/24' is recommended/,
    );
    neutronError(
      await s.api("POST", "/v2.0/subnets", {
        subnet: { network_id: n.id, cidr: "198.19.12.0/24", gateway_ip: "198.19.13.1" },
      }),
      400,
      "InvalidInput",
      /not in subnet/,
    );
    neutronError(
      await s.api("POST", "/v2.0/subnets", {
        subnet: {
          network_id: n.id,
          cidr: "198.19.12.0/24",
          allocation_pools: [{ start: "198.19.12.1", end: "198.19.12.9" }],
        },
      }),
      400,
      "InvalidInput",
      /conflicts with allocation pool/,
    );
    neutronError(
      await s.api("POST", "/v2.0/subnets", {
        subnet: { network_id: n.id, cidr: "198.19.12.0/24", ip_version: 6 },
      }),
      400,
      "InvalidInput",
      /does not match ip_version/,
    );
    const pooled = await subnet(s, (await network(s)).id, "198.19.20.0/24", {
      gateway_ip: null,
      allocation_pools: [{ start: "198.19.20.10", end: "198.19.20.11" }],
    });
    assert.equal(pooled.gateway_ip, null);
    const p = await port(s, n.id);
    neutronError(await s.api("DELETE", `/v2.0/subnets/${v4.id}`), 409, "SubnetInUse");
    await s.api("DELETE", `/v2.0/ports/${p.id}`);
    assert.equal((await s.api("DELETE", `/v2.0/subnets/${v4.id}`)).status, 204);
    const shown = await s.api("GET", `/v2.0/networks/${n.id}`);
    assert.deepEqual(shown.body.network.subnets, [v6.id]);
  });

  test(`[${b}] ports: MACs and IPs allocated and unique, requested ones validated, exhaustion, updates free and take`, async (t) => {
    const s = await startServer(t, backend);
    const n = await network(s);
    const sub = await subnet(s, n.id, "198.19.30.0/29"); // pool .2-.6: five addresses
    const p1 = await port(s, n.id);
    assert.match(p1.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    assert.deepEqual(p1.fixed_ips, [{ subnet_id: sub.id, ip_address: "198.19.30.2" }]);
    assert.deepEqual([p1.status, p1["binding:vif_type"], p1["binding:host_id"]], ["DOWN", "unbound", ""]);
    const p2 = await port(s, n.id, {
      mac_address: "FA:16:3E:AA:BB:CC",
      fixed_ips: [{ ip_address: "198.19.30.5" }],
    });
    assert.equal(p2.mac_address, "fa:16:3e:aa:bb:cc");
    neutronError(
      await s.api("POST", "/v2.0/ports", { port: { network_id: n.id, mac_address: "fa:16:3e:aa:bb:cc" } }),
      409,
      "MacAddressInUse",
    );
    neutronError(
      await s.api("POST", "/v2.0/ports", {
        port: { network_id: n.id, fixed_ips: [{ ip_address: "198.19.30.5" }] },
      }),
      409,
      "IpAddressAlreadyAllocated",
    );
    neutronError(
      await s.api("POST", "/v2.0/ports", {
        port: { network_id: n.id, fixed_ips: [{ subnet_id: sub.id, ip_address: "198.19.31.5" }] },
      }),
      400,
      "InvalidIpForSubnet",
    );
    neutronError(
      await s.api("POST", "/v2.0/ports", { port: { network_id: n.id, mac_address: "01:00:5e:00:00:01" } }),
      400,
      "InvalidInput",
    );
    neutronError(
      await s.api("POST", "/v2.0/ports", { port: { network_id: "00000000-0000-0000-0000-000000000000" } }),
      404,
      "NetworkNotFound",
    );
    await port(s, n.id); // .3
    await port(s, n.id); // .4
    await port(s, n.id); // .6
    neutronError(
      await s.api("POST", "/v2.0/ports", { port: { network_id: n.id } }),
      409,
      "IpAddressGenerationFailure",
    );
    // Moving p1 to a requested address frees .2 for the next port.
    const moved = await s.api("PUT", `/v2.0/ports/${p1.id}`, {
      port: { fixed_ips: [{ ip_address: "198.19.30.2" }], name: "kept" },
    });
    assert.equal(moved.body.port.fixed_ips[0].ip_address, "198.19.30.2");
    assert.equal((await s.api("DELETE", `/v2.0/ports/${p1.id}`)).status, 204);
    assert.equal((await port(s, n.id)).fixed_ips[0].ip_address, "198.19.30.2");
    neutronError(await s.api("DELETE", `/v2.0/networks/${n.id}`), 409, "NetworkInUse");
  });

  test(`[${b}] binding: bound only where a live agent reaches the segment, with complete vif_details`, async (t) => {
    let now = new Date("2026-11-24T12:00:00Z");
    const s = await startServer(t, backend, {
      now: () => now,
      config: {
        vlanRanges: [{ physicalNetwork: "physnet1", range: [100, 199] }, { physicalNetwork: "physnet9" }],
      },
    });
    const vxlan = await network(s);
    const vlan = await network(s, {
      "provider:network_type": "vlan",
      "provider:physical_network": "physnet1",
    });
    const other = await network(s, {
      "provider:network_type": "vlan",
      "provider:physical_network": "physnet9",
      "provider:segmentation_id": 9,
    });
    await subnet(s, vxlan.id, "198.19.40.0/24");
    // No agent on h1 yet.
    const early = await port(s, vxlan.id, { "binding:host_id": "h1" });
    assert.deepEqual([early["binding:vif_type"], early["binding:vif_details"]], ["binding_failed", {}]);
    await registerAgent(
      s,
      "h1",
      agentConfig({ firewall_driver: "iptables_hybrid", datapath_type: "system" }),
    );
    const rebound = (await s.api("GET", `/v2.0/ports/${early.id}`)).body.port;
    assert.equal(rebound["binding:vif_type"], "ovs", "a failed binding is retried when the agent appears");
    assert.deepEqual(rebound["binding:vif_details"], {
      port_filter: true,
      ovs_hybrid_plug: true,
      datapath_type: "system",
      bridge_name: "br-int",
      connectivity: "l2",
    });
    const onVlan = await port(s, vlan.id, { "binding:host_id": "h1" });
    assert.equal(onVlan["binding:vif_type"], "ovs");
    const unmapped = await port(s, other.id, { "binding:host_id": "h1" });
    assert.equal(unmapped["binding:vif_type"], "binding_failed");
    const direct = await port(s, vlan.id, { "binding:host_id": "h1", "binding:vnic_type": "direct" });
    assert.equal(direct["binding:vif_type"], "binding_failed");
    // Every bound port has all four vif_details keys (shared/seeds/001).
    const all = (await s.api("GET", "/v2.0/ports")).body.ports;
    for (const p of all.filter((x: any) => x["binding:vif_type"] === "ovs")) {
      for (const key of ["port_filter", "ovs_hybrid_plug", "datapath_type", "bridge_name"])
        assert.ok(key in p["binding:vif_details"], key);
    }
    // The agent goes quiet for longer than agent_down_time: new bindings fail, the list says not alive.
    now = new Date(now.getTime() + 76_000);
    const late = await port(s, vlan.id, { "binding:host_id": "h1" });
    assert.equal(late["binding:vif_type"], "binding_failed");
    const agents = (await s.api("GET", "/v2.0/agents")).body.agents;
    assert.deepEqual(
      agents.map((a: any) => [a.host, a.agent_type, a.alive, a.configurations.tunneling_ip]),
      [["h1", "Open vSwitch agent", false, "198.18.0.1"]],
    );
    // Dead agents may be deleted; live ones may not.
    await registerAgent(s, "h2");
    const h2 = (await s.api("GET", "/v2.0/agents?host=h2")).body.agents[0];
    neutronError(await s.api("DELETE", `/v2.0/agents/${h2.id}`), 409, "AgentInUse");
    assert.equal((await s.api("DELETE", `/v2.0/agents/${agents[0].id}`)).status, 204);
    const disabled = await s.api("PUT", `/v2.0/agents/${h2.id}`, { agent: { admin_state_up: false } });
    assert.equal(disabled.body.agent.admin_state_up, false);
  });

  test(`[${b}] filters, fields and pagination behave as Neutron's`, async (t) => {
    const s = await startServer(t, backend);
    const n = await network(s, { name: "alpha" });
    await network(s, { name: "beta" });
    await subnet(s, n.id, "198.19.50.0/24");
    const ports = [];
    for (let i = 0; i < 7; i++)
      ports.push(await port(s, n.id, { device_id: i < 3 ? "vm-a" : "vm-b", name: `p${i}` }));
    assert.deepEqual(
      (await s.api("GET", "/v2.0/networks?name=alpha")).body.networks.map((x: any) => x.name),
      ["alpha"],
    );
    assert.equal((await s.api("GET", "/v2.0/ports?device_id=vm-a")).body.ports.length, 3);
    assert.equal((await s.api("GET", "/v2.0/ports?name=p1&name=p2")).body.ports.length, 2);
    assert.equal((await s.api("GET", `/v2.0/ports?network_id=${n.id}&device_id=vm-b`)).body.ports.length, 4);
    const ip = ports[4].fixed_ips[0].ip_address;
    assert.deepEqual(
      (await s.api("GET", `/v2.0/ports?fixed_ips=ip_address%3D${ip}`)).body.ports.map((p: any) => p.id),
      [ports[4].id],
    );
    const fields = (await s.api("GET", "/v2.0/ports?fields=id&fields=mac_address&device_id=vm-a")).body.ports;
    assert.deepEqual(Object.keys(fields[0]).sort(), ["id", "mac_address"]);
    const seen: string[] = [];
    let url = "/v2.0/ports?limit=3";
    for (let pages = 0; pages < 5 && url; pages++) {
      const page = await s.api("GET", url);
      seen.push(...page.body.ports.map((p: any) => p.id));
      const next = page.body.ports_links?.find((l: any) => l.rel === "next")?.href;
      url = next ? next.slice(next.indexOf("/v2.0")) : "";
    }
    assert.deepEqual(seen, ports.map((p) => p.id).sort(), "every port exactly once, in id order");
    assert.equal((await s.api("GET", "/v2.0/ports?binding:host_id=")).body.ports.length, 7);
    // Backwards from the end with page_reverse, as Neutron pages: each page in order, previous links.
    const back: string[][] = [];
    url = "/v2.0/ports?limit=3&page_reverse=True";
    for (let pages = 0; pages < 5 && url; pages++) {
      const page = await s.api("GET", url);
      if (page.body.ports.length > 0) back.unshift(page.body.ports.map((p: any) => p.id));
      const previous = page.body.ports_links?.find((l: any) => l.rel === "previous")?.href;
      url = page.body.ports.length < 3 ? "" : previous ? previous.slice(previous.indexOf("/v2.0")) : "";
    }
    assert.deepEqual(back.flat(), ports.map((p) => p.id).sort(), "the same ports, read backwards by pages");
    const first = await s.api("GET", "/v2.0/ports?limit=3");
    assert.deepEqual(
      first.body.ports_links.map((l: any) => l.rel),
      ["next", "previous"],
      "a full page read forward has both links, as Neutron's",
    );
    const last = await s.api("GET", `/v2.0/ports?limit=3&marker=${seen[5]}`);
    assert.deepEqual(
      last.body.ports_links.map((l: any) => l.rel),
      ["previous"],
      "the last, short page",
    );
    // A marker the caller cannot place (unknown, or not among what it may see) is refused, not skipped.
    neutronError(
      await s.api("GET", "/v2.0/ports?limit=2&marker=00000000-0000-4000-8000-000000000000"),
      400,
      "BadRequest",
    );
    // Sorting by several keys; mismatched or unknown keys and directions are refused.
    const sorted = (
      await s.api("GET", "/v2.0/ports?sort_key=device_id&sort_dir=desc&sort_key=name&sort_dir=asc")
    ).body.ports.map((p: any) => p.name);
    assert.deepEqual(sorted, ["p3", "p4", "p5", "p6", "p0", "p1", "p2"]);
    neutronError(await s.api("GET", "/v2.0/ports?sort_key=name&sort_key=id&sort_dir=asc"), 400, "BadRequest");
    neutronError(await s.api("GET", "/v2.0/ports?sort_key=colour&sort_dir=asc"), 400, "BadRequest");
    neutronError(await s.api("GET", "/v2.0/ports?sort_key=name&sort_dir=up"), 400, "BadRequest");
    neutronError(await s.api("GET", "/v2.0/ports?limit=-1"), 400, "BadRequest");
    const aliases = (await s.api("GET", "/v2.0/extensions")).body.extensions.map((e: any) => e.alias);
    assert.ok(aliases.includes("pagination") && aliases.includes("sorting"));
  });

  test(`[${b}] tokens: no token 401, an agent token only on the agent channel, the admin token everywhere`, async (t) => {
    const s = await startServer(t, backend, {
      noauth: false,
      config: { adminToken: "admin-secret", agentToken: "agent-secret" },
    });
    assert.equal((await s.api("GET", "/")).status, 200, "version discovery is public");
    assert.equal((await s.api("GET", "/v2.0/networks")).status, 401);
    assert.equal((await s.api("POST", "/v2.0/networks", { network: {} }, "wrong")).status, 401);
    neutronError(
      await s.api("POST", "/v2.0/networks", { network: {} }, "agent-secret"),
      403,
      "PolicyNotAuthorized",
    );
    assert.equal((await s.api("POST", "/v2.0/networks", { network: {} }, "admin-secret")).status, 201);
    const report = agentReport("h1");
    assert.equal((await s.api("POST", "/agent/v1/report-state", report)).status, 401);
    assert.equal((await s.api("POST", "/agent/v1/report-state", report, "agent-secret")).status, 200);
  });

  test(`[${b}] If-Match: revision_number=N: a stale update or delete is 412 and changes nothing; subnets revise their network`, async (t) => {
    const s = await startServer(t, backend);
    const n = await network(s, { name: "rev" });
    const ifMatch = async (method: string, path: string, revision: number | string, body?: unknown) => {
      const response = await fetch(`${s.url}${path}`, {
        method,
        headers: { "content-type": "application/json", "if-match": `revision_number=${revision}` },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
    };
    const r1 = n.revision_number as number;
    await subnet(s, n.id, "198.19.70.0/24");
    const r2 = (await s.api("GET", `/v2.0/networks/${n.id}`)).body.network.revision_number;
    assert.equal(r2, r1 + 1, "a new subnet is a new revision of its network");
    const stale = await ifMatch("PUT", `/v2.0/networks/${n.id}`, r1, { network: { name: "stale" } });
    neutronError(stale, 412, "RevisionNumberConstraintFailed");
    assert.equal(stale.body.NeutronError.message, `Constrained to ${r1}, but current revision is ${r2}`);
    assert.equal((await s.api("GET", `/v2.0/networks/${n.id}`)).body.network.name, "rev", "nothing changed");
    const fresh = await ifMatch("PUT", `/v2.0/networks/${n.id}`, r2, { network: { name: "fresh" } });
    assert.equal(fresh.status, 200);
    assert.equal(fresh.body.network.revision_number, r2 + 1);
    const port = (await s.api("POST", "/v2.0/ports", { port: { network_id: n.id } })).body.port;
    neutronError(
      await ifMatch("DELETE", `/v2.0/ports/${port.id}`, port.revision_number + 5),
      412,
      "RevisionNumberConstraintFailed",
    );
    assert.equal((await s.api("GET", `/v2.0/ports/${port.id}`)).status, 200, "the port is still there");
    assert.equal((await ifMatch("DELETE", `/v2.0/ports/${port.id}`, port.revision_number)).status, 204);
    neutronError(await ifMatch("PUT", `/v2.0/networks/${n.id}`, "x", { network: {} }), 400, "BadRequest");
    neutronError(
      await ifMatch("PUT", `/v2.0/networks/${crypto.randomUUID()}`, 1, { network: {} }),
      404,
      "NetworkNotFound",
    );
    const mismatch = await s.api("POST", "/v2.0/networks", {
      network: {
        project_id: "11111111111111111111111111111111",
        tenant_id: "22222222222222222222222222222222",
      },
    });
    neutronError(mismatch, 400, "HTTPBadRequest", /'project_id' and 'tenant_id' do not match/);
    const extensions = (await s.api("GET", "/v2.0/extensions")).body.extensions.map(
      (e: { alias: string }) => e.alias,
    );
    assert.ok(extensions.includes("revision-if-match"));
  });

  test(`[${b}] bulk create of networks, subnets and ports: one answer per item, all or nothing`, async (t) => {
    const s = await startServer(t, backend);
    const made = await s.api("POST", "/v2.0/networks", {
      networks: [{ name: "bulk-a" }, { name: "bulk-b" }],
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.deepEqual(
      made.body.networks.map((n: { name: string }) => n.name),
      ["bulk-a", "bulk-b"],
    );
    const [a, bNet] = made.body.networks as { id: string }[];
    const subnets = await s.api("POST", "/v2.0/subnets", {
      subnets: [
        { network_id: a!.id, cidr: "198.19.80.0/24", ip_version: 4 },
        { network_id: bNet!.id, cidr: "198.19.81.0/24", ip_version: 4 },
      ],
    });
    assert.equal(subnets.status, 201, JSON.stringify(subnets.body));
    assert.equal(subnets.body.subnets.length, 2);
    const ports = await s.api("POST", "/v2.0/ports", {
      ports: [{ network_id: a!.id }, { network_id: a!.id }],
    });
    assert.equal(ports.status, 201);
    const ips = ports.body.ports.map(
      (p: { fixed_ips: { ip_address: string }[] }) => p.fixed_ips[0]!.ip_address,
    );
    assert.equal(new Set(ips).size, 2, "distinct addresses within one bulk request");
    // The second item is bad: nothing of the first is kept.
    const before = (await s.api("GET", "/v2.0/networks")).body.networks.length;
    const refused = await s.api("POST", "/v2.0/networks", { networks: [{ name: "kept?" }, { mtu: 10 }] });
    assert.equal(refused.status, 400);
    assert.equal((await s.api("GET", "/v2.0/networks")).body.networks.length, before, "all or nothing");
    const overlap = await s.api("POST", "/v2.0/subnets", {
      subnets: [
        { network_id: a!.id, cidr: "198.19.82.0/24", ip_version: 4 },
        { network_id: a!.id, cidr: "198.19.82.0/25", ip_version: 4 },
      ],
    });
    assert.equal(overlap.status, 400, "a failure while writing rolls back the items before it");
    const cidrs = (await s.api("GET", `/v2.0/subnets?network_id=${a!.id}`)).body.subnets.map(
      (x: { cidr: string }) => x.cidr,
    );
    assert.deepEqual(cidrs, ["198.19.80.0/24"]);
    neutronError(await s.api("POST", "/v2.0/networks", { networks: [] }), 400, "HTTPBadRequest");
    // Items may come wrapped as {"<resource>": {...}} (Neutron's prepare_request_body takes both; tempest
    // sends them so); ip_version as a string, as some clients send it.
    const wrapped = await s.api("POST", "/v2.0/networks", {
      networks: [{ network: { name: "wrapped-a" } }, { network: { name: "wrapped-b" } }],
    });
    assert.equal(wrapped.status, 201, JSON.stringify(wrapped.body));
    assert.deepEqual(
      wrapped.body.networks.map((n: any) => n.name),
      ["wrapped-a", "wrapped-b"],
    );
    const v4 = await s.api("POST", "/v2.0/subnets", {
      subnet: { network_id: wrapped.body.networks[0].id, cidr: "198.19.83.0/24", ip_version: "4" },
    });
    assert.equal(v4.status, 201, JSON.stringify(v4.body));
    assert.equal(v4.body.subnet.ip_version, 4);
    neutronError(
      await s.api("POST", "/v2.0/subnets", {
        subnet: { network_id: wrapped.body.networks[0].id, cidr: "198.19.84.0/24", ip_version: "5" },
      }),
      400,
      "HTTPBadRequest",
    );
    // A network made unshared shows so in the update's own answer.
    const sharedNet = await network(s, { name: "was-shared", shared: true });
    const unshared = await s.api("PUT", `/v2.0/networks/${sharedNet.id}`, { network: { shared: false } });
    assert.equal(unshared.body.network.shared, false);
    assert.equal((await s.api("GET", `/v2.0/networks/${sharedNet.id}`)).body.network.shared, false);
  });

  test(`[${b}] tags: set, add, check, remove, filter by tags, tags-any, not-tags, not-tags-any; a delete takes them`, async (t) => {
    const s = await startServer(t, backend);
    const [red, blue, plain] = [
      await network(s, { name: "red" }),
      await network(s, { name: "blue" }),
      await network(s, { name: "plain" }),
    ];
    const put = await s.api("PUT", `/v2.0/networks/${red.id}/tags`, { tags: ["prod", "eu", "prod"] });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body.tags, ["eu", "prod"], "duplicates are one tag");
    assert.equal((await s.api("PUT", `/v2.0/networks/${blue.id}/tags/prod`)).status, 201);
    assert.equal((await s.api("PUT", `/v2.0/networks/${blue.id}/tags/us`)).status, 201);
    assert.deepEqual((await s.api("GET", `/v2.0/networks/${blue.id}/tags`)).body.tags, ["prod", "us"]);
    assert.equal((await s.api("GET", `/v2.0/networks/${blue.id}/tags/us`)).status, 204);
    neutronError(await s.api("GET", `/v2.0/networks/${blue.id}/tags/eu`), 404, "TagNotFound");
    neutronError(await s.api("DELETE", `/v2.0/networks/${blue.id}/tags/eu`), 404, "TagNotFound");
    const shown = (await s.api("GET", `/v2.0/networks/${red.id}`)).body.network;
    assert.deepEqual(shown.tags, ["eu", "prod"]);
    assert.equal(shown.revision_number, red.revision_number + 1, "a change of tags is a new revision");
    const names = async (query: string) =>
      (await s.api("GET", `/v2.0/networks?${query}`)).body.networks
        .map((n: { name: string }) => n.name)
        .sort();
    assert.deepEqual(await names("tags=prod"), ["blue", "red"]);
    assert.deepEqual(await names("tags=prod,eu"), ["red"]);
    assert.deepEqual(await names("tags-any=eu,us"), ["blue", "red"]);
    assert.deepEqual(await names("not-tags=prod,eu"), ["blue", "plain"]);
    assert.deepEqual(await names("not-tags-any=prod"), ["plain"]);
    assert.equal((await s.api("DELETE", `/v2.0/networks/${blue.id}/tags/us`)).status, 204);
    assert.equal((await s.api("DELETE", `/v2.0/networks/${red.id}/tags`)).status, 204);
    assert.deepEqual((await s.api("GET", `/v2.0/networks/${red.id}`)).body.network.tags, []);
    neutronError(
      await s.api("PUT", `/v2.0/networks/${red.id}/tags`, { tags: "prod" }),
      400,
      "HTTPBadRequest",
    );
    neutronError(await s.api("PUT", `/v2.0/networks/${red.id}/tags/${"x".repeat(256)}`), 400, "BadRequest");
    neutronError(await s.api("PUT", `/v2.0/networks/${crypto.randomUUID()}/tags/x`), 404, "NetworkNotFound");
    // Other taggable resources, and a delete taking the tags with it.
    const sub = await subnet(s, plain.id, "198.19.90.0/24");
    const p = await port(s, plain.id, {});
    for (const path of [`subnets/${sub.id}`, `ports/${p.id}`]) {
      assert.equal((await s.api("PUT", `/v2.0/${path}/tags/t1`)).status, 201, path);
      const [collection, id] = path.split("/");
      const key = collection === "subnets" ? "subnet" : "port";
      assert.deepEqual((await s.api("GET", `/v2.0/${collection}/${id}`)).body[key].tags, ["t1"]);
    }
    const sg = (await s.api("POST", "/v2.0/security-groups", { security_group: { name: "tagged" } })).body
      .security_group;
    const qos = (await s.api("POST", "/v2.0/qos/policies", { policy: { name: "tagged" } })).body.policy;
    const ag = (
      await s.api("POST", "/v2.0/address-groups", { address_group: { name: "tagged", addresses: [] } })
    ).body.address_group;
    for (const [collection, key, id] of [
      ["security-groups", "security_group", sg.id],
      ["qos/policies", "policy", qos.id],
      ["address-groups", "address_group", ag.id],
    ] as const) {
      assert.equal((await s.api("PUT", `/v2.0/${collection}/${id}/tags/t2`)).status, 201, collection);
      assert.deepEqual((await s.api("GET", `/v2.0/${collection}/${id}`)).body[key].tags, ["t2"], collection);
      const listed = (await s.api("GET", `/v2.0/${collection}?tags=t2`)).body;
      const ids = Object.values(listed)
        .flat()
        .map((o: any) => o.id);
      assert.deepEqual(ids, [id], `${collection} by tag`);
    }
    // QoS policies' tags also where Neutron's tag controller serves them: /v2.0/policies/{id}/tags.
    assert.equal((await s.api("PUT", `/v2.0/policies/${qos.id}/tags`, { tags: ["t3"] })).status, 200);
    assert.deepEqual((await s.api("GET", `/v2.0/qos/policies/${qos.id}`)).body.policy.tags, ["t3"]);
    assert.equal((await s.api("GET", `/v2.0/policies/${qos.id}/tags/t3`)).status, 204);
    assert.equal((await s.api("DELETE", `/v2.0/ports/${p.id}`)).status, 204);
    const left = await s.store.query.all<{ resource: string }>(
      "SELECT resource FROM tags WHERE resource_id = ?",
      [p.id],
    );
    assert.deepEqual(left, [], "the port's tags went with it");
  });

  test(`[${b}] 100 parallel port creates on one network: unique MACs and IPs, none lost`, async (t) => {
    const s = await startServer(t, backend);
    const n = await network(s);
    await subnet(s, n.id, "198.19.60.0/24");
    const results = await Promise.all(
      Array.from({ length: 100 }, () => s.api("POST", "/v2.0/ports", { port: { network_id: n.id } })),
    );
    assert.deepEqual([...new Set(results.map((r) => r.status))], [201]);
    const macs = new Set(results.map((r) => r.body.port.mac_address));
    const ips = new Set(results.map((r) => r.body.port.fixed_ips[0].ip_address));
    assert.equal(macs.size, 100);
    assert.equal(ips.size, 100);
    assert.equal((await s.api("GET", `/v2.0/ports?network_id=${n.id}`)).body.ports.length, 100);
  });

  test(`[${b}] agent channel: details, status up/down, sync, and the event stream with resume`, async (t) => {
    const s = await startServer(t, backend);
    const n = await network(s);
    const sub = await subnet(s, n.id, "198.19.70.0/24");
    const reg = await registerAgent(s, "h1");
    await registerAgent(s, "h2", agentConfig({ tunneling_ip: "198.18.0.2" }));
    const sync0 = await s.api("POST", "/agent/v1/sync", { host: "h1" });
    assert.deepEqual([sync0.body.ports, sync0.body.revision >= reg.revision], [[], true]);
    const stream = openSse(`${s.url}/agent/v1/stream?host=h1&since=${sync0.body.revision}`);
    t.after(() => stream.close());

    const p = await port(s, n.id, {
      "binding:host_id": "h1",
      allowed_address_pairs: [{ ip_address: "198.19.70.200" }],
    });
    const first = await stream.waitFor(3);
    const kinds = (events: { event: string }[]) => events.map((e) => e.event);
    assert.deepEqual(kinds(first), ["port.updated", "fdb.updated", "endpoints.changed"]);
    const [updated, fdb, endpoints] = first;
    assert.deepEqual(updated!.data.event.port.fixed_ips, [{ subnet_id: sub.id, ip_address: "198.19.70.2" }]);
    assert.equal(updated!.data.event.port.segmentation_id, n["provider:segmentation_id"]);
    assert.deepEqual(fdb!.data.event.entry, {
      port_id: p.id,
      network_id: n.id,
      host: "h1",
      mac_address: p.mac_address,
      ip_addresses: ["198.19.70.2"],
    });
    assert.deepEqual(endpoints!.data.event.endpoints, {
      network_id: n.id,
      endpoints: [{ host: "h1", tunneling_ip: "198.18.0.1" }],
    });
    // A port on another host: h1 hears its fdb entry and that the network's endpoints changed, not the port.
    const other = await port(s, n.id, { "binding:host_id": "h2" });
    const second = (await stream.waitFor(5)).slice(3);
    assert.deepEqual(kinds(second), ["fdb.updated", "endpoints.changed"]);
    assert.equal(second[0]!.data.event.entry.host, "h2");
    assert.deepEqual(
      second[1]!.data.event.endpoints.endpoints.map((e: any) => e.host),
      ["h1", "h2"],
    );
    const sync1 = await s.api("POST", "/agent/v1/sync", { host: "h1" });
    assert.deepEqual(
      sync1.body.fdb.map((e: any) => e.port_id),
      [other.id],
      "sync carries other hosts' ports on my networks",
    );

    const details = await s.api("POST", "/agent/v1/devices/details", {
      host: "h1",
      devices: [p.id, "00000000-0000-0000-0000-000000000000"],
    });
    assert.equal(details.body.devices[0].mac_address, p.mac_address);
    assert.equal(details.body.failed.length, 1);
    const status = await s.api("POST", "/agent/v1/devices/status", { host: "h1", up: [p.id], down: [] });
    assert.deepEqual(status.body.updated, [p.id]);
    assert.equal((await s.api("GET", `/v2.0/ports/${p.id}`)).body.port.status, "ACTIVE");
    // A status change alone is a port.updated for its host, and no fdb.updated for everyone.
    const afterStatus = (await stream.waitFor(6)).slice(5);
    assert.deepEqual(kinds(afterStatus), ["port.updated"]);
    assert.equal(afterStatus[0]!.data.event.port.status, "ACTIVE");
    const wrongHost = await s.api("POST", "/agent/v1/devices/status", { host: "h2", up: [p.id], down: [] });
    assert.equal(wrongHost.body.failed[0].reason, "not bound to h2");

    // Drop the stream; changes happen; resume with Last-Event-ID: nothing is missed.
    stream.close();
    const last = stream.events.at(-1)!.id!;
    await s.api("PUT", `/v2.0/ports/${p.id}`, { port: { "binding:host_id": "h2" } });
    const resumed = openSse(`${s.url}/agent/v1/stream?host=h1`, { "last-event-id": last });
    t.after(() => resumed.close());
    const afterResume = await resumed.waitFor(2);
    const unbound = afterResume.find((e) => e.event === "port.unbound");
    assert.ok(unbound, kinds(afterResume).join(","));
    assert.equal(unbound!.data.event.port_id, p.id);

    // Malformed messages are refused with a reason.
    const bad = await s.api("POST", "/agent/v1/devices/status", { host: "h1", up: ["not-a-uuid"], down: [] });
    assert.equal(bad.status, 400);
    assert.match(bad.body.NeutronError.message, /up\.0: a UUID/);
    assert.equal((await s.api("POST", "/agent/v1/report-state", { host: "h1", extra: 1 })).status, 400);
  });

  test(`[${b}] an agent too far behind the pruned event log is told to resync`, async (t) => {
    const s = await startServer(t, backend);
    await registerAgent(s, "h1");
    for (let i = 0; i < 5; i++) await network(s);
    await s.store.pruneEvents(2);
    const stream = openSse(`${s.url}/agent/v1/stream?host=h1&since=1`);
    t.after(() => stream.close());
    const [resync] = await stream.waitFor(1);
    assert.equal(resync!.event, "resync");
    assert.equal(resync!.data.revision, await s.store.currentRevision());
    await stream.ended;
  });
}
