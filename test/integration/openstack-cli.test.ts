// The standard OpenStack client (Debian python3-openstackclient) against the server, unchanged.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { registerAgent } from "../support/api-suite.ts";
import { startServer } from "../support/server.ts";

function openstack(
  url: string,
  auth: string[],
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "openstack",
      [...auth, "--os-endpoint", url, ...args],
      { timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

const json = async (p: Promise<{ code: number; stdout: string; stderr: string }>) => {
  const r = await p;
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
};

test("openstack network/subnet/port (with --host) and network agent list, without auth", async (t) => {
  const s = await startServer(t, { kind: "sqlite" });
  const os = (...args: string[]) => openstack(s.url, ["--os-auth-type", "none"], args);
  await registerAgent(s, "compute-1");

  const net = await json(
    os(
      "network",
      "create",
      "--provider-network-type",
      "vlan",
      "--provider-physical-network",
      "physnet1",
      "--provider-segment",
      "120",
      "prov",
      "-f",
      "json",
    ),
  );
  assert.equal(net["provider:segmentation_id"], 120);
  assert.equal(net["provider:network_type"], "vlan");
  const sub = await json(
    os("subnet", "create", "--network", "prov", "--subnet-range", "198.19.90.0/24", "prov-v4", "-f", "json"),
  );
  assert.equal(sub.gateway_ip, "198.19.90.1");
  const port = await json(
    os("port", "create", "--network", "prov", "--host", "compute-1", "vm-port", "-f", "json"),
  );
  assert.equal(port.binding_vif_type, "ovs");
  assert.equal(port.binding_host_id, "compute-1");
  assert.deepEqual(Object.keys(port.binding_vif_details).sort(), [
    "bridge_name",
    "connectivity",
    "datapath_type",
    "ovs_hybrid_plug",
    "port_filter",
  ]);
  assert.equal(port.fixed_ips[0].ip_address, "198.19.90.2");

  const ports = await json(os("port", "list", "--host", "compute-1", "-f", "json"));
  assert.deepEqual(
    ports.map((p: any) => p.Name),
    ["vm-port"],
  );
  const agents = await json(os("network", "agent", "list", "-f", "json"));
  assert.deepEqual(
    agents.map((a: any) => [a.Host, a["Agent Type"], a.Alive]),
    [["compute-1", "Open vSwitch agent", true]],
  );

  const inUse = await os("network", "delete", "prov");
  assert.notEqual(inUse.code, 0);
  assert.match(inUse.stderr, /There are one or more ports still in use on the network/);
  assert.equal((await os("port", "delete", "vm-port")).code, 0);
  assert.equal((await os("network", "delete", "prov")).code, 0);
});

test("openstack with a token: the admin token works, a wrong one is refused", async (t) => {
  const s = await startServer(
    t,
    { kind: "sqlite" },
    { noauth: false, config: { adminToken: "admin-secret" } },
  );
  const ok = await openstack(
    s.url,
    ["--os-auth-type", "admin_token", "--os-token", "admin-secret"],
    ["network", "create", "tok", "-f", "json"],
  );
  assert.equal(ok.code, 0, ok.stderr);
  const refused = await openstack(
    s.url,
    ["--os-auth-type", "admin_token", "--os-token", "nope"],
    ["network", "list"],
  );
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /401/);
});

test("openstack network qos: policies, rules, rule types, port set/unset --qos-policy, network create --qos-policy", async (t) => {
  const s = await startServer(t, { kind: "sqlite" });
  const os = (...args: string[]) => openstack(s.url, ["--os-auth-type", "none"], args);
  await registerAgent(s, "compute-1");

  const pol = await json(
    os("network", "qos", "policy", "create", "--description", "ten megabit", "pol", "-f", "json"),
  );
  assert.deepEqual(
    [pol.name, pol.description, pol.shared, pol.is_default],
    ["pol", "ten megabit", false, false],
  );
  const dscp = await json(
    os(
      "network",
      "qos",
      "rule",
      "create",
      "--type",
      "dscp-marking",
      "--dscp-mark",
      "26",
      "pol",
      "-f",
      "json",
    ),
  );
  assert.equal(dscp.dscp_mark, 26);
  const egress = await json(
    os(
      "network",
      "qos",
      "rule",
      "create",
      "--type",
      "bandwidth-limit",
      "--max-kbps",
      "10000",
      "--max-burst-kbits",
      "1000",
      "--egress",
      "pol",
      "-f",
      "json",
    ),
  );
  assert.deepEqual([egress.max_kbps, egress.max_burst_kbps, egress.direction], [10000, 1000, "egress"]);
  const ingress = await json(
    os(
      "network",
      "qos",
      "rule",
      "create",
      "--type",
      "bandwidth-limit",
      "--max-kbps",
      "5000",
      "--ingress",
      "pol",
      "-f",
      "json",
    ),
  );
  assert.deepEqual([ingress.max_burst_kbps, ingress.direction], [0, "ingress"]);

  // openstackclient reads the rules from the policy itself.
  const rules = await json(os("network", "qos", "rule", "list", "pol", "-f", "json"));
  assert.deepEqual(
    rules
      .map((r: any) => [r.ID, r["QoS Policy ID"], r.Type, r["Max Kbps"], r["DSCP mark"], r.Direction])
      .sort(),
    [
      [dscp.id, pol.id, "dscp_marking", "", 26, ""],
      [egress.id, pol.id, "bandwidth_limit", 10000, "", "egress"],
      [ingress.id, pol.id, "bandwidth_limit", 5000, "", "ingress"],
    ].sort(),
  );
  const shown = await json(os("network", "qos", "policy", "show", "pol", "-f", "json"));
  assert.equal(shown.id, pol.id);
  assert.equal(shown.rules.length, 3);
  const rule = await json(os("network", "qos", "rule", "show", "pol", egress.id, "-f", "json"));
  assert.equal(rule.max_kbps, 10000);
  const listed = await json(os("network", "qos", "policy", "list", "-f", "json"));
  assert.deepEqual(
    listed.map((p: any) => [p.ID, p.Name, p.Shared, p.Default]),
    [[pol.id, "pol", false, false]],
  );
  const types = await json(os("network", "qos", "rule", "type", "list", "-f", "json"));
  assert.deepEqual(
    types.map((r: any) => r.Type),
    ["bandwidth_limit", "dscp_marking"],
  );
  const details = await json(os("network", "qos", "rule", "type", "show", "bandwidth_limit", "-f", "json"));
  assert.equal(details.drivers[0].name, "openvswitch");

  // Refused rules come back with Neutron's message; nothing is stored.
  const invalid = await os(
    "network",
    "qos",
    "rule",
    "create",
    "--type",
    "dscp-marking",
    "--dscp-mark",
    "27",
    "pol",
  );
  assert.notEqual(invalid.code, 0);
  assert.match(
    invalid.stderr,
    /Failed to create Network QoS rule: .*Invalid input for dscp_mark\. Reason: 27 is not in valid_values\./,
  );
  const duplicate = await os(
    "network",
    "qos",
    "rule",
    "create",
    "--type",
    "bandwidth-limit",
    "--max-kbps",
    "1",
    "--egress",
    "pol",
  );
  assert.notEqual(duplicate.code, 0);
  assert.match(
    duplicate.stderr,
    new RegExp(
      `Rule bandwidth_limit conflicts with rule ${egress.id} which already exists in QoS Policy ${pol.id}`,
    ),
  );
  assert.equal((await json(os("network", "qos", "rule", "list", "pol", "-f", "json"))).length, 3);

  const net = await json(os("network", "create", "--qos-policy", "pol", "qnet", "-f", "json"));
  assert.equal(net.qos_policy_id, pol.id);
  const port = await json(
    os("port", "create", "--network", "qnet", "--host", "compute-1", "vm-port", "-f", "json"),
  );
  assert.deepEqual([port.qos_policy_id, port.qos_network_policy_id], [null, pol.id]);
  assert.equal((await os("port", "set", "--qos-policy", "pol", "vm-port")).code, 0);
  assert.equal((await json(os("port", "show", "vm-port", "-f", "json"))).qos_policy_id, pol.id);
  const inUse = await os("network", "qos", "policy", "delete", "pol");
  assert.notEqual(inUse.code, 0);
  assert.match(inUse.stderr, new RegExp(`QoS Policy ${pol.id} is used by port ${port.id}`));
  assert.equal((await os("port", "unset", "--qos-policy", "vm-port")).code, 0);
  assert.equal((await json(os("port", "show", "vm-port", "-f", "json"))).qos_policy_id, null);
  assert.equal((await os("network", "set", "--no-qos-policy", "qnet")).code, 0);
  assert.equal((await os("network", "qos", "rule", "delete", "pol", dscp.id)).code, 0);
  assert.equal((await os("network", "qos", "policy", "delete", "pol")).code, 0);
  assert.deepEqual(await json(os("network", "qos", "policy", "list", "-f", "json")), []);
});

test("openstack security group and rule commands, and port create/set --security-group, unchanged", async (t) => {
  const s = await startServer(t, { kind: "sqlite" });
  const os = (...args: string[]) => openstack(s.url, ["--os-auth-type", "none"], args);
  await json(os("network", "create", "net", "-f", "json"));
  await json(
    os("subnet", "create", "--network", "net", "--subnet-range", "198.19.91.0/24", "v4", "-f", "json"),
  );

  const web = await json(
    os("security", "group", "create", "--description", "front end", "web", "-f", "json"),
  );
  assert.deepEqual([web.name, web.description, web.stateful], ["web", "front end", true]);
  const ssh = await json(
    os("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22", "web", "-f", "json"),
  );
  // The client fills in ingress, IPv4 and 0.0.0.0/0 when no remote is given.
  assert.deepEqual(
    [
      ssh.direction,
      ssh.ether_type,
      ssh.protocol,
      ssh.port_range_min,
      ssh.port_range_max,
      ssh.remote_ip_prefix,
    ],
    ["ingress", "IPv4", "tcp", 22, 22, "0.0.0.0/0"],
  );
  const ping = await json(
    os(
      "security",
      "group",
      "rule",
      "create",
      "--protocol",
      "icmp",
      "--icmp-type",
      "8",
      "--remote-group",
      "web",
      "web",
      "-f",
      "json",
    ),
  );
  assert.deepEqual([ping.port_range_min, ping.remote_group_id], [8, web.id]);
  const again = await os("security", "group", "rule", "create", "--protocol", "6", "--dst-port", "22", "web");
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, new RegExp(`Security group rule already exists. Rule id is ${ssh.id}`));
  const rules = await json(os("security", "group", "rule", "list", "web", "-f", "json"));
  assert.equal(rules.length, 4, "two egress rules from the templates, and ours");
  const groups = await json(os("security", "group", "list", "-f", "json"));
  assert.deepEqual(groups.map((g: any) => g.Name).sort(), ["default", "web"]);

  const port = await json(
    os("port", "create", "--network", "net", "--security-group", "web", "p1", "-f", "json"),
  );
  assert.deepEqual(port.security_group_ids, [web.id]);
  const plain = await json(os("port", "create", "--network", "net", "p2", "-f", "json"));
  const def = groups.find((g: any) => g.Name === "default");
  assert.deepEqual(plain.security_group_ids, [def.ID]);
  assert.equal((await os("port", "set", "--no-security-group", "--disable-port-security", "p2")).code, 0);
  const unsecured = await json(os("port", "show", "p2", "-f", "json"));
  assert.deepEqual([unsecured.security_group_ids, unsecured.port_security_enabled], [[], false]);
  const inUse = await os("security", "group", "delete", "web");
  assert.notEqual(inUse.code, 0);
  assert.match(inUse.stderr, new RegExp(`Security Group ${web.id} in use`));

  // (`openstack quota set PROJECT` looks the project up in Keystone first: it comes with the Keystone issue.)
  assert.equal((await os("security", "group", "rule", "delete", ssh.id)).code, 0);
  assert.equal((await os("port", "delete", "p1")).code, 0);
  assert.equal((await os("security", "group", "delete", "web")).code, 0);
});

test("openstack address scope, subnet pool (prefixes, default length, prefix add), subnet create --subnet-pool", async (t) => {
  const s = await startServer(t, { kind: "sqlite" });
  const os = (...args: string[]) => openstack(s.url, ["--os-auth-type", "none"], args);
  const scope = await json(os("address", "scope", "create", "--ip-version", "4", "scope1", "-f", "json"));
  assert.equal(scope.ip_version, 4);
  const pool = await json(
    os(
      "subnet",
      "pool",
      "create",
      "--pool-prefix",
      "198.18.96.0/22",
      "--default-prefix-length",
      "26",
      "--address-scope",
      "scope1",
      "pool1",
      "-f",
      "json",
    ),
  );
  assert.equal(pool.address_scope_id, scope.id);
  assert.equal(String(pool.default_prefixlen), "26");
  await json(os("network", "create", "pooled", "-f", "json"));
  const sub = await json(
    os("subnet", "create", "--network", "pooled", "--subnet-pool", "pool1", "from-pool", "-f", "json"),
  );
  assert.equal(sub.cidr, "198.18.96.0/26");
  assert.equal(sub.subnetpool_id, pool.id);
  const sized = await json(
    os(
      "subnet",
      "create",
      "--network",
      "pooled",
      "--subnet-pool",
      "pool1",
      "--prefix-length",
      "24",
      "sized",
      "-f",
      "json",
    ),
  );
  assert.equal(sized.cidr, "198.18.97.0/24");
  assert.equal((await os("subnet", "pool", "set", "--pool-prefix", "198.18.100.0/24", "pool1")).code, 0);
  const shown = await json(os("subnet", "pool", "show", "pool1", "-f", "json"));
  assert.deepEqual([...shown.prefixes].sort(), ["198.18.100.0/24", "198.18.96.0/22"]);
  const refused = await os("subnet", "pool", "delete", "pool1");
  assert.notEqual(refused.code, 0, "a pool with subnets stays");
  assert.match(refused.stderr, /allocations|in use/i);
});

test("openstack subnet create --ipv6-address-mode/--ipv6-ra-mode, port create/set --extra-dhcp-option", async (t) => {
  const s = await startServer(t, { kind: "sqlite" });
  const os = (...args: string[]) => openstack(s.url, ["--os-auth-type", "none"], args);
  await json(os("network", "create", "dnet", "-f", "json"));
  const v6 = (name: string, range: string, address: string, ra: string) =>
    os(
      "subnet",
      "create",
      "--network",
      "dnet",
      "--ip-version",
      "6",
      "--subnet-range",
      range,
      "--ipv6-address-mode",
      address,
      "--ipv6-ra-mode",
      ra,
      name,
      "-f",
      "json",
    );
  const slaac = await json(v6("dnet-v6", "2001:db8:70::/64", "slaac", "slaac"));
  assert.deepEqual([slaac.ipv6_address_mode, slaac.ipv6_ra_mode], ["slaac", "slaac"]);
  const unequal = await v6("unequal", "2001:db8:71::/64", "slaac", "dhcpv6-stateful");
  assert.notEqual(unequal.code, 0);
  assert.match(unequal.stderr, /If both attributes are set, they must be the same value/);

  const created = await json(
    os(
      "port",
      "create",
      "--network",
      "dnet",
      "--mac-address",
      "fa:16:3e:00:70:01",
      "--extra-dhcp-option",
      "name=mtu,value=1400,ip-version=4",
      "--extra-dhcp-option",
      "name=domain-search,value=example.org",
      "dport",
      "-f",
      "json",
    ),
  );
  assert.deepEqual(created.fixed_ips, [
    { subnet_id: slaac.id, ip_address: "2001:db8:70:0:f816:3eff:fe00:7001" },
  ]);
  assert.deepEqual(created.extra_dhcp_opts, [
    { opt_name: "domain-search", opt_value: "example.org", ip_version: 4 },
    { opt_name: "mtu", opt_value: "1400", ip_version: 4 },
  ]);
  assert.equal((await os("port", "set", "--extra-dhcp-option", "name=mtu,value=1300", "dport")).code, 0);
  const shown = await json(os("port", "show", "dport", "-f", "json"));
  assert.deepEqual(shown.extra_dhcp_opts, [
    { opt_name: "domain-search", opt_value: "example.org", ip_version: 4 },
    { opt_name: "mtu", opt_value: "1300", ip_version: 4 },
  ]);
  const noValue = await os("port", "set", "--extra-dhcp-option", "name=mtu", "dport");
  assert.notEqual(noValue.code, 0, "Neutron's key specs need a value");
  assert.match(noValue.stderr, /No valid key specs matched/);
});

test("openstack router create/set --external-gateway/add subnet/show, floating ip create --port/set/unset, unchanged", async (t) => {
  const s = await startServer(t, { kind: "sqlite" });
  const os = (...args: string[]) => openstack(s.url, ["--os-auth-type", "none"], args);
  const ok = async (...args: string[]) => {
    const r = await os(...args);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  await ok("network", "create", "--external", "public");
  await ok("subnet", "create", "--network", "public", "--subnet-range", "198.18.120.0/24", "public-v4");
  await ok("network", "create", "inside");
  await ok("subnet", "create", "--network", "inside", "--subnet-range", "198.19.91.0/24", "inside-v4");

  const created = await json(os("router", "create", "r1", "-f", "json"));
  assert.equal(created.status, "ACTIVE");
  await ok("router", "set", "--external-gateway", "public", "r1");
  await ok("router", "add", "subnet", "r1", "inside-v4");
  const shown = await json(os("router", "show", "r1", "-f", "json"));
  const gateway = shown.external_gateway_info;
  assert.equal(gateway.enable_snat, true);
  assert.match(gateway.external_fixed_ips[0].ip_address, /^198\.18\.120\./);
  // router show lists the interfaces from GET /v2.0/ports?device_id=<router>.
  assert.deepEqual(
    shown.interfaces_info.map((i: { ip_address: string }) => i.ip_address),
    ["198.19.91.1"],
  );

  const port = await json(os("port", "create", "--network", "inside", "vm", "-f", "json"));
  const fip = await json(os("floating", "ip", "create", "--port", "vm", "public", "-f", "json"));
  assert.equal(fip.port_id, port.id);
  assert.equal(fip.router_id, shown.id);
  assert.equal(fip.fixed_ip_address, port.fixed_ips[0].ip_address);
  await ok("floating", "ip", "unset", "--port", fip.floating_ip_address);
  assert.equal((await json(os("floating", "ip", "show", fip.id, "-f", "json"))).port_id, null);
  await ok("floating", "ip", "set", "--port", "vm", fip.floating_ip_address);
  assert.equal((await json(os("floating", "ip", "show", fip.id, "-f", "json"))).port_id, port.id);

  // In use: the interface the floating IP needs, the router with interfaces.
  const refused = await os("router", "remove", "subnet", "r1", "inside-v4");
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /required by one or more floating IPs/);
  await ok("floating", "ip", "delete", fip.id);
  await ok("router", "remove", "subnet", "r1", "inside-v4");
  await ok("router", "unset", "--external-gateway", "r1");
  await ok("router", "delete", "r1");
  assert.deepEqual(await json(os("router", "list", "-f", "json")), []);
});
