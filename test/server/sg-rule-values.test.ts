// The values of security-group rules as Neutron converts, checks and compares them (pure functions).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ApiError,
  checkRuleValues,
  convertEthertype,
  convertPort,
  convertPrefix,
  convertProtocol,
  normalizedCidr,
  type RuleValues,
  ruleKey,
} from "../../src/server/internal.ts";

const rule = (over: Partial<RuleValues> = {}): RuleValues => ({
  direction: "ingress",
  ethertype: "IPv4",
  protocol: null,
  port_range_min: null,
  port_range_max: null,
  remote_ip_prefix: null,
  remote_group_id: null,
  remote_address_group_id: null,
  ...over,
});

function refused(f: () => unknown, type: string, message: string) {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.deepEqual([e.status, e.type, e.message], [400, type, message]);
    return true;
  });
}

test("protocols are kept as given: names in lower case, numbers as their text; any is none", () => {
  assert.equal(convertProtocol("TCP"), "tcp");
  assert.equal(convertProtocol("6"), "6");
  assert.equal(convertProtocol(17), "17");
  assert.equal(convertProtocol("any"), null);
  assert.equal(convertProtocol(null), null);
  assert.equal(convertProtocol("icmpv6"), "icmpv6");
  for (const bad of ["256", "-1", "tcpx", 3.5, true]) {
    assert.throws(
      () => convertProtocol(bad),
      /Security group rule protocol .* not supported\. Only protocol values \(None, 'any', 'ah', 'dccp'/,
    );
  }
});

test("ethertypes, ports and prefixes convert as Neutron's converters do", () => {
  assert.equal(convertEthertype("ipv6"), "IPv6");
  refused(
    () => convertEthertype("IPv5"),
    "SecurityGroupRuleInvalidEtherType",
    "Security group rule for ethertype 'IPv5' not supported. Allowed values are ['IPv4', 'IPv6'].",
  );
  assert.equal(convertPort("22"), 22);
  assert.equal(convertPort(null), null);
  refused(() => convertPort(-16), "SecurityGroupInvalidPortValue", "Invalid value for port -16");
  refused(() => convertPort(65536), "SecurityGroupInvalidPortValue", "Invalid value for port 65536");
  assert.equal(convertPrefix("10.0.0.34/24"), "10.0.0.34/24", "host bits are kept");
  assert.equal(convertPrefix("10.0.0.1"), "10.0.0.1/32");
  assert.equal(convertPrefix("2001:DB8::1/64"), "2001:db8::1/64");
  for (const bad of ["192.168.1./24", "10.0.0.0/33", "bad_prefix", "256"])
    refused(() => convertPrefix(bad), "InvalidCIDR", `Invalid CIDR ${bad} given as IP prefix.`);
  assert.equal(normalizedCidr("10.0.0.34/24"), "10.0.0.0/24");
  assert.equal(normalizedCidr(null), null);
});

test("rule checks: canonical forms first, then Neutron's refusals with its messages", () => {
  assert.equal(checkRuleValues(rule({ ethertype: "IPv6", protocol: "icmp" })).protocol, "ipv6-icmp");
  assert.equal(checkRuleValues(rule({ ethertype: "IPv6", protocol: "icmpv6" })).protocol, "ipv6-icmp");
  assert.equal(checkRuleValues(rule({ ethertype: "IPv6", protocol: "1" })).protocol, "58");
  const whole = checkRuleValues(rule({ protocol: "tcp", port_range_min: 1, port_range_max: 65535 }));
  assert.deepEqual([whole.port_range_min, whole.port_range_max], [null, null]);
  const cases: [Partial<RuleValues>, string, string][] = [
    [
      { port_range_min: 22, port_range_max: 22 },
      "SecurityGroupProtocolRequiredWithPorts",
      "Must also specify protocol if port range is given.",
    ],
    [
      { protocol: "tcp", port_range_min: 0, port_range_max: 10 },
      "SecurityGroupInvalidPortValue",
      "Invalid value for port 0",
    ],
    [
      { protocol: "udp", port_range_min: 30, port_range_max: 20 },
      "SecurityGroupInvalidPortRange",
      "For TCP/UDP protocols, port_range_min must be <= port_range_max",
    ],
    [
      { protocol: "6", port_range_min: 22 },
      "SecurityGroupInvalidPortRange",
      "For TCP/UDP protocols, port_range_min must be <= port_range_max",
    ],
    [
      { protocol: "icmp", port_range_min: 256 },
      "SecurityGroupInvalidIcmpValue",
      "Invalid value for ICMP type (port_range_min) 256. It must be 0 to 255.",
    ],
    [
      { protocol: "icmp", port_range_min: 8, port_range_max: 300 },
      "SecurityGroupInvalidIcmpValue",
      "Invalid value for ICMP code (port_range_max) 300. It must be 0 to 255.",
    ],
    [
      { protocol: "icmp", port_range_max: 0 },
      "SecurityGroupMissingIcmpType",
      "ICMP code (port-range-max) 0 is provided but ICMP type (port-range-min) is missing.",
    ],
    [
      { protocol: "gre", port_range_min: 1, port_range_max: 2 },
      "SecurityGroupInvalidProtocolForPort",
      "Ports cannot be specified for protocol 47. Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE.",
    ],
    [
      { remote_ip_prefix: "2001:db8::/64" },
      "SecurityGroupRuleParameterConflict",
      "Conflicting value ethertype IPv4 for CIDR 2001:db8::/64",
    ],
    [
      { protocol: "ipv6-icmp" },
      "SecurityGroupEthertypeConflictWithProtocol",
      "Invalid ethertype IPv4 for protocol ipv6-icmp.",
    ],
    [
      { protocol: "58" },
      "SecurityGroupEthertypeConflictWithProtocol",
      "Invalid ethertype IPv4 for protocol 58.",
    ],
    [
      { remote_ip_prefix: "10.0.0.0/8", remote_group_id: "g" },
      "SecurityGroupMultipleRemoteEntites",
      "Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.",
    ],
  ];
  for (const [over, type, message] of cases) refused(() => checkRuleValues(rule(over)), type, message);
  // ICMP type alone is fine; DCCP and UDP-Lite take port ranges.
  checkRuleValues(rule({ protocol: "icmp", port_range_min: 8 }));
  checkRuleValues(rule({ protocol: "dccp", port_range_min: 5, port_range_max: 6 }));
});

test("the duplicate key equates tcp and 6, any-address prefixes and none; other prefixes compare as written", () => {
  const key = (over: Partial<RuleValues>) => ruleKey(rule(over), "sg");
  assert.equal(
    key({ protocol: "tcp", port_range_min: 22, port_range_max: 22 }),
    key({ protocol: "6", port_range_min: 22, port_range_max: 22 }),
  );
  assert.equal(key({ remote_ip_prefix: "0.0.0.0/0" }), key({}));
  assert.equal(key({ ethertype: "IPv6", remote_ip_prefix: "::/0" }), key({ ethertype: "IPv6" }));
  assert.notEqual(key({ remote_ip_prefix: "10.0.0.1/24" }), key({ remote_ip_prefix: "10.0.0.0/24" }));
  assert.equal(key({ ethertype: "IPv6", protocol: "58" }), key({ ethertype: "IPv6", protocol: "ipv6-icmp" }));
  assert.equal(key({ protocol: "0" }), key({ protocol: "ip" }));
  assert.notEqual(key({ direction: "egress" }), key({}));
  assert.notEqual(ruleKey(rule(), "a"), ruleKey(rule(), "b"));
});
