import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultServerConfig, parseServerConfig } from "../../src/server/index.ts";

test("Neutron's ml2_conf.ini keys are read; defaults fill the rest", () => {
  const config = parseServerConfig(
    [
      "[DEFAULT]",
      "agent_down_time = 30",
      "[ml2]",
      "type_drivers = flat,vlan,vxlan",
      "tenant_network_types = vlan,vxlan",
      "[ml2_type_flat]",
      "flat_networks = external",
      "[ml2_type_vlan]",
      "network_vlan_ranges = physnet1:100:199,physnet2:1000:1099,provider",
      "[ml2_type_vxlan]",
      "vni_ranges = 1:1000, 2000:3000",
      "[weir]",
      "admin_token = s",
    ].join("\n"),
  );
  assert.equal(config.agentDownTime, 30);
  assert.deepEqual(config.tenantNetworkTypes, ["vlan", "vxlan"]);
  assert.deepEqual(config.flatNetworks, ["external"]);
  assert.deepEqual(config.vlanRanges, [
    { physicalNetwork: "physnet1", range: [100, 199] },
    { physicalNetwork: "physnet2", range: [1000, 1099] },
    { physicalNetwork: "provider" },
  ]);
  assert.deepEqual(config.vniRanges.vxlan, [
    [1, 1000],
    [2000, 3000],
  ]);
  assert.deepEqual(config.vniRanges.gre, defaultServerConfig.vniRanges.gre);
  assert.equal(config.adminToken, "s");
});

test("mistakes name the file, section and key", () => {
  const cases: [string, RegExp][] = [
    ["[ml3]\nx = 1", /server\.ini \[ml3\]: unknown section/],
    ["[ml2]\ntenant_network_type = vxlan", /server\.ini \[ml2\] tenant_network_type: unknown key/],
    ["[ml2]\ntenant_network_types = flat", /tenant_network_types: flat networks cannot be tenant networks/],
    [
      "[ml2]\ntype_drivers = vxlan\ntenant_network_types = vlan",
      /tenant_network_types: vlan is not in type_drivers/,
    ],
    ["[ml2_type_vxlan]\nvni_ranges = 5:1", /vni_ranges: "5:1" is not a range/],
    [
      "[ml2_type_vlan]\nnetwork_vlan_ranges = physnet1:1:5000",
      /network_vlan_ranges: "1:5000" is not a range LOW:HIGH within 1:4094/,
    ],
    ["agent_down_time = soon", /\[DEFAULT\] agent_down_time: must be a whole number/],
  ];
  for (const [text, message] of cases) assert.throws(() => parseServerConfig(text), message, text);
});

test("auth_strategy and [keystone_authtoken] as a Neutron operator writes them; mistakes name the key", () => {
  const config = parseServerConfig(
    [
      "[DEFAULT]",
      "auth_strategy = keystone",
      "[keystone_authtoken]",
      "www_authenticate_uri = http://controller:5000",
      "auth_url = http://controller:5000",
      "memcached_servers = controller:11211",
      "auth_type = password",
      "project_domain_name = Default",
      "user_domain_name = Default",
      "project_name = service",
      "username = neutron",
      "password = NEUTRON_PASS",
    ].join("\n"),
    "neutron.conf",
  );
  assert.deepEqual(config.auth, {
    strategy: "keystone",
    service: {
      authUrl: "http://controller:5000",
      username: "neutron",
      password: "NEUTRON_PASS",
      projectName: "service",
      userDomainName: "Default",
      projectDomainName: "Default",
    },
    wwwAuthenticateUri: "http://controller:5000",
    tokenCacheTime: 300,
    timeoutS: 10,
    maxRetries: 3,
    serviceTokenRoles: ["service"],
    serviceTokenRolesRequired: true,
  });
  assert.deepEqual(config.ignoredAuthKeys, ["memcached_servers"]);
  assert.equal(parseServerConfig("").auth.strategy, "token");
  assert.equal(parseServerConfig("[DEFAULT]\nauth_strategy = noauth").auth.strategy, "noauth");
  const keystone = ["[DEFAULT]", "auth_strategy = keystone", "[keystone_authtoken]"];
  for (const [lines, message] of [
    [
      ["[DEFAULT]", "auth_strategy = ldap"],
      /neutron.conf \[DEFAULT\] auth_strategy: "ldap" is not an auth strategy/,
    ],
    [keystone, /\[keystone_authtoken\] auth_url: is required with auth_strategy = keystone/],
    [[...keystone, "auth_url = controller:5000"], /auth_url: "controller:5000" is not an http\(s\) URL/],
    [
      [...keystone, "auth_url = http://k:5000", "username = n"],
      /\[keystone_authtoken\] password: is required/,
    ],
    [[...keystone, "auth_url = http://k:5000", "auth_type = token"], /auth_type: "token": only password/],
    [
      [...keystone, "auth_url = http://k:5000", "delay_auth_decision = true"],
      /delay_auth_decision: true is not supported/,
    ],
    [
      [...keystone, "auth_url = http://k:5000", "token_cachetime = 5"],
      /\[keystone_authtoken\] token_cachetime/,
    ],
    [["[oslo_policy]", "enforce_scope = false"], /\[oslo_policy\] enforce_scope: only true/],
  ] as [string[], RegExp][])
    assert.throws(() => parseServerConfig(lines.join("\n"), "neutron.conf"), message, lines.join(" | "));
});

test("[oslo_policy] policy_file: overrides by Neutron's rule names; a bad file or rule stops the start", async (t) => {
  const { mkdtemp, rm, writeFile } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = await mkdtemp(join(tmpdir(), "weir-test-policy-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "policy.yaml"), '"create_network": "role:admin"\n');
  await writeFile(join(dir, "typo.yaml"), '"create_netwrk": "role:admin"\n');
  await writeFile(join(dir, "broken.yaml"), '"create_network": "role:admin or"\n');
  const conf = (file: string) =>
    parseServerConfig(`[oslo_policy]\npolicy_file = ${file}`, join(dir, "neutron.conf"));
  const { callerOf } = await import("../../src/server/internal.ts");
  const member = callerOf("p1", ["member", "reader"], "u", false);
  assert.ok(!conf("policy.yaml").policy.allows("create_network", member, { project_id: "p1" }));
  assert.ok(defaultServerConfig.policy.allows("create_network", member, { project_id: "p1" }));
  assert.throws(() => conf("typo.yaml"), /typo.yaml: "create_netwrk" is not a rule of this server/);
  assert.throws(
    () => conf("broken.yaml"),
    /broken.yaml: rule "create_network": ends where a check was expected/,
  );
  assert.throws(() => conf("missing.yaml"), /missing.yaml: cannot read the policy file/);
});

test("[QUOTAS]: Neutron's defaults, -1 for unlimited, anything else below -1 refused", () => {
  assert.deepEqual(parseServerConfig("").quotaDefaults, {
    network: 100,
    subnet: 100,
    port: 500,
    security_group: 10,
    security_group_rule: 100,
    rbac_policy: 10,
    router: 10,
    floatingip: 50,
  });
  const c = parseServerConfig("[QUOTAS]\nquota_port = -1\nquota_network = 3");
  assert.equal(c.quotaDefaults.port, -1);
  assert.equal(c.quotaDefaults.network, 3);
  assert.throws(
    () => parseServerConfig("[QUOTAS]\nquota_port = -2", "n.conf"),
    /n.conf \[QUOTAS\] quota_port: must be a whole number from -1/,
  );
  assert.throws(
    () => parseServerConfig("[QUOTAS]\nquota_port = 1.5", "n.conf"),
    /quota_port: must be a whole number/,
  );
});
