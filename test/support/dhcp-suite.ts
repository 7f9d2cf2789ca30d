// Subnets' IPv6 modes, ports' extra DHCP options, and DHCP on the agent channel (test/server/dhcp.test.ts
// runs it on SQLite, server-api-postgres.test.ts on PostgreSQL): Neutron's checks and messages, and what
// each kind of agent is sent — agents without `dhcp` get exactly what they got before.
import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultServerConfig } from "../../src/server/index.ts";
import { callerOf, updatePort } from "../../src/server/internal.ts";
import { agentConfig, network, neutronError, port, registerAgent, subnet } from "./api-suite.ts";
import { drain, first, kinds, streamFrom, untilMarker } from "./qos-agent-suite.ts";
import { type Backend, startServer, type TestServer } from "./server.ts";

const invalid = (r: { status: number; body: any }, message: string) =>
  neutronError(
    r,
    400,
    "InvalidInput",
    new RegExp(`^${reEscape(`Invalid input for operation: ${message}.`)}$`),
  );
const badRequest = (r: { status: number; body: any }, message: string) =>
  neutronError(r, 400, "HTTPBadRequest", new RegExp(`^${reEscape(message)}$`));
const reEscape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const OTHER = "22222222222222222222222222222222";

const count = async (s: TestServer, table: "subnets" | "ports" | "extra_dhcp_opts") =>
  Number((await s.store.query.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))!.n);

export function defineDhcpSuite(backend: Backend): void {
  const b = backend.kind;

  test(`[${b}] subnets' IPv6 modes: stored, shown, checked as Neutron does; not updatable`, async (t) => {
    const s = await startServer(t, backend);
    const n = await network(s);
    const slaac = await subnet(s, n.id, "2001:db8:5::/64", {
      ipv6_ra_mode: "slaac",
      ipv6_address_mode: "slaac",
    });
    assert.deepEqual([slaac.ipv6_ra_mode, slaac.ipv6_address_mode], ["slaac", "slaac"]);
    const stateful = await subnet(s, n.id, "2001:db8:6::/80", { ipv6_address_mode: "dhcpv6-stateful" });
    assert.deepEqual([stateful.ipv6_ra_mode, stateful.ipv6_address_mode], [null, "dhcpv6-stateful"]);
    const none = await subnet(s, n.id, "2001:db8:7::/64", { ipv6_ra_mode: null });
    assert.deepEqual([none.ipv6_ra_mode, none.ipv6_address_mode], [null, null]);
    const shown = (await s.api("GET", `/v2.0/subnets/${slaac.id}`)).body.subnet;
    assert.deepEqual([shown.ipv6_ra_mode, shown.ipv6_address_mode], ["slaac", "slaac"]);
    const listed = (await s.api("GET", `/v2.0/subnets?network_id=${n.id}&fields=id&fields=ipv6_address_mode`))
      .body.subnets;
    assert.deepEqual(
      listed.sort((x: any, y: any) => (x.id < y.id ? -1 : 1)),
      [
        { id: slaac.id, ipv6_address_mode: "slaac" },
        { id: stateful.id, ipv6_address_mode: "dhcpv6-stateful" },
        { id: none.id, ipv6_address_mode: null },
      ].sort((x, y) => (x.id < y.id ? -1 : 1)),
    );

    const before = await count(s, "subnets");
    const create = (cidr: string, extra: object) =>
      s.api("POST", "/v2.0/subnets", { subnet: { network_id: n.id, cidr, ...extra } });
    badRequest(
      await create("2001:db8:8::/64", { ip_version: 5 }),
      "Invalid input for ip_version. Reason: 5 is not in valid_values.",
    );
    invalid(await create("2001:db8:8::/64", { ip_version: "six" }), "'six' is not an integer");
    badRequest(
      await create("2001:db8:8::/64", { ipv6_ra_mode: "stateless" }),
      "Invalid input for ipv6_ra_mode. Reason: stateless is not in valid_values.",
    );
    badRequest(
      await create("2001:db8:8::/64", { ipv6_address_mode: 6 }),
      "Invalid input for ipv6_address_mode. Reason: 6 is not in valid_values.",
    );
    invalid(
      await create("198.19.8.0/24", { ip_version: 4, ipv6_ra_mode: "slaac", ipv6_address_mode: "slaac" }),
      "ipv6_ra_mode is not valid when ip_version is 4",
    );
    invalid(
      await create("198.19.8.0/24", { ipv6_address_mode: "dhcpv6-stateful" }),
      "ipv6_address_mode is not valid when ip_version is 4",
    );
    invalid(
      await create("2001:db8:8::/64", { ipv6_ra_mode: "dhcpv6-stateless", ipv6_address_mode: "slaac" }),
      "ipv6_ra_mode set to 'dhcpv6-stateless' with ipv6_address_mode set to 'slaac' is not valid. If both attributes are set, they must be the same value",
    );
    invalid(
      await create("2001:db8:8::/64", { ipv6_ra_mode: "slaac", enable_dhcp: false }),
      "ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False",
    );
    for (const modes of [{ ipv6_address_mode: "slaac" }, { ipv6_ra_mode: "dhcpv6-stateless" }])
      invalid(
        await create("2001:db8:8::/80", modes),
        "Invalid CIDR 2001:db8:8::/80 for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64",
      );
    assert.equal(await count(s, "subnets"), before, "refused creates made nothing");

    // Neutron's allow_put False: the modes stay as created; DHCP stays on while they are set.
    badRequest(
      await s.api("PUT", `/v2.0/subnets/${slaac.id}`, { subnet: { ipv6_ra_mode: "dhcpv6-stateful" } }),
      "Cannot update read-only attribute ipv6_ra_mode",
    );
    badRequest(
      await s.api("PUT", `/v2.0/subnets/${slaac.id}`, { subnet: { name: "x", ipv6_address_mode: null } }),
      "Cannot update read-only attribute ipv6_address_mode",
    );
    invalid(
      await s.api("PUT", `/v2.0/subnets/${slaac.id}`, { subnet: { enable_dhcp: false } }),
      "Cannot disable enable_dhcp with ipv6 attributes set",
    );
    const after = (await s.api("GET", `/v2.0/subnets/${slaac.id}`)).body.subnet;
    assert.deepEqual(
      [after.name, after.enable_dhcp, after.ipv6_ra_mode, after.revision_number],
      ["", true, "slaac", slaac.revision_number],
    );
    const renamed = await s.api("PUT", `/v2.0/subnets/${none.id}`, { subnet: { enable_dhcp: false } });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
  });

  test(`[${b}] subnets' host routes (sent to DHCP agents): Neutron's checks, the next hop canonical`, async (t) => {
    const s = await startServer(t, backend);
    const n = await network(s);
    const made = await subnet(s, n.id, "2001:db8:9::/64", {
      host_routes: [{ destination: "2001:db8:99::/64", nexthop: "2001:DB8:9:0::fe" }],
    });
    assert.deepEqual(made.host_routes, [{ destination: "2001:db8:99::/64", nexthop: "2001:db8:9::fe" }]);
    const before = await count(s, "subnets");
    const routed = (host_routes: object[]) =>
      s.api("POST", "/v2.0/subnets", { subnet: { network_id: n.id, cidr: "198.19.9.0/24", host_routes } });
    badRequest(
      await routed([{ destination: "198.19.99.1/24", nexthop: "198.19.9.1" }]),
      "Invalid input for host_routes. Reason: '198.19.99.1/24' isn't a recognized IP subnet cidr, '198.19.99.0/24' is recommended.",
    );
    badRequest(
      await routed([{ destination: "198.19.99.0/24", nexthop: "gateway" }]),
      "Invalid input for host_routes. Reason: 'gateway' is not a valid IP address.",
    );
    const route = { destination: "198.19.99.0/24", nexthop: "198.19.9.1" };
    badRequest(
      await routed([route, route]),
      "Invalid input for host_routes. Reason: Duplicate hostroute '{'destination': '198.19.99.0/24', 'nexthop': '198.19.9.1'}'.",
    );
    invalid(
      await routed([{ destination: "198.19.99.0/24", nexthop: "2001:db8:9::1" }]),
      "nexthop '2001:db8:9::1' does not match the ip_version '4'",
    );
    assert.equal(await count(s, "subnets"), before);
    invalid(
      await s.api("PUT", `/v2.0/subnets/${made.id}`, {
        subnet: { host_routes: [{ destination: "198.19.99.0/24", nexthop: "2001:db8:9::1" }] },
      }),
      "destination '198.19.99.0/24' does not match the ip_version '6'",
    );
  });

  test(`[${b}] ports' extra_dhcp_opts: created, shown, listed, merged on update, deleted with the port`, async (t) => {
    const s = await startServer(t, backend);
    const n = await network(s);
    await subnet(s, n.id, "198.19.20.0/24");
    const p = await port(s, n.id, {
      extra_dhcp_opts: [
        { opt_name: "bootfile-name", opt_value: "pxelinux.0" },
        { opt_name: "tftp-server", opt_value: "2001:db8::1", ip_version: "6" },
        { opt_name: "router", opt_value: "" },
        { opt_name: "mtu", opt_value: null },
      ],
    });
    const created = [
      { opt_name: "bootfile-name", opt_value: "pxelinux.0", ip_version: 4 },
      { opt_name: "router", opt_value: "", ip_version: 4 },
      { opt_name: "tftp-server", opt_value: "2001:db8::1", ip_version: 6 },
    ];
    assert.deepEqual(
      p.extra_dhcp_opts,
      created,
      "ip_version 4 by default; a new option without a value is none",
    );
    assert.deepEqual((await s.api("GET", `/v2.0/ports/${p.id}`)).body.port.extra_dhcp_opts, created);
    const other = await port(s, n.id);
    assert.deepEqual(other.extra_dhcp_opts, []);
    const listed = (await s.api("GET", `/v2.0/ports?network_id=${n.id}&fields=id&fields=extra_dhcp_opts`))
      .body.ports;
    assert.deepEqual(Object.fromEntries(listed.map((l: any) => [l.id, l])), {
      [p.id]: { id: p.id, extra_dhcp_opts: created },
      [other.id]: { id: other.id, extra_dhcp_opts: [] },
    });

    // Each given option replaces the one of its name and IP version; null removes it; the rest stay.
    const updated = await s.api("PUT", `/v2.0/ports/${p.id}`, {
      port: {
        extra_dhcp_opts: [
          { opt_name: "bootfile-name", opt_value: "pxelinux.77" },
          { opt_name: "tftp-server", opt_value: null, ip_version: 6 },
          { opt_name: "tftp-server", opt_value: null },
          { opt_name: "mtu", opt_value: "1400" },
          { opt_name: "26", opt_value: "1280", ip_version: 6 },
        ],
      },
    });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    const merged = [
      { opt_name: "bootfile-name", opt_value: "pxelinux.77", ip_version: 4 },
      { opt_name: "mtu", opt_value: "1400", ip_version: 4 },
      { opt_name: "router", opt_value: "", ip_version: 4 },
      { opt_name: "26", opt_value: "1280", ip_version: 6 },
    ];
    assert.deepEqual(updated.body.port.extra_dhcp_opts, merged);
    assert.ok(updated.body.port.revision_number > p.revision_number, "a change of options is a new revision");
    // [] and null change nothing (Neutron's update ignores an empty list).
    for (const value of [[], null]) {
      const same = await s.api("PUT", `/v2.0/ports/${p.id}`, { port: { extra_dhcp_opts: value } });
      assert.deepEqual(same.body.port.extra_dhcp_opts, merged);
    }

    // Bad options: Neutron's InvalidInput, nothing changed.
    const bad = async (value: unknown, message: string) => {
      const ports = await count(s, "ports");
      const opts = await count(s, "extra_dhcp_opts");
      const onCreate = await s.api("POST", "/v2.0/ports", {
        port: { network_id: n.id, extra_dhcp_opts: value },
      });
      const onUpdate = await s.api("PUT", `/v2.0/ports/${p.id}`, {
        port: { name: "changed", extra_dhcp_opts: value },
      });
      for (const r of [onCreate, onUpdate]) invalid(r, message);
      assert.deepEqual([await count(s, "ports"), await count(s, "extra_dhcp_opts")], [ports, opts]);
      const now = (await s.api("GET", `/v2.0/ports/${p.id}`)).body.port;
      assert.deepEqual([now.name, now.extra_dhcp_opts], ["", merged]);
    };
    await bad("mtu=1400", "'mtu=1400' is not a list");
    await bad(
      [
        { opt_name: "mtu", opt_value: "1500" },
        { opt_name: "mtu", opt_value: "1500" },
      ],
      "Duplicate items in the list: '{'opt_name': 'mtu', 'opt_value': '1500'}'",
    );
    await bad(
      [{ opt_name: "mtu", opt_value: "" }],
      "No valid key specs matched for: {'opt_name': 'mtu', 'opt_value': ''}",
    );
    await bad(
      [{ opt_name: "mtu", opt_value: "  " }],
      "No valid key specs matched for: {'opt_name': 'mtu', 'opt_value': '  '}",
    );
    await bad(
      [{ opt_name: "mtu", opt_value: "1\n2" }],
      "No valid key specs matched for: {'opt_name': 'mtu', 'opt_value': '1\\n2'}",
    );
    await bad([{ opt_name: "mtu" }], "No valid key specs matched for: {'opt_name': 'mtu'}");
    await bad(
      [{ opt_name: "mtu", opt_value: "1500", tag: "x" }],
      "No valid key specs matched for: {'opt_name': 'mtu', 'opt_value': '1500', 'tag': 'x'}",
    );
    await bad(
      [{ opt_name: "mtu", opt_value: "1500", ip_version: 5 }],
      "No valid key specs matched for: {'opt_name': 'mtu', 'opt_value': '1500', 'ip_version': 5}",
    );
    await bad([{ opt_name: "mtu", opt_value: "1500", ip_version: "v6" }], "'v6' is not an integer");
    await bad(
      [{ opt_name: "x".repeat(65), opt_value: "1" }],
      `No valid key specs matched for: {'opt_name': '${"x".repeat(65)}', 'opt_value': '1'}`,
    );
    await bad(
      [{ opt_name: "router", opt_value: 7 }],
      "No valid key specs matched for: {'opt_name': 'router', 'opt_value': 7}",
    );
    await bad(["mtu"], "No valid key specs matched for: mtu");
    // Two new options of one name and version: Neutron's unique key refuses the second (409).
    const twoNew = [
      { opt_name: "domain-search", opt_value: "a.example" },
      { opt_name: "domain-search", opt_value: "b.example" },
    ];
    const before = [await count(s, "ports"), await count(s, "extra_dhcp_opts")];
    const dupCreate = await s.api("POST", "/v2.0/ports", {
      port: { network_id: n.id, extra_dhcp_opts: twoNew },
    });
    const dupUpdate = await s.api("PUT", `/v2.0/ports/${p.id}`, { port: { extra_dhcp_opts: twoNew } });
    for (const r of [dupCreate, dupUpdate])
      neutronError(
        r,
        409,
        "NeutronDbObjectDuplicateEntry",
        /^Failed to create a duplicate ExtraDhcpOpt: for attribute\(s\) \['port_id', 'opt_name', 'ip_version'\] with value\(s\) [0-9a-f-]{36}-domain-search-4$/,
      );
    assert.deepEqual([await count(s, "ports"), await count(s, "extra_dhcp_opts")], before);
    // An existing option named twice takes the last value (both name the row that exists).
    const twice = await s.api("PUT", `/v2.0/ports/${p.id}`, {
      port: {
        extra_dhcp_opts: [
          { opt_name: "mtu", opt_value: "1450" },
          { opt_name: "mtu", opt_value: "1400" },
        ],
      },
    });
    assert.deepEqual(twice.body.port.extra_dhcp_opts, merged);

    // Bulk: every item's options, all or nothing.
    const bulk = await s.api("POST", "/v2.0/ports", {
      ports: [
        { network_id: n.id, extra_dhcp_opts: [{ opt_name: "mtu", opt_value: "9000" }] },
        { network_id: n.id, extra_dhcp_opts: [{ opt_name: "classless-static-route", opt_value: "" }] },
      ],
    });
    assert.equal(bulk.status, 201, JSON.stringify(bulk.body));
    assert.deepEqual(
      bulk.body.ports.map((q: any) => q.extra_dhcp_opts),
      [
        [{ opt_name: "mtu", opt_value: "9000", ip_version: 4 }],
        [{ opt_name: "classless-static-route", opt_value: "", ip_version: 4 }],
      ],
    );
    const ports = await count(s, "ports");
    const half = await s.api("POST", "/v2.0/ports", {
      ports: [
        { network_id: n.id, extra_dhcp_opts: [{ opt_name: "mtu", opt_value: "9000" }] },
        { network_id: n.id, extra_dhcp_opts: [{ opt_name: "mtu", opt_value: "" }] },
      ],
    });
    invalid(half, "No valid key specs matched for: {'opt_name': 'mtu', 'opt_value': ''}");
    assert.equal(await count(s, "ports"), ports);

    // The options go with their port.
    assert.equal((await s.api("DELETE", `/v2.0/ports/${p.id}`)).status, 204);
    const left = await s.store.query.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM extra_dhcp_opts WHERE port_id = ?",
      [p.id],
    );
    assert.equal(Number(left!.n), 0);
  });

  test(`[${b}] extra_dhcp_opts and projects: a member sets its own port's, another project's port is not found`, async (t) => {
    const s = await startServer(t, backend);
    const ctx = { config: defaultServerConfig, store: s.store, now: () => new Date() };
    const member = callerOf(OTHER, ["member", "reader"], undefined, false);
    const theirs = await network(s, { project_id: OTHER });
    const own = await port(s, theirs.id, { project_id: OTHER });
    const admins = await port(s, (await network(s)).id);
    const opts = [{ optName: "mtu", optValue: "1400", ipVersion: 4 as const }];
    const updated = await s.store.write((tx) => updatePort(tx, ctx, member, own.id, { extraDhcpOpts: opts }));
    assert.equal(updated.revision_number, own.revision_number + 1);
    assert.deepEqual((await s.api("GET", `/v2.0/ports/${own.id}`)).body.port.extra_dhcp_opts, [
      { opt_name: "mtu", opt_value: "1400", ip_version: 4 },
    ]);
    await assert.rejects(
      s.store.write((tx) => updatePort(tx, ctx, member, admins.id, { extraDhcpOpts: opts })),
      { type: "PortNotFound" },
    );
    assert.deepEqual((await s.api("GET", `/v2.0/ports/${admins.id}`)).body.port.extra_dhcp_opts, []);
  });

  test(`[${b}] auto-address subnets: ports get the EUI-64 address of their MAC, as Neutron's IPAM gives it`, async (t) => {
    const s = await startServer(t, backend);
    await registerAgent(s, "d1", agentConfig({ extensions: ["dhcp"] }));
    const n = await network(s);
    const v4 = await subnet(s, n.id, "198.19.40.0/24");
    const slaac = await subnet(s, n.id, "2001:db8:40::/64", {
      ipv6_address_mode: "slaac",
      ipv6_ra_mode: "slaac",
    });
    const stateful = await subnet(s, n.id, "2001:db8:41::/64", { ipv6_address_mode: "dhcpv6-stateful" });
    const ipsOf = (p: any) =>
      Object.fromEntries(p.fixed_ips.map((f: any) => [f.subnet_id, f.ip_address])) as Record<string, string>;
    const eui = "2001:db8:40:0:f816:3eff:fe11:2233";

    const a = await port(s, n.id, { mac_address: "fa:16:3e:11:22:33" });
    assert.deepEqual(ipsOf(a), { [v4.id]: "198.19.40.2", [slaac.id]: eui, [stateful.id]: "2001:db8:41::2" });
    // Whatever else the port asks for, it gets its EUI-64 address; only that one may be asked for.
    const b4 = await port(s, n.id, { mac_address: "fa:16:3e:11:22:34", fixed_ips: [{ subnet_id: v4.id }] });
    assert.deepEqual(ipsOf(b4), { [v4.id]: "198.19.40.3", [slaac.id]: "2001:db8:40:0:f816:3eff:fe11:2234" });
    const bySubnet = await port(s, n.id, {
      mac_address: "fa:16:3e:11:22:35",
      fixed_ips: [{ subnet_id: slaac.id }],
    });
    assert.deepEqual(ipsOf(bySubnet), { [slaac.id]: "2001:db8:40:0:f816:3eff:fe11:2235" });
    const exact = await port(s, n.id, {
      mac_address: "fa:16:3e:11:22:36",
      fixed_ips: [{ ip_address: "2001:db8:40::f816:3eff:fe11:2236" }],
    });
    assert.deepEqual(ipsOf(exact), { [slaac.id]: "2001:db8:40:0:f816:3eff:fe11:2236" });
    const ports = await count(s, "ports");
    neutronError(
      await s.api("POST", "/v2.0/ports", {
        port: { network_id: n.id, fixed_ips: [{ subnet_id: slaac.id, ip_address: "2001:db8:40::5" }] },
      }),
      400,
      "AllocationOnAutoAddressSubnet",
      new RegExp(
        `^IPv6 address 2001:db8:40::5 cannot be directly assigned to a port on subnet ${slaac.id} as the subnet is configured for automatic addresses$`,
      ),
    );
    assert.equal(await count(s, "ports"), ports);

    // The address follows the MAC (of an unbound port).
    const moved = await s.api("PUT", `/v2.0/ports/${a.id}`, { port: { mac_address: "fa:16:3e:11:22:44" } });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.deepEqual(ipsOf(moved.body.port), {
      [v4.id]: "198.19.40.2",
      [slaac.id]: "2001:db8:40:0:f816:3eff:fe11:2244",
      [stateful.id]: "2001:db8:41::2",
    });

    // A new auto-address subnet gives the network's ports their addresses there; a bound port's dhcp
    // host hears of the subnet, then of the port.
    const bound = await port(s, n.id, { mac_address: "fa:16:3e:11:22:55", "binding:host_id": "d1" });
    const stream = await streamFrom(t, s, "d1");
    const at = await drain(s, stream);
    const second = await subnet(s, n.id, "2001:db8:42::/64", { ipv6_address_mode: "dhcpv6-stateless" });
    const events = await untilMarker(s, stream, at);
    assert.deepEqual(kinds(events), ["dhcp.subnet.updated", "port.updated", "fdb.updated"]);
    assert.ok(
      events[1]!.data.event.port.fixed_ips.some(
        (f: any) => f.subnet_id === second.id && f.ip_address === "2001:db8:42:0:f816:3eff:fe11:2255",
      ),
    );
    const revised = (await s.api("GET", `/v2.0/ports/${bound.id}`)).body.port;
    assert.equal(revised.revision_number, bound.revision_number + 1);
    assert.equal(ipsOf(revised)[second.id], "2001:db8:42:0:f816:3eff:fe11:2255");

    // Deleting it takes them back; a subnet with pool addresses in use cannot be deleted.
    assert.equal((await s.api("DELETE", `/v2.0/subnets/${second.id}`)).status, 204);
    const after = (await s.api("GET", `/v2.0/ports/${bound.id}`)).body.port;
    assert.deepEqual(
      [ipsOf(after)[second.id], after.revision_number],
      [undefined, revised.revision_number + 1],
    );
    neutronError(await s.api("DELETE", `/v2.0/subnets/${stateful.id}`), 409, "SubnetInUse");
    assert.equal((await s.api("DELETE", `/v2.0/subnets/${slaac.id}`)).status, 204);
    const left = (await s.api("GET", `/v2.0/ports/${a.id}`)).body.port;
    assert.deepEqual(ipsOf(left), { [v4.id]: "198.19.40.2", [stateful.id]: "2001:db8:41::2" });
  });

  test(`[${b}] a dhcp agent gets extra_dhcp_opts, the dhcp section and dhcp.subnet.* events; other agents none of it`, async (t) => {
    const s = await startServer(t, backend);
    await registerAgent(s, "v1", agentConfig({ tunneling_ip: "198.18.0.1" }));
    await registerAgent(s, "none", agentConfig({ tunneling_ip: "198.18.0.2", extensions: ["qos"] }));
    await registerAgent(s, "d1", agentConfig({ tunneling_ip: "198.18.0.3", extensions: ["dhcp"] }));
    await registerAgent(s, "d2", agentConfig({ tunneling_ip: "198.18.0.4", extensions: ["dhcp", "qos"] }));
    const n = await network(s, { name: "n" });
    const v4 = await subnet(s, n.id, "198.19.30.0/24", {
      dns_nameservers: ["198.19.30.53"],
      host_routes: [{ destination: "198.19.99.0/24", nexthop: "198.19.30.254" }],
    });
    const v6 = await subnet(s, n.id, "2001:db8:30::/64", {
      ipv6_ra_mode: "slaac",
      ipv6_address_mode: "slaac",
    });
    const n2 = await network(s, { name: "n2" });
    const dark = await subnet(s, n2.id, "198.19.31.0/24", { gateway_ip: null, enable_dhcp: false });
    const info = (row: any, revision = row.revision_number) => ({
      subnet_id: row.id,
      network_id: row.network_id,
      ip_version: row.ip_version,
      cidr: row.cidr,
      gateway_ip: row.gateway_ip,
      enable_dhcp: row.enable_dhcp,
      dns_nameservers: row.dns_nameservers,
      host_routes: row.host_routes,
      ipv6_address_mode: row.ipv6_address_mode,
      ipv6_ra_mode: row.ipv6_ra_mode,
      revision_number: revision,
    });
    const byId = (list: any[]) => [...list].sort((x, y) => (x.subnet_id < y.subnet_id ? -1 : 1));
    const ofN = byId([info(v4), info(v6)]);
    const streams = {
      v1: await streamFrom(t, s, "v1"),
      none: await streamFrom(t, s, "none"),
      d1: await streamFrom(t, s, "d1"),
      d2: await streamFrom(t, s, "d2"),
    };
    const opts = [{ opt_name: "mtu", opt_value: "1400", ip_version: 4 }];

    // A port bound to a dhcp host: its network's subnets first, then the port with its options.
    const onD1 = await port(s, n.id, { "binding:host_id": "d1", extra_dhcp_opts: opts });
    const bound = await untilMarker(s, streams.d1, 0);
    assert.deepEqual(kinds(bound), [
      "dhcp.subnet.updated",
      "dhcp.subnet.updated",
      "port.updated",
      "fdb.updated",
      "endpoints.changed",
    ]);
    assert.deepEqual(
      bound.slice(0, 2).map((e) => e.data.event.subnet),
      ofN,
    );
    assert.deepEqual(bound[2]!.data.event.port.extra_dhcp_opts, opts);
    const onV1 = await port(s, n.id, { "binding:host_id": "v1", extra_dhcp_opts: opts });
    const onNone = await port(s, n.id, { "binding:host_id": "none", extra_dhcp_opts: opts });

    // Sync and details: the section has every subnet of the ports' networks; agents without dhcp get none.
    const sync = (await s.api("POST", "/agent/v1/sync", { host: "d1" })).body;
    assert.deepEqual(
      sync.ports.map((p: any) => p.extra_dhcp_opts),
      [opts],
    );
    assert.deepEqual(sync.dhcp, { subnets: ofN });
    const details = (await s.api("POST", "/agent/v1/devices/details", { host: "d1", devices: [onD1.id] }))
      .body;
    assert.deepEqual([details.devices[0].extra_dhcp_opts, details.dhcp], [opts, { subnets: ofN }]);
    const empty = (await s.api("POST", "/agent/v1/devices/details", { host: "d1", devices: [onV1.id] })).body;
    assert.deepEqual(empty.dhcp, { subnets: [] });
    first.SyncResponse.parse((await s.api("POST", "/agent/v1/sync", { host: "v1" })).body);
    first.DeviceDetailsResponse.parse(
      (await s.api("POST", "/agent/v1/devices/details", { host: "v1", devices: [onV1.id] })).body,
    );
    const qosOnly = (await s.api("POST", "/agent/v1/sync", { host: "none" })).body;
    assert.ok(!("dhcp" in qosOnly) && !("extra_dhcp_opts" in qosOnly.ports[0]), "qos only: no DHCP");
    const qosDetails = (
      await s.api("POST", "/agent/v1/devices/details", { host: "none", devices: [onNone.id] })
    ).body;
    assert.ok(!("dhcp" in qosDetails) && !("extra_dhcp_opts" in qosDetails.devices[0]));

    // Another port of the host on the same network: the host holds the subnets.
    let at = await drain(s, streams.d1);
    const second = await port(s, n.id, { "binding:host_id": "d1" });
    assert.deepEqual(kinds(await untilMarker(s, streams.d1, at)), ["port.updated", "fdb.updated"]);
    // A status report and an option change: port.updated alone.
    at = await drain(s, streams.d1);
    await s.api("POST", "/agent/v1/devices/status", { host: "d1", up: [onD1.id], down: [] });
    const changedOpts = [{ opt_name: "mtu", opt_value: "1300", ip_version: 4 }];
    await s.api("PUT", `/v2.0/ports/${onD1.id}`, {
      port: { extra_dhcp_opts: [{ opt_name: "mtu", opt_value: "1300" }] },
    });
    const quiet = await untilMarker(s, streams.d1, at);
    assert.deepEqual(kinds(quiet), ["port.updated", "port.updated"]);
    assert.deepEqual(quiet[1]!.data.event.port.extra_dhcp_opts, changedOpts);

    // A network new to the host: its subnet (no gateway, DHCP off) before the port.
    at = await drain(s, streams.d1);
    const onN2 = await port(s, n2.id, { "binding:host_id": "d1" });
    const newNet = await untilMarker(s, streams.d1, at);
    assert.deepEqual(kinds(newNet).slice(0, 2), ["dhcp.subnet.updated", "port.updated"]);
    assert.deepEqual(newNet[0]!.data.event.subnet, info(dark));
    assert.equal(newNet[0]!.data.event.subnet.gateway_ip, null);
    // The host's one port there changes: it holds the subnet already.
    at = await drain(s, streams.d1);
    await s.api("POST", "/agent/v1/devices/status", { host: "d1", up: [onN2.id], down: [] });
    assert.deepEqual(kinds(await untilMarker(s, streams.d1, at)), ["port.updated"]);

    // Subnets created, changed and deleted: the dhcp hosts with ports on the network hear of them.
    const from = {
      v1: await drain(s, streams.v1),
      none: await drain(s, streams.none),
      d1: await drain(s, streams.d1),
      d2: await drain(s, streams.d2),
    };
    const changed = await s.api("PUT", `/v2.0/subnets/${v4.id}`, {
      subnet: { dns_nameservers: ["198.19.30.54"], host_routes: [] },
    });
    const extra = await subnet(s, n.id, "198.19.32.0/24");
    assert.equal((await s.api("DELETE", `/v2.0/subnets/${extra.id}`)).status, 204);
    const subnetEvents = await untilMarker(s, streams.d1, from.d1);
    assert.deepEqual(kinds(subnetEvents), [
      "dhcp.subnet.updated",
      "dhcp.subnet.updated",
      "dhcp.subnet.deleted",
    ]);
    assert.deepEqual(subnetEvents[0]!.data.event.subnet, info(changed.body.subnet));
    assert.deepEqual(
      [
        subnetEvents[0]!.data.event.subnet.dns_nameservers,
        subnetEvents[0]!.data.event.subnet.revision_number,
      ],
      [["198.19.30.54"], 2],
    );
    assert.deepEqual(subnetEvents[1]!.data.event.subnet, info(extra));
    assert.deepEqual(subnetEvents[2]!.data.event, { kind: "dhcp.subnet.deleted", subnet_id: extra.id });
    for (const host of ["v1", "none", "d2"] as const)
      assert.deepEqual(
        kinds(await untilMarker(s, streams[host], from[host])),
        [],
        `${host} has no port there`,
      );

    // A port moves to another dhcp host: the subnets before it there; the host it left, if it was its last
    // port on the network, is told they are gone for it.
    const at1 = await drain(s, streams.d1);
    const at2 = await drain(s, streams.d2);
    await s.api("PUT", `/v2.0/ports/${onN2.id}`, { port: { "binding:host_id": "d2" } });
    const arrived = await untilMarker(s, streams.d2, at2);
    assert.deepEqual(kinds(arrived).slice(0, 2), ["dhcp.subnet.updated", "port.updated"]);
    assert.equal(arrived[0]!.data.event.subnet.subnet_id, dark.id);
    const leftD1 = await untilMarker(s, streams.d1, at1);
    assert.deepEqual(
      leftD1
        .filter((e) => e.event.startsWith("dhcp.") || e.event.startsWith("port."))
        .map((e) => [e.event, e.data.event.subnet_id ?? e.data.event.port_id]),
      [
        ["port.unbound", onN2.id],
        ["dhcp.subnet.deleted", dark.id],
      ],
    );
    // Deleting one of two ports on a network leaves the subnets with the host.
    const at3 = await drain(s, streams.d1);
    assert.equal((await s.api("DELETE", `/v2.0/ports/${second.id}`)).status, 204);
    assert.ok(!kinds(await untilMarker(s, streams.d1, at3)).includes("dhcp.subnet.deleted"));

    // Agents without dhcp saw the first protocol's events (v1) or no DHCP at all (none).
    for (const event of streams.v1.events) first.StreamEvent.parse(event.data);
    for (const event of streams.none.events) {
      assert.ok(!event.event.startsWith("dhcp."), event.event);
      if (event.event === "port.updated") assert.ok(!("extra_dhcp_opts" in event.data.event.port));
    }
  });
}
