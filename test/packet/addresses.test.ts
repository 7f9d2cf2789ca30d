import assert from "node:assert/strict";
import { SocketAddress } from "node:net";
import { test } from "node:test";
import { InvalidArgumentError } from "../../src/base/index.ts";
import {
  formatIpv4,
  formatIpv6,
  formatMac,
  formatPrefix,
  parseIpv4,
  parseIpv6,
  parseMac,
  parsePrefix,
} from "../../src/packet/internal.ts";
import { hex } from "./samples.ts";

test("IPv6 text follows RFC 5952: no leading zeros, the longest zero run compressed, lower case", () => {
  const cases: [string, string][] = [
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"], // §4.1, §4.2.1
    ["2001:0db8:0000:0001:0001:0001:0001:0001", "2001:db8:0:1:1:1:1:1"], // §4.2.2: one zero group stays
    ["2001:0000:0000:0001:0000:0000:0000:0001", "2001:0:0:1::1"], // §4.2.3: the longest run
    ["2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"], // §4.2.3: the first of equal runs
    ["2001:0DB8:0000:0000:0000:0000:0000:000A", "2001:db8::a"], // §4.3
    ["0000:0000:0000:0000:0000:ffff:c000:0201", "::ffff:192.0.2.1"], // §5: IPv4-mapped
    ["0000:0000:0000:0000:0000:0000:0001:0002", "::1:2"], // not IPv4-compatible text (§5)
    ["0000:0000:0000:0000:0000:0000:0000:0000", "::"],
    ["0000:0000:0000:0000:0000:0000:0000:0001", "::1"],
    ["0001:0000:0000:0000:0000:0000:0000:0000", "1::"],
    ["fe80:0000:0000:0000:0077:65ff:fe69:7201", "fe80::77:65ff:fe69:7201"],
  ];
  for (const [full, canonical] of cases) {
    assert.equal(formatIpv6(hex(full.replaceAll(":", ""))), canonical, full);
    assert.deepEqual(parseIpv6(canonical), hex(full.replaceAll(":", "")), canonical);
    assert.deepEqual(parseIpv6(full), hex(full.replaceAll(":", "")), full);
  }
  assert.deepEqual(parseIpv6("1:2:3:4:5:6:1.2.3.4"), hex("00010002000300040005000601020304"));
});

test("IPv6 text agrees with node:net's SocketAddress wherever libuv does not print a dotted quad", () => {
  // A seeded generator that favours zero groups, so that runs of every length and position occur.
  let seed = 0x5eed;
  const next = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed >>> 16;
  };
  let compared = 0;
  for (let i = 0; i < 2000; i++) {
    const bytes = Buffer.alloc(16);
    for (let g = 0; g < 8; g++)
      if (next() % 3 !== 0) bytes.writeUInt16BE(next() % 4 === 0 ? next() & 0xf : next(), 2 * g);
    // libuv prints any address with 96 zero bits first (and ::ffff:0:0/96, as RFC 5952 does) dotted.
    if (bytes.subarray(0, 10).every((b) => b === 0)) continue;
    const text = formatIpv6(bytes);
    const full = Array.from({ length: 8 }, (_, g) => bytes.readUInt16BE(2 * g).toString(16)).join(":");
    assert.equal(text, new SocketAddress({ address: full, family: "ipv6" }).address, full);
    assert.deepEqual(parseIpv6(text), bytes);
    compared++;
  }
  assert.ok(compared > 1500, `compared ${compared}`);
});

test("address parsers refuse what is not an address, naming the field", () => {
  for (const bad of ["fe80::1%eth0", "2001:db8::1::2", "::ffff:01.2.3.4", "12345::", "1.2.3.4", ""])
    assert.throws(
      () => parseIpv6(bad, "dst"),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === "dst",
      bad,
    );
  for (const bad of ["01.2.3.4", "1.2.3.256", "1.2.3", "1.2.3.4.5", " 1.2.3.4", "::1"])
    assert.throws(() => parseIpv4(bad, "src"), InvalidArgumentError, bad);
  for (const bad of ["02:77:65:69:72", "02-77-65-69-72-01", "0277.6569.7201", "02:77:65:69:72:0g"])
    assert.throws(() => parseMac(bad), InvalidArgumentError, bad);
  assert.deepEqual(parseIpv4("198.18.0.125"), hex("c612007d"));
  assert.equal(formatIpv4(hex("c612007d")), "198.18.0.125");
  assert.deepEqual(parseMac("02:77:65:69:72:0A"), hex("02776569720a"));
  assert.equal(formatMac(hex("02776569720a")), "02:77:65:69:72:0a");
});

test("prefixes are CIDR text whose address has no bits past the length", () => {
  assert.deepEqual(parsePrefix("198.18.8.0/21", 4, "p"), { address: hex("c6120800"), length: 21 });
  assert.deepEqual(parsePrefix("2001:db8:1::/64", 6, "p"), {
    address: hex("20010db8000100000000000000000000"),
    length: 64,
  });
  assert.equal(formatPrefix(hex("c6120800"), 21), "198.18.8.0/21");
  for (const [bad, family] of [
    ["198.18.9.0/21", 4],
    ["198.18.8.0/33", 4],
    ["198.18.8.0/021", 4],
    ["198.18.8.0", 4],
    ["2001:db8:1::1/64", 6],
    ["2001:db8::/129", 6],
  ] as const)
    assert.throws(() => parsePrefix(bad, family, "p"), InvalidArgumentError, bad);
});
