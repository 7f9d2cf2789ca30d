// Subnet pools and address scopes, run against each storage backend (server-api-*.test.ts): subnets
// carved from pools by length, default or explicit cidr; Neutron's bounds, quota, scope and in-use
// rules with its codes; IPv4 and IPv6.
import assert from "node:assert/strict";
import { test } from "node:test";
import { network, neutronError } from "./api-suite.ts";
import { type Backend, startServer, type TestServer } from "./server.ts";

async function pool(s: TestServer, body: object) {
  const r = await s.api("POST", "/v2.0/subnetpools", { subnetpool: { name: "pool", ...body } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.subnetpool;
}

const fromPool = (s: TestServer, networkId: string, body: object) =>
  s.api("POST", "/v2.0/subnets", { subnet: { network_id: networkId, ip_version: 4, ...body } });

export function defineSubnetPoolSuite(backend: Backend): void {
  const b = backend.kind;

  test(`[${b}] subnet pools: defaults, compacted prefixes, subnets by prefixlen, default length and cidr, in use`, async (t) => {
    const s = await startServer(t, backend);
    const p = await pool(s, { prefixes: ["198.18.8.0/24", "198.18.9.0/24", "198.18.9.77/25"] });
    assert.deepEqual(p.prefixes, ["198.18.8.0/23"], "adjacent halves joined, host bits dropped");
    assert.equal(p.ip_version, 4);
    assert.equal(p.min_prefixlen, "8", "prefix lengths are strings, as Neutron shows them");
    assert.equal(p.default_prefixlen, "8");
    assert.equal(p.max_prefixlen, "32");
    assert.equal(p.default_quota, null);
    assert.equal(p.is_default, false);
    assert.equal(p.shared, false);
    assert.equal(p.address_scope_id, null);
    assert.equal(p.revision_number, 1);

    const tuned = await s.api("PUT", `/v2.0/subnetpools/${p.id}`, {
      subnetpool: { min_prefixlen: 24, default_prefixlen: 26, max_prefixlen: 28 },
    });
    assert.equal(tuned.status, 200, JSON.stringify(tuned.body));
    assert.equal(tuned.body.subnetpool.default_prefixlen, "26");
    assert.equal(tuned.body.subnetpool.revision_number, 2);

    const net = await network(s);
    const first = await fromPool(s, net.id, { subnetpool_id: p.id });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.subnet.cidr, "198.18.8.0/26", "the default length, lowest block first");
    assert.equal(first.body.subnet.subnetpool_id, p.id);
    assert.equal(first.body.subnet.gateway_ip, "198.18.8.1");
    const second = await fromPool(s, net.id, { subnetpool_id: p.id, prefixlen: 25 });
    assert.equal(second.body.subnet.cidr, "198.18.8.128/25", "aligned past the first");
    const third = await fromPool(s, net.id, { subnetpool_id: p.id, cidr: "198.18.9.16/28" });
    assert.equal(third.status, 201, JSON.stringify(third.body));
    assert.equal(third.body.subnet.cidr, "198.18.9.16/28");

    neutronError(
      await fromPool(s, net.id, { subnetpool_id: p.id, cidr: "198.18.9.16/28" }),
      400,
      "SubnetAllocationError",
      /Cannot allocate requested subnet/,
    );
    neutronError(
      await fromPool(s, net.id, { subnetpool_id: p.id, cidr: "198.18.20.0/24" }),
      400,
      "SubnetAllocationError",
    );
    neutronError(
      await fromPool(s, net.id, { subnetpool_id: p.id, prefixlen: 23 }),
      400,
      "MinPrefixSubnetAllocationError",
      /minimum allowed prefix is 24/,
    );
    neutronError(
      await fromPool(s, net.id, { subnetpool_id: p.id, prefixlen: 29 }),
      400,
      "MaxPrefixSubnetAllocationError",
      /maximum allowed prefix is 28/,
    );
    neutronError(
      await fromPool(s, net.id, { subnetpool_id: p.id, prefixlen: 26, cidr: "198.18.9.64/26" }),
      400,
      "BadRequest",
      /cidr and prefixlen must not be supplied together/,
    );
    neutronError(await fromPool(s, net.id, {}), 400, "BadRequest", /A cidr must be specified/);
    neutronError(
      await fromPool(s, net.id, { cidr: "198.19.99.0/24" }),
      400,
      "BadRequest",
      /same subnet pool/,
    );
    neutronError(
      await fromPool(s, net.id, { subnetpool_id: p.id, ip_version: 6 }),
      400,
      "BadRequest",
      /Cannot allocate IPv6 subnet from IPv4 subnet pool/,
    );

    // Full: /24 + /24 less what is taken leaves no /24.
    neutronError(
      await fromPool(s, net.id, { subnetpool_id: p.id, prefixlen: 24 }),
      400,
      "SubnetAllocationError",
      /Insufficient prefix space/,
    );

    // Prefixes only grow; bounds stay consistent; a pool with subnets is in use.
    neutronError(
      await s.api("PUT", `/v2.0/subnetpools/${p.id}`, { subnetpool: { prefixes: ["198.18.8.0/24"] } }),
      400,
      "IllegalSubnetPoolPrefixUpdate",
    );
    neutronError(
      await s.api("PUT", `/v2.0/subnetpools/${p.id}`, { subnetpool: { default_prefixlen: 29 } }),
      400,
      "IllegalSubnetPoolPrefixBounds",
      /default_prefixlen=29, max_prefixlen=28/,
    );
    const grown = await s.api("PUT", `/v2.0/subnetpools/${p.id}`, {
      subnetpool: { prefixes: ["198.18.8.0/23", "198.18.12.0/24"] },
    });
    assert.deepEqual(grown.body.subnetpool.prefixes, ["198.18.8.0/23", "198.18.12.0/24"]);
    const fourth = await fromPool(s, net.id, { subnetpool_id: p.id, prefixlen: 24 });
    assert.equal(fourth.body.subnet.cidr, "198.18.12.0/24", "the new prefix serves");

    neutronError(await s.api("DELETE", `/v2.0/subnetpools/${p.id}`), 409, "SubnetPoolInUse");
    for (const sub of [first, second, third, fourth])
      assert.equal((await s.api("DELETE", `/v2.0/subnets/${sub.body.subnet.id}`)).status, 204);
    assert.equal((await s.api("DELETE", `/v2.0/subnetpools/${p.id}`)).status, 204);
    neutronError(await s.api("GET", `/v2.0/subnetpools/${p.id}`), 404, "SubnetPoolNotFound");
  });

  test(`[${b}] subnet pools: body checks, the default pool per version, prefix operations, quota, IPv6`, async (t) => {
    const s = await startServer(t, backend);
    const bad = (body: object) => s.api("POST", "/v2.0/subnetpools", { subnetpool: { name: "x", ...body } });
    neutronError(await bad({ prefixes: [] }), 400, "EmptySubnetPoolPrefixList");
    neutronError(await bad({ prefixes: ["198.18.0.0/24", "2001:db8::/48"] }), 400, "PrefixVersionMismatch");
    neutronError(await bad({ prefixes: ["198.18.0.0/33"] }), 400, "HTTPBadRequest", /not a valid IP subnet/);
    neutronError(
      await bad({ prefixes: ["198.18.0.0/16"], min_prefixlen: 24, default_prefixlen: 20 }),
      400,
      "IllegalSubnetPoolPrefixBounds",
    );
    neutronError(
      await bad({ prefixes: ["198.18.0.0/16"], max_prefixlen: 33 }),
      400,
      "IllegalSubnetPoolPrefixBounds",
    );
    assert.equal((await s.api("GET", "/v2.0/subnetpools")).body.subnetpools.length, 0, "nothing was made");

    // One default per IP version; use_default_subnetpool allocates from it.
    const v4 = await pool(s, { prefixes: ["198.18.64.0/20"], default_prefixlen: 24, is_default: true });
    neutronError(
      await bad({ prefixes: ["198.18.96.0/20"], is_default: true }),
      400,
      "BadRequest",
      /default subnetpool/,
    );
    const v6 = await pool(s, { prefixes: ["2001:db8:100::/48"], is_default: true, default_quota: 2 });
    assert.equal(v6.ip_version, 6);
    assert.equal(v6.min_prefixlen, "64");
    assert.equal(v6.max_prefixlen, "128");
    const net = await network(s);
    const auto = await fromPool(s, net.id, { use_default_subnetpool: true });
    assert.equal(auto.status, 201, JSON.stringify(auto.body));
    assert.equal(auto.body.subnet.cidr, "198.18.64.0/24");
    assert.equal(auto.body.subnet.subnetpool_id, v4.id);

    // Quota: IPv6 counts /64s per project.
    const v6net = await network(s, { name: "v6" });
    const a = await fromPool(s, v6net.id, { ip_version: 6, subnetpool_id: v6.id });
    assert.equal(a.body.subnet.cidr, "2001:db8:100::/64");
    assert.equal((await fromPool(s, v6net.id, { ip_version: 6, subnetpool_id: v6.id })).status, 201);
    neutronError(
      await fromPool(s, v6net.id, { ip_version: 6, subnetpool_id: v6.id }),
      409,
      "SubnetPoolQuotaExceeded",
    );
    const other = await fromPool(s, v6net.id, { ip_version: 6, subnetpool_id: v6.id, project_id: "p-other" });
    assert.equal(other.status, 201, "the quota is per project");

    // add_prefixes / remove_prefixes.
    const added = await s.api("PUT", `/v2.0/subnetpools/${v4.id}/add_prefixes`, {
      prefixes: ["198.18.80.0/20", "198.18.200.0/24"],
    });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.deepEqual(added.body.prefixes, ["198.18.64.0/19", "198.18.200.0/24"]);
    neutronError(
      await s.api("PUT", `/v2.0/subnetpools/${v4.id}/remove_prefixes`, { prefixes: ["198.18.64.0/24"] }),
      400,
      "IllegalSubnetPoolPrefixUpdate",
      /198\.18\.64\.0\/24/,
    );
    const removed = await s.api("PUT", `/v2.0/subnetpools/${v4.id}/remove_prefixes`, {
      prefixes: ["198.18.80.0/20"],
    });
    assert.deepEqual(removed.body.prefixes, ["198.18.64.0/20", "198.18.200.0/24"]);
    const shown = await s.api("GET", `/v2.0/subnetpools/${v4.id}`);
    assert.deepEqual(shown.body.subnetpool.prefixes, ["198.18.64.0/20", "198.18.200.0/24"]);
    neutronError(
      await s.api("PUT", `/v2.0/subnetpools/${v4.id}/add_prefixes`, { prefixes: "198.18.0.0/24" }),
      400,
      "HTTPBadRequest",
    );

    // Filters and fields as on other resources.
    const byVersion = await s.api("GET", "/v2.0/subnetpools?ip_version=6&fields=id&fields=prefixes");
    assert.deepEqual(byVersion.body.subnetpools, [{ id: v6.id, prefixes: ["2001:db8:100::/48"] }]);
  });

  test(`[${b}] address scopes: pools of one scope never overlap, versions match, networks show their scope`, async (t) => {
    const s = await startServer(t, backend);
    const made = await s.api("POST", "/v2.0/address-scopes", {
      address_scope: { name: "scope", ip_version: 4 },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const scope = made.body.address_scope;
    assert.equal(scope.shared, false);
    assert.equal(scope.ip_version, 4);
    neutronError(
      await s.api("POST", "/v2.0/address-scopes", { address_scope: { name: "x", ip_version: 5 } }),
      400,
      "HTTPBadRequest",
    );

    const a = await pool(s, {
      prefixes: ["198.18.32.0/24"],
      address_scope_id: scope.id,
      default_prefixlen: 26,
    });
    assert.equal(a.address_scope_id, scope.id);
    neutronError(
      await s.api("POST", "/v2.0/subnetpools", {
        subnetpool: { name: "b", prefixes: ["198.18.32.128/25"], address_scope_id: scope.id },
      }),
      409,
      "AddressScopePrefixConflict",
    );
    const b2 = await pool(s, { prefixes: ["198.18.32.128/25"] });
    neutronError(
      await s.api("PUT", `/v2.0/subnetpools/${b2.id}`, { subnetpool: { address_scope_id: scope.id } }),
      409,
      "AddressScopePrefixConflict",
    );
    const v6 = await pool(s, { prefixes: ["2001:db8:7::/48"] });
    neutronError(
      await s.api("PUT", `/v2.0/subnetpools/${v6.id}`, { subnetpool: { address_scope_id: scope.id } }),
      400,
      "IllegalSubnetPoolIpVersionAssociationToAddressScope",
    );
    neutronError(
      await s.api("PUT", `/v2.0/subnetpools/${v6.id}`, {
        subnetpool: { address_scope_id: "00000000-0000-4000-8000-000000000000" },
      }),
      404,
      "AddressScopeNotFound",
    );

    const net = await network(s);
    assert.equal((await fromPool(s, net.id, { subnetpool_id: a.id })).status, 201);
    const shown = (await s.api("GET", `/v2.0/networks/${net.id}`)).body.network;
    assert.equal(shown.ipv4_address_scope, scope.id);
    assert.equal(shown.ipv6_address_scope, null);
    const listed = (await s.api("GET", "/v2.0/networks")).body.networks.find((n: any) => n.id === net.id);
    assert.equal(listed.ipv4_address_scope, scope.id);

    neutronError(await s.api("DELETE", `/v2.0/address-scopes/${scope.id}`), 409, "AddressScopeInUse");
    const cleared = await s.api("PUT", `/v2.0/subnetpools/${a.id}`, {
      subnetpool: { address_scope_id: null },
    });
    assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
    assert.equal(cleared.body.subnetpool.address_scope_id, null);
    assert.equal((await s.api("GET", `/v2.0/networks/${net.id}`)).body.network.ipv4_address_scope, null);
    assert.equal((await s.api("DELETE", `/v2.0/address-scopes/${scope.id}`)).status, 204);
  });
}
