// Extra DHCP options as Neutron reads them (pure): its key specs, Python's notion of a line, and what an
// update makes of a port's options.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError, mergeExtraDhcpOpts, parseExtraDhcpOpts } from "../../src/server/internal.ts";

const PORT = "33333333-3333-4333-8333-333333333333";

const refusal = (value: unknown) => {
  try {
    parseExtraDhcpOpts(value);
  } catch (error) {
    assert.ok(error instanceof ApiError);
    return `${error.type}: ${error.message}`;
  }
  assert.fail(`${JSON.stringify(value)} was accepted`);
};

test("Neutron's key specs: blank values for router and classless-static-route only; one line; int() of ip_version", () => {
  assert.equal(parseExtraDhcpOpts(undefined), undefined);
  assert.equal(parseExtraDhcpOpts(null), undefined);
  assert.deepEqual(
    parseExtraDhcpOpts([
      { opt_name: "router", opt_value: "" },
      { opt_name: "classless-static-route", opt_value: "", ip_version: 4 },
      // str.splitlines() ends a line at a trailing break: still one line.
      { opt_name: "domain-name", opt_value: "example.org\n", ip_version: "6" },
      { opt_name: "mtu", opt_value: null, ip_version: 4.0 },
    ]),
    [
      { optName: "router", optValue: "", ipVersion: 4 },
      { optName: "classless-static-route", optValue: "", ipVersion: 4 },
      { optName: "domain-name", optValue: "example.org\n", ipVersion: 6 },
      { optName: "mtu", optValue: null, ipVersion: 4 },
    ],
  );
  const noSpec = "InvalidInput: Invalid input for operation: No valid key specs matched for: ";
  assert.equal(
    refusal([{ opt_name: "mtu", opt_value: "" }]),
    `${noSpec}{'opt_name': 'mtu', 'opt_value': ''}.`,
  );
  assert.equal(
    refusal([{ opt_name: "mtu", opt_value: "a\r\nb" }]),
    `${noSpec}{'opt_name': 'mtu', 'opt_value': 'a\\r\\nb'}.`,
  );
  assert.equal(
    refusal([{ opt_name: "it's", opt_value: "\u2028x" }]),
    `${noSpec}{'opt_name': "it's", 'opt_value': '\\u2028x'}.`,
    "a quote makes Python's repr use double quotes; U+2028 breaks a line and is shown escaped",
  );
  assert.equal(refusal([{ opt_name: "", opt_value: "1" }]), `${noSpec}{'opt_name': '', 'opt_value': '1'}.`);
  assert.equal(
    refusal([{ opt_name: "mtu", opt_value: "v".repeat(256) }]),
    `${noSpec}{'opt_name': 'mtu', 'opt_value': '${"v".repeat(256)}'}.`,
  );
  assert.equal(
    refusal([{ opt_name: "router", opt_value: "1", ip_version: "7" }]),
    `${noSpec}{'opt_name': 'router', 'opt_value': '1', 'ip_version': 7}.`,
    "the dict as the specs left it: ip_version converted",
  );
  assert.equal(
    refusal([{ opt_name: "mtu", opt_value: "1", ip_version: null }]),
    "InvalidInput: Invalid input for operation: 'None' is not an integer.",
  );
  assert.equal(
    refusal({ opt_name: "mtu" }),
    "InvalidInput: Invalid input for operation: '{'opt_name': 'mtu'}' is not a list.",
  );
  assert.equal(
    refusal([
      { opt_name: "mtu", opt_value: "1", ip_version: 4 },
      { ip_version: 4, opt_value: "1", opt_name: "mtu" },
    ]),
    "InvalidInput: Invalid input for operation: Duplicate items in the list: '{'ip_version': 4, 'opt_value': '1', 'opt_name': 'mtu'}'.",
    "dicts are equal whatever their key order; the repeat is the one shown",
  );
  assert.deepEqual(
    parseExtraDhcpOpts([
      { opt_name: "mtu", opt_value: "1" },
      { opt_name: "mtu", opt_value: "1", ip_version: 4 },
    ])?.length,
    2,
    "not the same dict, so no duplicate for the validator",
  );
});

test("an update: named options replaced or (null) removed, new ones added, the rest kept", () => {
  const current = [
    { opt_name: "mtu", opt_value: "1400", ip_version: 4 as const },
    { opt_name: "mtu", opt_value: "1280", ip_version: 6 as const },
    { opt_name: "tftp-server", opt_value: "198.19.0.9", ip_version: 4 as const },
  ];
  assert.deepEqual(
    mergeExtraDhcpOpts(PORT, current, [
      { optName: "mtu", optValue: null, ipVersion: 6 },
      { optName: "tftp-server", optValue: "198.19.0.10", ipVersion: 4 },
      { optName: "bootfile-name", optValue: "pxelinux.0", ipVersion: 4 },
      { optName: "domain-name", optValue: null, ipVersion: 4 },
    ]),
    [
      { opt_name: "bootfile-name", opt_value: "pxelinux.0", ip_version: 4 },
      { opt_name: "mtu", opt_value: "1400", ip_version: 4 },
      { opt_name: "tftp-server", opt_value: "198.19.0.10", ip_version: 4 },
    ],
  );
  assert.throws(
    () =>
      mergeExtraDhcpOpts(PORT, current, [
        { optName: "router", optValue: "198.19.0.1", ipVersion: 4 },
        { optName: "router", optValue: "198.19.0.2", ipVersion: 4 },
      ]),
    { status: 409, type: "NeutronDbObjectDuplicateEntry" },
  );
  // A new option removed again in the same request stays: the removal names no existing option.
  assert.deepEqual(
    mergeExtraDhcpOpts(
      PORT,
      [],
      [
        { optName: "router", optValue: "198.19.0.1", ipVersion: 4 },
        { optName: "router", optValue: null, ipVersion: 4 },
      ],
    ),
    [{ opt_name: "router", opt_value: "198.19.0.1", ip_version: 4 }],
  );
});
