// The security-group API (Neutron's security-group, stateful-security-group, security-groups-normalized-cidr,
// security-groups-default-rules, address-group, port-security, allowed-address-pairs, quotas), run against
// each storage backend (server-api-*.test.ts). Messages are compared whole; a refused request stores nothing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { callerOf, createGroup, createRules, deleteGroup, securityGroup } from "../../src/server/internal.ts";
import { network, port, subnet } from "./api-suite.ts";
import { error } from "./qos-suite.ts";
import { type Backend, startServer, type TestServer } from "./server.ts";

const PROJECT = "00000000000000000000000000000001";
const OTHER = "00000000000000000000000000000002";
const MISSING = "00000000-0000-0000-0000-00000000dead";

export async function group(s: TestServer, body: object = {}) {
  const r = await s.api("POST", "/v2.0/security-groups", { security_group: { name: "web", ...body } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.security_group;
}

export async function rule(s: TestServer, groupId: string, body: object) {
  const r = await s.api("POST", "/v2.0/security-group-rules", {
    security_group_rule: { security_group_id: groupId, direction: "ingress", ...body },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.security_group_rule;
}

const ruleCount = async (s: TestServer) =>
  Number((await s.store.query.get<{ n: number }>("SELECT COUNT(*) AS n FROM security_group_rules"))!.n);

/** The parts of a rule that say what it allows. */
const shape = (r: any) => ({
  direction: r.direction,
  ethertype: r.ethertype,
  protocol: r.protocol,
  port_range_min: r.port_range_min,
  port_range_max: r.port_range_max,
  remote_ip_prefix: r.remote_ip_prefix,
  remote_group_id: r.remote_group_id,
});

export function defineSecurityGroupSuite(backend: Backend): void {
  const b = backend.kind;

  test(`[${b}] security-group extensions are advertised as Neutron names them, and quotas (every resource has one)`, async (t) => {
    const s = await startServer(t, backend);
    const byAlias = new Map(
      (await s.api("GET", "/v2.0/extensions")).body.extensions.map((e: any) => [e.alias, e.name]),
    );
    assert.deepEqual(
      [
        "security-group",
        "port-security",
        "allowed-address-pairs",
        "stateful-security-group",
        "security-groups-normalized-cidr",
        "address-group",
        "security-groups-remote-address-group",
        "security-groups-default-rules",
      ].filter((alias) => !byAlias.has(alias)),
      [],
    );
    assert.equal(byAlias.get("security-group"), "security-group");
    assert.ok(byAlias.has("quotas") && byAlias.has("quota_details"));
    assert.equal((await s.api("GET", "/v2.0/extensions/stateful-security-group")).status, 200);
  });

  test(`[${b}] security groups: the default group is made by a list, once, with Neutron's four rules; new groups get the two egress rules`, async (t) => {
    const s = await startServer(t, backend);
    const listed = (await s.api("GET", "/v2.0/security-groups")).body.security_groups;
    assert.equal(listed.length, 1);
    const def = listed[0];
    assert.deepEqual(
      [def.name, def.description, def.project_id, def.stateful],
      ["default", "Default security group", PROJECT, true],
    );
    assert.deepEqual(
      def.security_group_rules
        .map(shape)
        .sort((x: any, y: any) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
      [
        {
          direction: "egress",
          ethertype: "IPv4",
          protocol: null,
          port_range_min: null,
          port_range_max: null,
          remote_ip_prefix: null,
          remote_group_id: null,
        },
        {
          direction: "egress",
          ethertype: "IPv6",
          protocol: null,
          port_range_min: null,
          port_range_max: null,
          remote_ip_prefix: null,
          remote_group_id: null,
        },
        {
          direction: "ingress",
          ethertype: "IPv4",
          protocol: null,
          port_range_min: null,
          port_range_max: null,
          remote_ip_prefix: null,
          remote_group_id: def.id,
        },
        {
          direction: "ingress",
          ethertype: "IPv6",
          protocol: null,
          port_range_min: null,
          port_range_max: null,
          remote_ip_prefix: null,
          remote_group_id: def.id,
        },
      ],
    );
    assert.ok(def.security_group_rules.every((r: any) => r.belongs_to_default_sg === true));
    assert.equal((await s.api("GET", "/v2.0/security-groups")).body.security_groups.length, 1, "made once");
    const web = await group(s, { description: "front" });
    assert.deepEqual(
      web.security_group_rules.map((r: any) => [r.direction, r.ethertype, r.remote_group_id]).sort(),
      [
        ["egress", "IPv4", null],
        ["egress", "IPv6", null],
      ],
    );
    assert.equal(web.security_group_rules[0].belongs_to_default_sg, false);
    const names = (await s.api("GET", "/v2.0/security-groups?sort_key=name")).body.security_groups.map(
      (g: any) => g.name,
    );
    assert.deepEqual(names, ["default", "web"]);
    // Names are not unique; "default" (in any case) is taken.
    await group(s);
    error(
      await s.api("POST", "/v2.0/security-groups", { security_group: { name: "Default" } }),
      409,
      "SecurityGroupDefaultAlreadyExists",
      "Default security group already exists.",
    );
    error(
      await s.api("PUT", `/v2.0/security-groups/${def.id}`, { security_group: { name: "x" } }),
      409,
      "SecurityGroupCannotUpdateDefault",
      "Updating default security group not allowed.",
    );
    error(
      await s.api("POST", "/v2.0/security-groups", { security_group: { name: true } }),
      400,
      "HTTPBadRequest",
      "Invalid input for name. Reason: 'True' is not a valid string.",
    );
    error(
      await s.api("POST", "/v2.0/security-groups", { security_group: { name: "x".repeat(256) } }),
      400,
      "HTTPBadRequest",
      `Invalid input for name. Reason: '${"x".repeat(256)}' exceeds maximum length of 255.`,
    );
    const updated = await s.api("PUT", `/v2.0/security-groups/${web.id}`, {
      security_group: { name: "web2", description: "d", stateful: false },
    });
    assert.equal(updated.status, 200);
    assert.deepEqual(
      [
        updated.body.security_group.name,
        updated.body.security_group.stateful,
        updated.body.security_group.revision_number,
      ],
      ["web2", false, 2],
    );
    error(
      await s.api("GET", `/v2.0/security-groups/${MISSING}`),
      404,
      "SecurityGroupNotFound",
      `Security group ${MISSING} does not exist`,
    );
    // Bulk create: both or neither.
    const bulk = await s.api("POST", "/v2.0/security-groups", {
      security_groups: [{ name: "a" }, { name: "b" }],
    });
    assert.equal(bulk.status, 201);
    assert.deepEqual(
      bulk.body.security_groups.map((g: any) => g.name),
      ["a", "b"],
    );
    const before = (await s.api("GET", "/v2.0/security-groups")).body.security_groups.length;
    error(
      await s.api("POST", "/v2.0/security-groups", { security_groups: [{ name: "c" }, { name: "default" }] }),
      409,
      "SecurityGroupDefaultAlreadyExists",
      "Default security group already exists.",
    );
    assert.equal((await s.api("GET", "/v2.0/security-groups")).body.security_groups.length, before);
    const wrapped = await s.api("POST", "/v2.0/security-groups", {
      security_groups: [{ security_group: { name: "w1" } }, { security_group: { name: "w2" } }],
    });
    assert.equal(wrapped.status, 201, JSON.stringify(wrapped.body));
    assert.deepEqual(
      wrapped.body.security_groups.map((g: any) => g.name),
      ["w1", "w2"],
      "items wrapped as Neutron takes them",
    );
    // The admin may delete the default group; the next list makes a new one.
    assert.equal((await s.api("DELETE", `/v2.0/security-groups/${def.id}`)).status, 204);
    const again = (await s.api("GET", "/v2.0/security-groups?name=default")).body.security_groups;
    assert.equal(again.length, 1);
    assert.notEqual(again[0].id, def.id);
  });

  test(`[${b}] security-group rules: values stored as given, canonical forms, normalized_cidr, and Neutron's refusals store nothing`, async (t) => {
    const s = await startServer(t, backend);
    const g = await group(s);
    const r6 = await rule(s, g.id, {
      protocol: "6",
      port_range_min: "22",
      port_range_max: 22,
      remote_ip_prefix: "10.0.0.34/24",
    });
    assert.deepEqual(
      [
        r6.protocol,
        r6.port_range_min,
        r6.port_range_max,
        r6.remote_ip_prefix,
        r6.normalized_cidr,
        r6.ethertype,
      ],
      ["6", 22, 22, "10.0.0.34/24", "10.0.0.0/24", "IPv4"],
    );
    assert.equal((await rule(s, g.id, { protocol: "icmp", ethertype: "ipv6" })).protocol, "ipv6-icmp");
    assert.equal(
      (await rule(s, g.id, { protocol: "1", ethertype: "IPv6", port_range_min: 8 })).protocol,
      "58",
    );
    const whole = await rule(s, g.id, { protocol: "udp", port_range_min: 1, port_range_max: 65535 });
    assert.deepEqual([whole.port_range_min, whole.port_range_max], [null, null]);
    const remote = await rule(s, g.id, {
      protocol: "tcp",
      port_range_min: 80,
      port_range_max: 80,
      remote_group_id: g.id,
    });
    assert.deepEqual(
      [remote.remote_group_id, remote.remote_ip_prefix, remote.normalized_cidr],
      [g.id, null, null],
    );
    assert.deepEqual(
      (await s.api("GET", `/v2.0/security-group-rules/${r6.id}`)).body.security_group_rule,
      r6,
    );
    const shown = (await s.api("GET", `/v2.0/security-groups/${g.id}`)).body.security_group;
    assert.equal(shown.security_group_rules.length, 2 + 5);
    assert.equal(shown.revision_number, 1 + 5, "each rule revises its group");

    const stored = await ruleCount(s);
    const post = (body: object) =>
      s.api("POST", "/v2.0/security-group-rules", {
        security_group_rule: { security_group_id: g.id, direction: "ingress", ...body },
      });
    const cases: [object, number, string, string][] = [
      [
        { protocol: "tcp", port_range_min: 22, port_range_max: 22, remote_ip_prefix: "10.0.0.34/24" },
        409,
        "SecurityGroupRuleExists",
        `Security group rule already exists. Rule id is ${r6.id}.`,
      ],
      [
        { direction: "sideways" },
        400,
        "HTTPBadRequest",
        "Invalid input for direction. Reason: sideways is not in valid_values.",
      ],
      [
        { protocol: "bogus" },
        400,
        "SecurityGroupRuleInvalidProtocol",
        "Security group rule protocol bogus not supported. Only protocol values (None, 'any', 'ah', 'dccp', 'egp', 'esp', 'gre', 'hopopt', 'icmp', 'igmp', 'ip', 'ipip', 'ipv6-encap', 'ipv6-frag', 'ipv6-icmp', 'icmpv6', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', 'ospf', 'pgm', 'rsvp', 'sctp', 'tcp', 'udp', 'udplite', 'vrrp') and integer representations [0 to 255] are supported.",
      ],
      [
        { protocol: "tcp", port_range_min: -16, port_range_max: 80 },
        400,
        "SecurityGroupInvalidPortValue",
        "Invalid value for port -16",
      ],
      [
        { protocol: "tcp", port_range_min: 0, port_range_max: 80 },
        400,
        "SecurityGroupInvalidPortValue",
        "Invalid value for port 0",
      ],
      [
        { protocol: "tcp", port_range_min: 90, port_range_max: 80 },
        400,
        "SecurityGroupInvalidPortRange",
        "For TCP/UDP protocols, port_range_min must be <= port_range_max",
      ],
      [
        { protocol: "icmp", port_range_min: 300 },
        400,
        "SecurityGroupInvalidIcmpValue",
        "Invalid value for ICMP type (port_range_min) 300. It must be 0 to 255.",
      ],
      [
        { protocol: "icmp", port_range_max: 3 },
        400,
        "SecurityGroupMissingIcmpType",
        "ICMP code (port-range-max) 3 is provided but ICMP type (port-range-min) is missing.",
      ],
      [
        { remote_ip_prefix: "192.168.1./24" },
        400,
        "InvalidCIDR",
        "Invalid CIDR 192.168.1./24 given as IP prefix.",
      ],
      [
        { remote_ip_prefix: "2001:db8::/64" },
        400,
        "SecurityGroupRuleParameterConflict",
        "Conflicting value ethertype IPv4 for CIDR 2001:db8::/64",
      ],
      [
        { protocol: "ipv6-icmp" },
        400,
        "SecurityGroupEthertypeConflictWithProtocol",
        "Invalid ethertype IPv4 for protocol ipv6-icmp.",
      ],
      [
        { ethertype: "IPv5" },
        400,
        "SecurityGroupRuleInvalidEtherType",
        "Security group rule for ethertype 'IPv5' not supported. Allowed values are ['IPv4', 'IPv6'].",
      ],
      [
        { remote_ip_prefix: "10.0.0.0/8", remote_group_id: g.id },
        400,
        "SecurityGroupMultipleRemoteEntites",
        "Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.",
      ],
      [
        { remote_group_id: "bad_group_id" },
        404,
        "SecurityGroupNotFound",
        "Security group bad_group_id does not exist",
      ],
      [
        { remote_address_group_id: MISSING },
        404,
        "AddressGroupNotFound",
        `Address group ${MISSING} could not be found.`,
      ],
      [
        { security_group_id: MISSING },
        404,
        "SecurityGroupNotFound",
        `Security group ${MISSING} does not exist`,
      ],
      [{ color: "red" }, 400, "HTTPBadRequest", "Unrecognized attribute(s) 'color'"],
    ];
    for (const [body, status, type, message] of cases) error(await post(body), status, type, message);
    error(
      await s.api("POST", "/v2.0/security-group-rules", { security_group_rule: { direction: "ingress" } }),
      400,
      "HTTPBadRequest",
      "Failed to parse request. Required attribute 'security_group_id' not specified",
    );
    // The any-address prefix is no prefix for the duplicate check.
    await rule(s, g.id, {
      protocol: "tcp",
      port_range_min: 443,
      port_range_max: 443,
      remote_ip_prefix: "0.0.0.0/0",
    });
    assert.equal(
      (await post({ protocol: "tcp", port_range_min: 443, port_range_max: 443 })).body.NeutronError.type,
      "SecurityGroupRuleExists",
    );
    assert.equal(await ruleCount(s), stored + 1);
    // Rules are never updated.
    error(
      await s.api("PUT", `/v2.0/security-group-rules/${r6.id}`, { security_group_rule: { protocol: "udp" } }),
      405,
      "HTTPMethodNotAllowed",
      `The method PUT is not allowed for /v2.0/security-group-rules/${r6.id}.`,
    );
    assert.equal((await s.api("DELETE", `/v2.0/security-group-rules/${r6.id}`)).status, 204);
    error(
      await s.api("GET", `/v2.0/security-group-rules/${r6.id}`),
      404,
      "SecurityGroupRuleNotFound",
      `Security group rule ${r6.id} does not exist`,
    );
  });

  test(`[${b}] security-group rules in bulk: one transaction, one group, no duplicates inside the request`, async (t) => {
    const s = await startServer(t, backend);
    const g = await group(s);
    const other = await group(s, { name: "other" });
    const bulk = (rules: object[]) =>
      s.api("POST", "/v2.0/security-group-rules", {
        security_group_rules: rules.map((r) => ({ security_group_id: g.id, direction: "ingress", ...r })),
      });
    const made = await bulk([
      { protocol: "tcp", port_range_min: 80, port_range_max: 80 },
      { protocol: "tcp", port_range_min: 443, port_range_max: 443 },
    ]);
    assert.equal(made.status, 201);
    assert.equal(made.body.security_group_rules.length, 2);
    const stored = await ruleCount(s);
    const partlyBad = await bulk([
      { protocol: "udp", port_range_min: 53, port_range_max: 53 },
      { protocol: "bogus" },
    ]);
    assert.deepEqual(
      [partlyBad.status, partlyBad.body.NeutronError.type],
      [400, "SecurityGroupRuleInvalidProtocol"],
    );
    error(
      await bulk([
        { protocol: "udp", port_range_min: 53, port_range_max: 53 },
        { protocol: "17", port_range_min: 53, port_range_max: 53 },
      ]),
      409,
      "DuplicateSecurityGroupRuleInPost",
      "Duplicate Security Group Rule in POST.",
    );
    error(
      await bulk([{ protocol: "udp" }, { security_group_id: other.id }]),
      400,
      "SecurityGroupNotSingleGroupRules",
      "Only allowed to update rules for one security profile at a time",
    );
    error(
      await bulk([{ protocol: "udp" }, { project_id: "p2" }]),
      400,
      "SecurityGroupRulesNotSingleProject",
      "Multiple project_ids in bulk security group rule create not allowed",
    );
    error(
      await s.api("POST", "/v2.0/security-group-rules", { security_group_rules: [] }),
      400,
      "HTTPBadRequest",
      "Resources required",
    );
    assert.equal(await ruleCount(s), stored, "nothing of a refused bulk request is stored");
  });

  test(`[${b}] ports and security groups: the default group, explicit groups, port security and allowed address pairs as ML2 combines them`, async (t) => {
    const s = await startServer(t, backend);
    const net = await network(s);
    await subnet(s, net.id, "198.19.7.0/24");
    const def = (await s.api("GET", "/v2.0/security-groups?name=default")).body.security_groups[0];
    const g = await group(s);
    const stateless = await group(s, { name: "sl", stateful: false });
    const p1 = await port(s, net.id);
    assert.deepEqual([p1.security_groups, p1.port_security_enabled], [[def.id], true]);
    const p2 = await port(s, net.id, { security_groups: [g.id] });
    assert.deepEqual(p2.security_groups, [g.id]);
    assert.deepEqual((await port(s, net.id, { security_groups: [] })).security_groups, []);
    assert.deepEqual(
      (await port(s, net.id, { device_owner: "network:dhcp" })).security_groups,
      [],
      "trusted ports get none",
    );
    const off = await port(s, net.id, { port_security_enabled: false });
    assert.deepEqual([off.security_groups, off.port_security_enabled], [[], false]);
    const portCount = async () => (await s.api("GET", "/v2.0/ports")).body.ports.length;
    const ports = await portCount();
    const create = (body: object) => s.api("POST", "/v2.0/ports", { port: { network_id: net.id, ...body } });
    error(
      await create({ security_groups: [MISSING] }),
      404,
      "SecurityGroupNotFound",
      `Security group ${MISSING} does not exist`,
    );
    error(
      await create({ security_groups: [g.id, g.id] }),
      400,
      "HTTPBadRequest",
      `Invalid input for security_groups. Reason: Duplicate items in the list: '${g.id}'.`,
    );
    error(
      await create({ security_groups: ["nope"] }),
      400,
      "HTTPBadRequest",
      "Invalid input for security_groups. Reason: 'nope' is not a valid UUID.",
    );
    error(
      await create({ port_security_enabled: false, security_groups: [g.id] }),
      400,
      "PortSecurityAndIPRequiredForSecurityGroups",
      "Port security must be enabled and port must have an IP address in order to use security groups.",
    );
    error(
      await create({ port_security_enabled: false, allowed_address_pairs: [{ ip_address: "198.19.7.200" }] }),
      409,
      "AddressPairAndPortSecurityRequired",
      "Port Security must be enabled in order to have allowed address pairs on a port.",
    );
    error(
      await create({ security_groups: [g.id, stateless.id] }),
      409,
      "SecurityGroupConflict",
      "Error Cannot apply both stateful and stateless security groups on the same port at the same time while attempting the operation.",
    );
    const pairs = (n: number) => Array.from({ length: n }, (_, i) => ({ ip_address: `198.19.8.${i + 1}` }));
    error(
      await create({ allowed_address_pairs: pairs(11) }),
      400,
      "AllowedAddressPairExhausted",
      "The number of allowed address pair exceeds the maximum 10.",
    );
    error(
      await create({ allowed_address_pairs: [{ ip_address: "224.0.0.5" }] }),
      400,
      "HTTPBadRequest",
      "IP 224.0.0.5 is a multicast address, which is not supported.",
    );
    error(
      await create({ allowed_address_pairs: [{ ip_address: "198.19.8.1" }, { ip_address: "198.19.8.1" }] }),
      400,
      "DuplicateAddressPairInRequest",
      "Request contains duplicate address pair: mac_address None ip_address 198.19.8.1.",
    );
    assert.equal(await portCount(), ports, "no refused port was stored");
    const withPairs = await port(s, net.id, { allowed_address_pairs: pairs(10) });
    assert.equal(
      withPairs.allowed_address_pairs[0].mac_address,
      withPairs.mac_address,
      "the MAC defaults to the port's",
    );

    const put = (id: string, body: object) => s.api("PUT", `/v2.0/ports/${id}`, { port: body });
    error(
      await put(p2.id, { port_security_enabled: false }),
      409,
      "PortSecurityPortHasSecurityGroup",
      "Port has security group associated. Cannot disable port security or IP address until security group is removed.",
    );
    error(
      await put(withPairs.id, { port_security_enabled: false, security_groups: [] }),
      409,
      "AddressPairAndPortSecurityRequired",
      "Port Security must be enabled in order to have allowed address pairs on a port.",
    );
    error(
      await put(p2.id, { security_groups: [MISSING] }),
      404,
      "SecurityGroupNotFound",
      `Security group ${MISSING} does not exist`,
    );
    assert.deepEqual(
      (await s.api("GET", `/v2.0/ports/${p2.id}`)).body.port.security_groups,
      [g.id],
      "unchanged",
    );
    const disabled = await put(p2.id, { port_security_enabled: false, security_groups: [] });
    assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
    assert.deepEqual(
      [disabled.body.port.port_security_enabled, disabled.body.port.security_groups],
      [false, []],
    );
    const enabled = await put(p2.id, { port_security_enabled: true, security_groups: [def.id, g.id] });
    assert.deepEqual(enabled.body.port.security_groups, [def.id, g.id].sort());
    assert.deepEqual(
      (await s.api("GET", `/v2.0/ports?id=${p2.id}`)).body.ports[0].security_groups,
      [def.id, g.id].sort(),
    );

    // A group in use can neither go nor change its statefulness; a remote group takes the rules naming it along.
    error(
      await s.api("DELETE", `/v2.0/security-groups/${g.id}`),
      409,
      "SecurityGroupInUse",
      `Security Group ${g.id} in use.`,
    );
    error(
      await s.api("PUT", `/v2.0/security-groups/${g.id}`, { security_group: { stateful: false } }),
      409,
      "SecurityGroupInUse",
      `Security Group ${g.id} in use.`,
    );
    const named = await rule(s, def.id, { remote_group_id: stateless.id });
    assert.equal((await s.api("DELETE", `/v2.0/security-groups/${stateless.id}`)).status, 204);
    assert.equal((await s.api("GET", `/v2.0/security-group-rules/${named.id}`)).status, 404);
    assert.equal((await s.api("DELETE", `/v2.0/ports/${p2.id}`)).status, 204);
    assert.equal(
      (await s.api("DELETE", `/v2.0/security-groups/${g.id}`)).status,
      204,
      "free once its port is gone",
    );
  });

  test(`[${b}] default security-group rule templates: Neutron's four, admin-managed, used by new groups`, async (t) => {
    const s = await startServer(t, backend);
    const listed = (await s.api("GET", "/v2.0/default-security-group-rules")).body
      .default_security_group_rules;
    assert.deepEqual(
      listed
        .map((r: any) => [
          r.direction,
          r.ethertype,
          r.remote_group_id,
          r.description,
          r.used_in_default_sg,
          r.used_in_non_default_sg,
        ])
        .sort(),
      [
        ["egress", "IPv4", null, "Legacy default SG rule for egress traffic", true, true],
        ["egress", "IPv6", null, "Legacy default SG rule for egress traffic", true, true],
        ["ingress", "IPv4", "PARENT", "Legacy default SG rule for ingress traffic", true, false],
        ["ingress", "IPv6", "PARENT", "Legacy default SG rule for ingress traffic", true, false],
      ],
    );
    const post = (body: object) =>
      s.api("POST", "/v2.0/default-security-group-rules", {
        default_security_group_rule: {
          direction: "ingress",
          used_in_default_sg: false,
          used_in_non_default_sg: true,
          ...body,
        },
      });
    const ssh = await post({
      protocol: "tcp",
      port_range_min: 22,
      port_range_max: 22,
      remote_group_id: "PARENT",
    });
    assert.equal(ssh.status, 201, JSON.stringify(ssh.body));
    const t1 = ssh.body.default_security_group_rule;
    error(
      await post({ protocol: "6", port_range_min: 22, port_range_max: 22, remote_group_id: "PARENT" }),
      409,
      "DefaultSecurityGroupRuleExists",
      `Default Security group rule already exists. Rule id is ${t1.id}.`,
    );
    assert.equal(
      (
        await post({
          protocol: "6",
          port_range_min: 22,
          port_range_max: 22,
          remote_group_id: "PARENT",
          used_in_default_sg: true,
          used_in_non_default_sg: false,
        })
      ).status,
      201,
      "the other template set may hold the same rule",
    );
    error(
      await s.api("POST", "/v2.0/default-security-group-rules", {
        default_security_group_rule: { direction: "ingress" },
      }),
      400,
      "HTTPBadRequest",
      "Failed to parse request. Required attribute 'used_in_default_sg' not specified",
    );
    const g = await group(s);
    const sshRule = g.security_group_rules.find((r: any) => r.protocol === "tcp");
    assert.deepEqual(
      [sshRule.port_range_min, sshRule.remote_group_id],
      [22, g.id],
      "PARENT is the new group",
    );
    assert.equal((await s.api("DELETE", `/v2.0/default-security-group-rules/${t1.id}`)).status, 204);
    error(
      await s.api("GET", `/v2.0/default-security-group-rules/${t1.id}`),
      404,
      "DefaultSecurityGroupRuleNotFound",
      `Default Security Group rule ${t1.id} does not exist`,
    );
  });

  test(`[${b}] address groups: networks kept, add and remove all or nothing, a group in use stays`, async (t) => {
    const s = await startServer(t, backend);
    const made = await s.api("POST", "/v2.0/address-groups", {
      address_group: { name: "ag", addresses: ["192.168.0.10/24", "10.0.0.1/32", "192.168.0.0/24"] },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const ag = made.body.address_group;
    assert.deepEqual(ag.addresses, ["10.0.0.1/32", "192.168.0.0/24"]);
    error(
      await s.api("POST", "/v2.0/address-groups", { address_group: { addresses: ["10.20.30.40"] } }),
      400,
      "HTTPBadRequest",
      "Invalid input for addresses. Reason: '10.20.30.40' is not a valid IP subnet.",
    );
    const action = (what: string, addresses: unknown) =>
      s.api("PUT", `/v2.0/address-groups/${ag.id}/${what}`, { addresses });
    assert.deepEqual((await action("add_addresses", ["2001:db8::1/64"])).body.address_group.addresses, [
      "10.0.0.1/32",
      "192.168.0.0/24",
      "2001:db8::/64",
    ]);
    error(
      await action("add_addresses", ["192.168.0.99/24", "172.16.0.0/12"]),
      400,
      "AddressesAlreadyExist",
      `Addresses ['192.168.0.0/24'] already exist in the address group ${ag.id}.`,
    );
    error(
      await action("remove_addresses", ["10.0.0.1/32", "172.16.0.0/12"]),
      404,
      "AddressesNotFound",
      `Addresses ['172.16.0.0/12'] not found in the address group ${ag.id}.`,
    );
    // In the actions a bare address is its host prefix, as Neutron reads them.
    error(
      await action("remove_addresses", ["10.200.200.200"]),
      404,
      "AddressesNotFound",
      `Addresses ['10.200.200.200/32'] not found in the address group ${ag.id}.`,
    );
    error(
      await action("add_addresses", ["garbage"]),
      400,
      "HTTPBadRequest",
      "Invalid input for addresses. Reason: 'garbage' is not a valid IP subnet.",
    );
    // A malformed IPv6 prefix is refused like any other, not taken apart later.
    error(
      await action("add_addresses", ["1::2::3/64"]),
      400,
      "HTTPBadRequest",
      "Invalid input for addresses. Reason: '1::2::3/64' is not a valid IP subnet.",
    );
    assert.deepEqual(
      (await s.api("GET", `/v2.0/address-groups/${ag.id}`)).body.address_group.addresses,
      ["10.0.0.1/32", "192.168.0.0/24", "2001:db8::/64"],
      "refused changes changed nothing",
    );
    assert.deepEqual((await action("remove_addresses", ["10.0.0.1/32"])).body.address_group.addresses, [
      "192.168.0.0/24",
      "2001:db8::/64",
    ]);
    const g = await group(s);
    const r = await rule(s, g.id, { remote_address_group_id: ag.id });
    assert.equal(r.remote_address_group_id, ag.id);
    error(
      await s.api("DELETE", `/v2.0/address-groups/${ag.id}`),
      409,
      "AddressGroupInUse",
      `Address group ${ag.id} is in use on one or more security group rules.`,
    );
    assert.equal((await s.api("DELETE", `/v2.0/security-group-rules/${r.id}`)).status, 204);
    assert.equal((await s.api("DELETE", `/v2.0/address-groups/${ag.id}`)).status, 204);
    error(
      await s.api("GET", `/v2.0/address-groups/${ag.id}`),
      404,
      "AddressGroupNotFound",
      `Address group ${ag.id} could not be found.`,
    );
  });

  test(`[${b}] quotas for networks, subnets, ports, groups and rules: defaults, limits, 409 beyond them, no lowering below use without force`, async (t) => {
    const s = await startServer(t, backend);
    assert.deepEqual((await s.api("GET", `/v2.0/quotas/${PROJECT}`)).body.quota, {
      network: 100,
      subnet: 100,
      port: 500,
      security_group: 10,
      security_group_rule: 100,
      rbac_policy: 10,
      router: 10,
      floatingip: 50,
    });
    const put = (body: object, project = PROJECT) => s.api("PUT", `/v2.0/quotas/${project}`, { quota: body });
    for (const bad of [-2, 2 ** 31, "value"]) {
      const r = await put({ security_group: bad });
      assert.equal(r.status, 400, JSON.stringify(r.body));
    }
    error(await put({ trunk: 5 }), 400, "HTTPBadRequest", "Unrecognized attribute(s) 'trunk'");
    assert.deepEqual((await put({ security_group: 2 })).body.quota, {
      network: 100,
      subnet: 100,
      port: 500,
      security_group: 2,
      security_group_rule: 100,
      rbac_policy: 10,
      router: 10,
      floatingip: 50,
    });
    await group(s); // the default group is made first: two in use
    error(
      await s.api("POST", "/v2.0/security-groups", { security_group: { name: "x" } }),
      409,
      "OverQuota",
      "Quota exceeded for resources: ['security_group'].",
    );
    const details = (await s.api("GET", `/v2.0/quotas/${PROJECT}/details`)).body.quota;
    assert.deepEqual(details.security_group, { limit: 2, used: 2, reserved: 0 });
    assert.equal(details.security_group_rule.used, 6);
    error(
      await put({ security_group_rule: 5 }),
      400,
      "HTTPBadRequest",
      "Quota limit 5 for security_group_rule must be greater than or equal to already used 6",
    );
    assert.equal((await put({ security_group_rule: 5, force: true })).status, 200);
    assert.equal((await put({ security_group: -1 })).status, 200);
    error(
      await s.api("POST", "/v2.0/security-groups", { security_group: { name: "y" } }),
      409,
      "OverQuota",
      "Quota exceeded for resources: ['security_group_rule'].",
    );
    // Another project: its default group needs 4 rules, so with a rule quota of 0 nothing can be made for it.
    await put({ security_group_rule: 0 }, OTHER);
    error(
      await s.api("POST", "/v2.0/security-groups", { security_group: { name: "z", project_id: OTHER } }),
      409,
      "OverQuota",
      "Quota exceeded for resources: ['security_group_rule'].",
    );
    assert.deepEqual(
      (await s.api("GET", "/v2.0/quotas")).body.quotas.map((q: any) => q.project_id),
      [PROJECT, OTHER],
    );
    assert.equal((await s.api("DELETE", `/v2.0/quotas/${PROJECT}`)).status, 204);
    assert.deepEqual((await s.api("GET", `/v2.0/quotas/${PROJECT}`)).body.quota, {
      network: 100,
      subnet: 100,
      port: 500,
      security_group: 10,
      security_group_rule: 100,
      rbac_policy: 10,
      router: 10,
      floatingip: 50,
    });
    assert.deepEqual((await s.api("GET", `/v2.0/quotas/${PROJECT}/default`)).body.quota, {
      network: 100,
      subnet: 100,
      port: 500,
      security_group: 10,
      security_group_rule: 100,
      rbac_policy: 10,
      router: 10,
      floatingip: 50,
    });
    // Networks, subnets and ports are counted as Neutron counts them.
    await put({ network: 1, subnet: 1, port: 1 });
    const net = (await s.api("POST", "/v2.0/networks", { network: { name: "q" } })).body.network;
    error(
      await s.api("POST", "/v2.0/networks", { network: { name: "q2" } }),
      409,
      "OverQuota",
      "Quota exceeded for resources: ['network'].",
    );
    assert.equal(
      (
        await s.api("POST", "/v2.0/subnets", {
          subnet: { network_id: net.id, cidr: "198.19.99.0/24", ip_version: 4 },
        })
      ).status,
      201,
    );
    error(
      await s.api("POST", "/v2.0/subnets", {
        subnet: { network_id: net.id, cidr: "198.19.98.0/24", ip_version: 4 },
      }),
      409,
      "OverQuota",
      "Quota exceeded for resources: ['subnet'].",
    );
    assert.equal((await s.api("POST", "/v2.0/ports", { port: { network_id: net.id } })).status, 201);
    error(
      await s.api("POST", "/v2.0/ports", { port: { network_id: net.id } }),
      409,
      "OverQuota",
      "Quota exceeded for resources: ['port'].",
    );
    const used = (await s.api("GET", `/v2.0/quotas/${PROJECT}/details`)).body.quota;
    assert.deepEqual([used.network.used, used.subnet.used, used.port.used], [1, 1, 1]);
  });

  test(`[${b}] project scoping of groups and rules: another project's group is not found, nor made for it by a member`, async (t) => {
    const s = await startServer(t, backend);
    const ctx = {
      config: (await import("../../src/server/index.ts")).defaultServerConfig,
      store: s.store,
      now: () => new Date(),
    };
    const admin = callerOf(PROJECT, ["admin", "member", "reader"], undefined, false);
    const member = callerOf(OTHER, ["member", "reader"], undefined, false);
    /** An ingress rule of the member's project in `groupId`. */
    const memberRule = (groupId: string, over: { remote_group_id?: string } = {}) => ({
      security_group_id: groupId,
      project_id: OTHER,
      direction: "ingress" as const,
      ethertype: "IPv4" as const,
      protocol: null,
      port_range_min: null,
      port_range_max: null,
      remote_ip_prefix: null,
      remote_group_id: over.remote_group_id ?? null,
      remote_address_group_id: null,
      description: "",
    });
    const theirs = await s.store.write((tx) =>
      createGroup(tx, ctx, admin, { name: "p1", description: "", projectId: PROJECT, stateful: true }),
    );
    await assert.rejects(securityGroup(s.store.query, member, theirs.group.id), {
      type: "SecurityGroupNotFound",
    });
    await assert.rejects(
      s.store.write((tx) => createRules(tx, ctx, member, [memberRule(theirs.group.id)])),
      { type: "SecurityGroupNotFound" },
    );
    const own = await s.store.write((tx) =>
      createGroup(tx, ctx, member, { name: "p2", description: "", projectId: OTHER, stateful: true }),
    );
    await assert.rejects(
      s.store.write((tx) =>
        createRules(tx, ctx, member, [memberRule(own.group.id, { remote_group_id: theirs.group.id })]),
      ),
      { type: "SecurityGroupNotFound" },
      "a remote group must be the rule's project's",
    );
    await assert.rejects(
      s.store.write((tx) => deleteGroup(tx, member, theirs.group.id)),
      { type: "SecurityGroupNotFound" },
    );
    const defaults = await s.store.query.all<{ project_id: string }>(
      "SELECT project_id FROM default_security_groups ORDER BY project_id",
    );
    assert.deepEqual(
      defaults.map((d) => d.project_id),
      [PROJECT, OTHER],
      "each project made only its own default group",
    );
  });
}
