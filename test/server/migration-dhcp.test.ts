// Migration 7 on a database made by the previous schema (6): existing subnets get no IPv6 modes,
// existing ports no extra DHCP options, and both can be used at once.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import { migrations } from "../../src/server/internal.ts";
import { startServer } from "../support/server.ts";

const NET = "11111111-1111-4111-8111-111111111111";
const SUBNET = "22222222-2222-4222-8222-222222222222";
const PORT = "33333333-3333-4333-8333-333333333333";
const PROJECT = "44444444444444444444444444444444";
const AT = "2026-01-01T00:00:00Z";

/** A weir.db as a server of schema version 6 left it, with a network, a v6 subnet and a port. */
function previousDatabase(dir: string): void {
  const db = new DatabaseSync(join(dir, "weir.db"));
  db.exec(
    "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)",
  );
  for (const m of migrations.filter((m) => m.version <= 6)) {
    for (const statement of m.statements("sqlite")) db.exec(statement);
    db.prepare("INSERT INTO schema_migrations VALUES (?, ?, ?)").run(m.version, m.description, AT);
  }
  db.prepare(
    `INSERT INTO networks (id, name, description, project_id, admin_state_up, shared, mtu, status, port_security_enabled,
      network_type, physical_network, segmentation_id, revision_number, created_at, updated_at)
     VALUES (?, 'old', '', ?, 1, 0, 1450, 'ACTIVE', 1, 'vxlan', NULL, 7, 2, ?, ?)`,
  ).run(NET, PROJECT, AT, AT);
  db.prepare(
    `INSERT INTO subnets (id, network_id, name, description, project_id, ip_version, cidr, gateway_ip, enable_dhcp,
      allocation_pools, dns_nameservers, host_routes, revision_number, created_at, updated_at)
     VALUES (?, ?, 'old-v6', '', ?, 6, '2001:db8:9::/64', '2001:db8:9::1', 1,
      '[{"start":"2001:db8:9::2","end":"2001:db8:9::ffff:ffff:ffff:ffff"}]', '[]', '[]', 1, ?, ?)`,
  ).run(SUBNET, NET, PROJECT, AT, AT);
  db.prepare(
    `INSERT INTO ports (id, network_id, name, description, project_id, mac_address, admin_state_up, status, device_id,
      device_owner, port_security_enabled, allowed_address_pairs, binding_host_id, binding_vnic_type, binding_profile,
      binding_vif_type, binding_vif_details, revision_number, created_at, updated_at)
     VALUES (?, ?, 'old-port', '', ?, 'fa:16:3e:00:00:01', 1, 'DOWN', '', '', 1, '[]', '', 'normal', '{}', 'unbound',
      '{}', 1, ?, ?)`,
  ).run(PORT, NET, PROJECT, AT, AT);
  db.close();
}

test("migration 7: a version-6 database's subnets have no IPv6 modes, its ports no extra DHCP options", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "weir-migration-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  previousDatabase(dir);
  const s = await startServer(t, { kind: "sqlite" }, { dataDir: dir });
  const versions = await s.store.query.all<{ version: number }>(
    "SELECT version FROM schema_migrations ORDER BY version",
  );
  assert.deepEqual(
    versions.map((v) => Number(v.version)),
    migrations.map((m) => m.version),
  );
  assert.ok(migrations.some((m) => m.version === 7));
  const subnet = (await s.api("GET", `/v2.0/subnets/${SUBNET}`)).body.subnet;
  assert.deepEqual([subnet.name, subnet.ipv6_address_mode, subnet.ipv6_ra_mode], ["old-v6", null, null]);
  const port = (await s.api("GET", `/v2.0/ports/${PORT}`)).body.port;
  assert.deepEqual([port.name, port.extra_dhcp_opts], ["old-port", []]);
  const updated = await s.api("PUT", `/v2.0/ports/${PORT}`, {
    port: { extra_dhcp_opts: [{ opt_name: "mtu", opt_value: "1400" }] },
  });
  assert.equal(updated.status, 200, JSON.stringify(updated.body));
  assert.deepEqual(updated.body.port.extra_dhcp_opts, [
    { opt_name: "mtu", opt_value: "1400", ip_version: 4 },
  ]);
  const slaac = await s.api("POST", "/v2.0/subnets", {
    subnet: { network_id: NET, cidr: "2001:db8:a::/64", ipv6_address_mode: "slaac" },
  });
  assert.equal(slaac.status, 201, JSON.stringify(slaac.body));
  assert.equal(slaac.body.subnet.ipv6_address_mode, "slaac");
});
