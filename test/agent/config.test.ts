import assert from "node:assert/strict";
import { hostname } from "node:os";
import { test } from "node:test";
import { parseAgentConfig } from "../../src/agent/index.ts";
import { InvalidArgumentError } from "../../src/base/index.ts";

const FILE = "/etc/weir/agent.ini";

const ini = (...lines: string[]) => lines.join("\n");

/** Parsing `text` fails with an InvalidArgumentError for `field` (after the file name) whose text matches. */
function rejects(text: string, field: string, message: RegExp): void {
  assert.throws(
    () => parseAgentConfig(text, FILE),
    (error: unknown) => {
      assert.ok(error instanceof InvalidArgumentError, `not an InvalidArgumentError: ${String(error)}`);
      assert.equal(error.code, "WEIR_INVALID_ARGUMENT");
      assert.equal(error.field, `${FILE} ${field}`);
      assert.ok(
        error.message.startsWith(`${FILE} ${field}: `),
        `message does not start with the file, section and key: ${error.message}`,
      );
      assert.match(error.message, message);
      return true;
    },
  );
}

const withTunnels = (...lines: string[]) =>
  ini("[ovs]", "local_ip = 192.0.2.10", "[agent]", "tunnel_types = vxlan", ...lines);

test("an empty file gives the documented defaults", () => {
  const c = parseAgentConfig("", FILE);
  assert.deepEqual(c, {
    file: FILE,
    host: hostname(),
    integrationBridge: "br-int",
    tunnelBridge: "br-tun",
    intPeerPatchPort: "patch-tun",
    tunPeerPatchPort: "patch-int",
    localIp: undefined,
    bridgeMappings: {},
    datapathType: "system",
    ovsdbConnection: "unix:/var/run/openvswitch/db.sock",
    ovsRundir: "/var/run/openvswitch",
    tunnelTypes: [],
    vxlanUdpPort: 4789,
    l2Population: true,
    arpResponder: false,
    dropFlowsOnStart: false,
    firewallDriver: "openvswitch",
    server: "http://127.0.0.1:9696",
    token: undefined,
    keystone: undefined,
    metricsListen: undefined,
    reportInterval: 10,
    extensions: [],
    otherSections: {},
  });
});

test("the file name defaults to agent.ini", () => {
  assert.equal(parseAgentConfig("").file, "agent.ini");
  assert.throws(() => parseAgentConfig("[nova]\nx = 1"), /^InvalidArgumentError: agent\.ini \[nova\]/);
});

test("every key of every section is read", () => {
  const c = parseAgentConfig(
    ini(
      "[DEFAULT]",
      "host = compute-7",
      "[ovs]",
      "integration_bridge = br-int2",
      "tunnel_bridge = br-tun2",
      "int_peer_patch_port = patch-tun2",
      "tun_peer_patch_port = patch-int2",
      "local_ip = 198.18.0.7",
      "bridge_mappings = physnet1:br-eth1, physnet2:br-eth2",
      "datapath_type = netdev",
      "ovsdb_connection = tcp:127.0.0.1:6640",
      "ovs_rundir = /run/openvswitch",
      "[agent]",
      "tunnel_types = vxlan, gre,geneve",
      "vxlan_udp_port = 8472",
      "l2_population = false",
      "arp_responder = true",
      "drop_flows_on_start = true",
      "extensions = qos, ./ext/ra-guard.ts",
      "[securitygroup]",
      "firewall_driver = noop",
      "[weir]",
      "server = https://controller:9697/",
      "token = s3cret",
      "metrics_listen = 0.0.0.0:9100",
      "report_interval = 30",
      "[ra_guard]",
      "log = true",
    ),
    FILE,
  );
  assert.deepEqual(c, {
    file: FILE,
    host: "compute-7",
    integrationBridge: "br-int2",
    tunnelBridge: "br-tun2",
    intPeerPatchPort: "patch-tun2",
    tunPeerPatchPort: "patch-int2",
    localIp: "198.18.0.7",
    bridgeMappings: { physnet1: "br-eth1", physnet2: "br-eth2" },
    datapathType: "netdev",
    ovsdbConnection: "tcp:127.0.0.1:6640",
    ovsRundir: "/run/openvswitch",
    tunnelTypes: ["vxlan", "gre", "geneve"],
    vxlanUdpPort: 8472,
    l2Population: false,
    arpResponder: true,
    dropFlowsOnStart: true,
    firewallDriver: "noop",
    server: "https://controller:9697",
    token: "s3cret",
    keystone: undefined,
    metricsListen: "0.0.0.0:9100",
    reportInterval: 30,
    extensions: ["qos", "./ext/ra-guard.ts"],
    otherSections: { ra_guard: { log: "true" } },
  });
});

test("[keystone_authtoken]: the agent's service user; with a static token, or without auth_url, refused", () => {
  const c = parseAgentConfig(
    ini(
      "[keystone_authtoken]",
      "auth_url = http://controller:5000/v3",
      "username = weir-agent",
      "password = secret",
      "project_name = service",
    ),
    FILE,
  );
  assert.deepEqual(c.keystone, {
    authUrl: "http://controller:5000/v3",
    username: "weir-agent",
    password: "secret",
    projectName: "service",
    userDomainName: "Default",
    projectDomainName: "Default",
  });
  rejects(
    ini(
      "[weir]",
      "token = t",
      "[keystone_authtoken]",
      "auth_url = http://k:5000",
      "username = u",
      "password = p",
      "project_name = s",
    ),
    "[weir] token",
    /either a static token or \[keystone_authtoken\] credentials/,
  );
  rejects(ini("[keystone_authtoken]", "username = u"), "[keystone_authtoken] username", /needs auth_url/);
  rejects(
    ini("[keystone_authtoken]", "auth_url = http://k:5000", "username = u"),
    "[keystone_authtoken] password",
    /is required/,
  );
  rejects(
    ini("[keystone_authtoken]", "auth_url = k:5000"),
    "[keystone_authtoken] auth_url",
    /not an http\(s\) URL/,
  );
  rejects(
    ini("[keystone_authtoken]", "auth_url = http://k:5000", "auth_type = v3token"),
    "[keystone_authtoken] auth_type",
    /only password/,
  );
});

test("[agent] extensions: names and module paths; anything else, or a name twice, is refused", () => {
  rejects(ini("[agent]", "extensions = QoS"), "[agent] extensions", /"QoS" is neither an extension name/);
  rejects(ini("[agent]", "extensions = ./x.py"), "[agent] extensions", /a \.ts, \.js or \.mjs file/);
  rejects(ini("[agent]", "extensions = qos, qos"), "[agent] extensions", /qos is named twice/);
  // Without extensions, a section the agent does not know is a mistake at once.
  rejects(ini("[ovs]", "[ra_guard]", "log = true"), "[ra_guard]", /unknown section/);
  // With them, it is left to them (the loader refuses it if none claims it); [OVS] stays a typo.
  rejects(ini("[agent]", "extensions = qos", "[OVS]", "x = 1"), "[OVS]", /unknown section/);
});

test("host may also be given before any section header", () => {
  assert.equal(parseAgentConfig("host = compute-1\n[ovs]\n", FILE).host, "compute-1");
});

test("an empty host is refused", () => {
  rejects("[DEFAULT]\nhost =", "[DEFAULT] host", /must be 1-255 characters/);
});

test("an empty token counts as no token", () => {
  assert.equal(parseAgentConfig("[weir]\ntoken =", FILE).token, undefined);
});

test("an unknown section is refused, naming it", () => {
  rejects(ini("[ovs]", "[nova]", "x = 1"), "[nova]", /unknown section/);
  // Section names are case-sensitive: Neutron's are lower case.
  rejects(ini("[OVS]", "local_ip = 192.0.2.1"), "[OVS]", /unknown section/);
});

test("an unknown key is refused, naming the section and the key", () => {
  rejects(ini("[ovs]", "bridge_mapping = physnet1:br-eth1"), "[ovs] bridge_mapping", /unknown key/);
  rejects(ini("[agent]", "tunnel_type = vxlan"), "[agent] tunnel_type", /unknown key/);
  rejects(ini("[weir]", "servers = http://a:1"), "[weir] servers", /unknown key/);
  rejects(
    ini("[securitygroup]", "enable_security_group = true"),
    "[securitygroup] enable_security_group",
    /unknown key/,
  );
  // A key in the wrong section is unknown there.
  rejects(ini("[agent]", "local_ip = 192.0.2.1"), "[agent] local_ip", /unknown key/);
  rejects("hostname = compute-1", "[DEFAULT] hostname", /unknown key/);
});

test("booleans are true or false, in any case", () => {
  const c = parseAgentConfig(
    ini("[agent]", "l2_population = FALSE", "arp_responder = True", "drop_flows_on_start = tRuE"),
    FILE,
  );
  assert.equal(c.l2Population, false);
  assert.equal(c.arpResponder, true);
  assert.equal(c.dropFlowsOnStart, true);
});

test("anything else for a boolean is refused, naming the key and the value", () => {
  rejects(ini("[agent]", "l2_population = yes"), "[agent] l2_population", /must be true or false, got "yes"/);
  rejects(ini("[agent]", "arp_responder = 1"), "[agent] arp_responder", /must be true or false, got "1"/);
  rejects(
    ini("[agent]", "drop_flows_on_start = on"),
    "[agent] drop_flows_on_start",
    /must be true or false, got "on"/,
  );
});

test("an unknown tunnel type is refused, naming it", () => {
  rejects(withTunnels().replace("vxlan", "vxlan,stt"), "[agent] tunnel_types", /unknown tunnel type "stt"/);
  rejects(withTunnels().replace("vxlan", "VXLAN"), "[agent] tunnel_types", /unknown tunnel type "VXLAN"/);
});

test("tunnel_types needs local_ip; without tunnel types local_ip is optional", () => {
  rejects(
    ini("[agent]", "tunnel_types = vxlan"),
    "[ovs] local_ip",
    /is required when \[agent\] tunnel_types/,
  );
  assert.deepEqual(parseAgentConfig(ini("[agent]", "tunnel_types = "), FILE).tunnelTypes, []);
  assert.deepEqual(parseAgentConfig(withTunnels(), FILE).tunnelTypes, ["vxlan"]);
});

test("local_ip must be an IP address (v4 or v6)", () => {
  rejects(ini("[ovs]", "local_ip = 192.0.2.300"), "[ovs] local_ip", /"192\.0\.2\.300" is not an IP address/);
  rejects(ini("[ovs]", "local_ip = compute-1"), "[ovs] local_ip", /not an IP address/);
  rejects(ini("[ovs]", "local_ip ="), "[ovs] local_ip", /"" is not an IP address/);
  assert.equal(parseAgentConfig(ini("[ovs]", "local_ip = 2001:db8::7"), FILE).localIp, "2001:db8::7");
});

test("bridge_mappings entries must be PHYSNET:BRIDGE", () => {
  for (const entry of ["physnet1", "physnet1:", ":br-eth1", "physnet1:br-eth1:x", "physnet1:br eth1"]) {
    rejects(
      ini("[ovs]", `bridge_mappings = ${entry}`),
      "[ovs] bridge_mappings",
      new RegExp(`"${entry}" is not PHYSNET:BRIDGE`),
    );
  }
  // Empty entries (a trailing comma) are skipped.
  assert.deepEqual(
    parseAgentConfig(ini("[ovs]", "bridge_mappings = physnet1:br-eth1,"), FILE).bridgeMappings,
    {
      physnet1: "br-eth1",
    },
  );
});

test("a physical network mapped twice is refused", () => {
  rejects(
    ini("[ovs]", "bridge_mappings = physnet1:br-eth1,physnet1:br-eth2"),
    "[ovs] bridge_mappings",
    /physical network physnet1 is mapped twice/,
  );
});

test("a bridge mapped twice is refused", () => {
  rejects(
    ini("[ovs]", "bridge_mappings = physnet1:br-eth1,physnet2:br-eth1"),
    "[ovs] bridge_mappings",
    /bridge br-eth1 is mapped twice/,
  );
});

test("a mapped bridge name longer than 11 characters is refused; 11 is fine", () => {
  rejects(
    ini("[ovs]", "bridge_mappings = physnet1:br-provider1"),
    "[ovs] bridge_mappings",
    /bridge name br-provider1 is longer than 11 characters/,
  );
  assert.deepEqual(
    parseAgentConfig(ini("[ovs]", "bridge_mappings = physnet1:br-provide1"), FILE).bridgeMappings,
    { physnet1: "br-provide1" },
  );
});

test("a mapped bridge that is the integration or tunnel bridge is refused", () => {
  rejects(
    ini("[ovs]", "bridge_mappings = physnet1:br-int"),
    "[ovs] bridge_mappings",
    /bridge br-int is also the integration or tunnel bridge/,
  );
  rejects(
    ini("[ovs]", "bridge_mappings = physnet1:br-tun"),
    "[ovs] bridge_mappings",
    /bridge br-tun is also the integration or tunnel bridge/,
  );
  // Against the configured names, not just the defaults.
  rejects(
    ini("[ovs]", "tunnel_bridge = br-overlay", "bridge_mappings = physnet1:br-overlay"),
    "[ovs] bridge_mappings",
    /bridge br-overlay is also the integration or tunnel bridge/,
  );
  assert.deepEqual(
    parseAgentConfig(ini("[ovs]", "integration_bridge = br-x", "bridge_mappings = physnet1:br-int"), FILE)
      .bridgeMappings,
    { physnet1: "br-int" },
  );
});

test("bridge and patch port names are 1-15 of A-Z a-z 0-9 _ . -", () => {
  rejects(
    ini("[ovs]", "integration_bridge = br int"),
    "[ovs] integration_bridge",
    /"br int" is not a bridge/,
  );
  rejects(
    ini("[ovs]", "tunnel_bridge = br-tun-0123456789"),
    "[ovs] tunnel_bridge",
    /"br-tun-0123456789" is not a bridge or port name/,
  );
  rejects(ini("[ovs]", "int_peer_patch_port = patch/tun"), "[ovs] int_peer_patch_port", /is not a bridge/);
  rejects(ini("[ovs]", "tun_peer_patch_port ="), "[ovs] tun_peer_patch_port", /"" is not a bridge/);
  assert.equal(
    parseAgentConfig(ini("[ovs]", "integration_bridge = Br_int.0-123456"), FILE).integrationBridge,
    "Br_int.0-123456",
  );
});

test("datapath_type is system or netdev", () => {
  rejects(
    ini("[ovs]", "datapath_type = dpdk"),
    "[ovs] datapath_type",
    /must be system or netdev, got "dpdk"/,
  );
  assert.equal(parseAgentConfig(ini("[ovs]", "datapath_type = system"), FILE).datapathType, "system");
});

test("ovsdb_connection is unix:PATH or tcp:HOST:PORT", () => {
  for (const ok of ["unix:/run/openvswitch/db.sock", "tcp:192.0.2.1:6640", "tcp:ovsdb.local:6640"]) {
    assert.equal(parseAgentConfig(ini("[ovs]", `ovsdb_connection = ${ok}`), FILE).ovsdbConnection, ok);
  }
  for (const bad of ["ssl:192.0.2.1:6640", "tcp:192.0.2.1", "tcp:192.0.2.1:port", "unix:", "/run/db.sock"]) {
    rejects(
      ini("[ovs]", `ovsdb_connection = ${bad}`),
      "[ovs] ovsdb_connection",
      /is not unix:PATH or tcp:HOST:PORT/,
    );
  }
});

test("firewall_driver is openvswitch (the default) or noop; iptables_hybrid and typos are refused", () => {
  for (const driver of ["openvswitch", "noop"] as const)
    assert.equal(
      parseAgentConfig(ini("[securitygroup]", `firewall_driver = ${driver}`), FILE).firewallDriver,
      driver,
    );
  rejects(
    ini("[securitygroup]", "firewall_driver = iptables_hybrid"),
    "[securitygroup] firewall_driver",
    /iptables_hybrid is not supported .*use openvswitch/,
  );
  rejects(
    ini("[securitygroup]", "firewall_driver = openvswich"),
    "[securitygroup] firewall_driver",
    /must be openvswitch or noop, got "openvswich"/,
  );
});

test("server is http(s)://HOST:PORT; a trailing slash is dropped", () => {
  assert.equal(parseAgentConfig(ini("[weir]", "server = http://ctl:9696/"), FILE).server, "http://ctl:9696");
  assert.equal(parseAgentConfig(ini("[weir]", "server = https://ctl"), FILE).server, "https://ctl");
  for (const bad of ["ctl:9696", "ftp://ctl:9696", "http://ctl:9696/v2", "http://", "http:///"]) {
    rejects(ini("[weir]", `server = ${bad}`), "[weir] server", /is not http\(s\):\/\/HOST:PORT/);
  }
});

test("vxlan_udp_port is an integer 1-65535", () => {
  for (const ok of [1, 65535]) {
    assert.equal(parseAgentConfig(ini("[agent]", `vxlan_udp_port = ${ok}`), FILE).vxlanUdpPort, ok);
  }
  for (const bad of ["0", "65536", "-1", "4789.5", "vxlan", ""]) {
    rejects(
      ini("[agent]", `vxlan_udp_port = ${bad}`),
      "[agent] vxlan_udp_port",
      /must be a port number 1-65535/,
    );
  }
});

test("report_interval is an integer 1-300", () => {
  for (const ok of [1, 300]) {
    assert.equal(parseAgentConfig(ini("[weir]", `report_interval = ${ok}`), FILE).reportInterval, ok);
  }
  for (const bad of ["0", "301", "2.5", "ten"]) {
    rejects(ini("[weir]", `report_interval = ${bad}`), "[weir] report_interval", /must be 1-300 seconds/);
  }
});

test("metrics_listen is HOST:PORT", () => {
  assert.equal(
    parseAgentConfig(ini("[weir]", "metrics_listen = 127.0.0.1:9100"), FILE).metricsListen,
    "127.0.0.1:9100",
  );
  assert.equal(
    parseAgentConfig(ini("[weir]", "metrics_listen = localhost:9100"), FILE).metricsListen,
    "localhost:9100",
  );
  for (const bad of ["9100", ":9100", "localhost:", "localhost:metrics", "localhost:123456"]) {
    rejects(ini("[weir]", `metrics_listen = ${bad}`), "[weir] metrics_listen", /is not HOST:PORT/);
  }
});

test("metrics_listen with a port above 65535 is refused by the configuration, not later by listen()", () => {
  rejects(ini("[weir]", "metrics_listen = 0.0.0.0:99999"), "[weir] metrics_listen", /HOST:PORT/);
});

test("bridge_mappings trims spaces around the colon, as Neutron's parse_mappings does", () => {
  const c = parseAgentConfig(ini("[ovs]", "bridge_mappings = physnet1 :br-eth1, physnet2 : br-eth2"), FILE);
  assert.deepEqual(c.bridgeMappings, { physnet1: "br-eth1", physnet2: "br-eth2" });
});
