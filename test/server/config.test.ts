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
