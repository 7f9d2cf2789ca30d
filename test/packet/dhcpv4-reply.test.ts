import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidArgumentError } from "../../src/base/index.ts";
import {
  buildDhcpv4Frame,
  buildDhcpv4ReplyOptions,
  type ClasslessRoute,
  type Dhcpv4ReplyOptions,
  decodeClasslessRoutes,
  decodeDhcpv4,
  decodeFrame,
  encodeClasslessRoutes,
  encodeDhcpv4,
  parseDhcpv4ReplyOptions,
} from "../../src/packet/index.ts";
import { assertMalformed } from "./assert-decode.ts";
import { bootp, dhcpv4Of, hex, samples } from "./samples.ts";

const offered: Dhcpv4ReplyOptions = {
  messageType: 2,
  serverIdentifier: "198.18.0.1",
  leaseTime: 43200,
  renewalTime: 21600,
  rebindingTime: 37800,
  subnetMask: "255.255.255.0",
  broadcastAddress: "198.18.0.255",
  classlessRoutes: [
    { destination: "198.18.8.0/21", nexthop: "198.18.0.1" },
    { destination: "0.0.0.0/0", nexthop: "198.18.0.1" },
  ],
  interfaceMtu: 1450,
  domainName: "example.test",
  dnsServers: ["198.18.0.53"],
  routers: ["198.18.0.1"],
};

test("dnsmasq's OFFER and ACK read as typed reply options: the 12 h lease, T1, T2, routes, MTU 1450", () => {
  assert.deepEqual(parseDhcpv4ReplyOptions(decodeDhcpv4(dhcpv4Of(samples.offer))), offered);
  assert.deepEqual(parseDhcpv4ReplyOptions(decodeDhcpv4(dhcpv4Of(samples.ack))), {
    ...offered,
    messageType: 5,
    hostname: "weirpk-vm",
  });
});

test("typed reply options are written in dnsmasq's order: its OFFER and ACK come out byte for byte", () => {
  for (const [name, reply] of [
    ["offer", offered],
    ["ack", { ...offered, messageType: 5, hostname: "weirpk-vm" }],
  ] as const) {
    const captured = decodeDhcpv4(dhcpv4Of(samples[name]));
    const options = buildDhcpv4ReplyOptions(reply);
    assert.deepEqual(
      options,
      captured.options.map(({ code, data }) => ({ code, data })),
      name,
    );
    assert.deepEqual(encodeDhcpv4({ ...captured, options }), dhcpv4Of(samples[name]), name);
  }
});

test("whole reply frames: dnsmasq's OFFER and ACK rebuilt from their decoded layers, lengths and checksums filled in", () => {
  for (const name of ["offer", "ack"] as const) {
    const frame = decodeFrame(samples[name]);
    assert.equal(frame.kind, "dhcpv4");
    if (frame.kind !== "dhcpv4") continue;
    const built = buildDhcpv4Frame({
      ethernet: { src: frame.ethernet.src, dst: frame.ethernet.dst },
      ipv4: { src: frame.ipv4.src, dst: frame.ipv4.dst, dscp: 48, identification: frame.ipv4.identification },
      dhcpv4: { ...frame.dhcpv4, options: buildDhcpv4ReplyOptions(parseDhcpv4ReplyOptions(frame.dhcpv4)) },
    });
    assert.deepEqual(built, samples[name], name);
  }
});

test("classless routes in RFC 3442's compact form, its table of examples: only the destination's significant octets", () => {
  const cases: [string, string][] = [
    ["0.0.0.0/0", "00"],
    ["10.0.0.0/8", "08 0a"],
    ["10.17.0.0/16", "10 0a11"],
    ["10.27.129.0/24", "18 0a1b81"],
    ["10.229.0.128/25", "19 0ae50080"],
    ["10.198.122.47/32", "20 0ac67a2f"],
  ];
  for (const [destination, encoded] of cases) {
    const route: ClasslessRoute = { destination, nexthop: "198.18.0.1" };
    const data = encodeClasslessRoutes("routes", [route]);
    assert.deepEqual(data, hex(`${encoded} c6120001`), destination);
    assert.deepEqual(decodeClasslessRoutes({ code: 121, data, offset: 240 }), [route]);
  }
});

test("classless routes that are malformed", () => {
  const routes = (data: string) => decodeClasslessRoutes({ code: 121, data: hex(data), offset: 279 });
  assertMalformed(
    () => routes("00c61200"),
    "dhcpv4: option 121 at offset 279 has length 4, must be at least 5 (RFC 3442)",
  );
  assertMalformed(
    () => routes("21 0a000000 c6120001"),
    "dhcpv4: option 121 at offset 279 route 1 (byte 0 of the option) has prefix length 33, at most 32",
  );
  assertMalformed(
    () => routes("00c6120001 18 0a1b"),
    "dhcpv4: option 121 at offset 279 route 2 (byte 5 of the option) needs 8 bytes, 3 left",
  );
  assertMalformed(
    () => routes("15 c61209 c6120001"),
    "dhcpv4: option 121 at offset 279 route 1 (byte 0 of the option) has bits set past its prefix length 21",
  );
  assert.throws(
    () => encodeClasslessRoutes("routes", [{ destination: "198.18.9.0/21", nexthop: "198.18.0.1" }]),
    InvalidArgumentError,
  );
  assert.throws(() => encodeClasslessRoutes("routes", []), InvalidArgumentError);
});

test("other options follow the typed ones in the order given, long ones split; empty lists send nothing", () => {
  const vendor = Buffer.alloc(300, 0xab);
  const options = buildDhcpv4ReplyOptions({
    messageType: 5,
    serverIdentifier: "198.18.0.1",
    routers: [],
    dnsServers: ["198.18.0.53", "198.18.0.54"],
    classlessRoutes: [],
    extra: [
      { code: 119, data: hex("076578616d706c6504746573740000") },
      { code: 43, data: vendor },
    ],
  });
  assert.deepEqual(
    options.map((o) => o.code),
    [53, 54, 6, 119, 43],
  );
  assert.deepEqual(options[2]!.data, hex("c6120035 c6120036"));
  const bytes = encodeDhcpv4({
    op: 2,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: 1,
    secs: 0,
    broadcast: false,
    ciaddr: "0.0.0.0",
    yiaddr: "0.0.0.0",
    siaddr: "0.0.0.0",
    giaddr: "0.0.0.0",
    chaddr: hex("027765697201"),
    sname: "",
    file: "",
    options,
  });
  const decoded = decodeDhcpv4(bytes);
  assert.deepEqual(
    parseDhcpv4ReplyOptions(decoded).extra?.map((o) => [o.code, o.data.length]),
    [
      [119, 15],
      [43, 300],
    ],
  );
});

test("reply options a client could not use are refused, naming the field", () => {
  const base: Dhcpv4ReplyOptions = { messageType: 5, serverIdentifier: "198.18.0.1" };
  const refused = (reply: Dhcpv4ReplyOptions, field: string) =>
    assert.throws(
      () => buildDhcpv4ReplyOptions(reply),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
      field,
    );
  refused({ ...base, messageType: 3 }, "messageType");
  refused({ ...base, serverIdentifier: "198.18.0" }, "serverIdentifier");
  refused({ ...base, subnetMask: "255.0.255.0" }, "subnetMask");
  refused({ ...base, interfaceMtu: 67 }, "interfaceMtu");
  refused({ ...base, leaseTime: 2 ** 32 }, "leaseTime");
  refused({ ...base, leaseTime: 100, renewalTime: 60, rebindingTime: 50 }, "renewalTime");
  refused({ ...base, leaseTime: 100, rebindingTime: 120 }, "rebindingTime");
  refused({ ...base, hostname: "wéir" }, "hostname");
  refused({ ...base, domainName: "" }, "domainName");
  refused({ ...base, dnsServers: ["2001:db8::53"] }, "dnsServers[0]");
  refused(
    { ...base, classlessRoutes: [{ destination: "10.0.0.1/8", nexthop: "198.18.0.1" }] },
    "classlessRoutes[0].destination",
  );
  refused({ ...base, routers: ["198.18.0.1"], extra: [{ code: 3, data: hex("c6120002") }] }, "extra[0].code");
  // An infinite lease takes any T1 and T2.
  assert.equal(
    buildDhcpv4ReplyOptions({ ...base, leaseTime: 0xffffffff, renewalTime: 0x7fffffff }).length,
    4,
  );
});

test("reply options that are malformed when read", () => {
  const read = (options: string) => parseDhcpv4ReplyOptions(decodeDhcpv4(bootp(hex(options))));
  assertMalformed(
    () => read("350105 ff"),
    "dhcpv4: option 54 at offset 240 is missing; every reply carries it",
  );
  assertMalformed(
    () => read("350105 3604c6120001 0104ff00ff00 ff"),
    "dhcpv4: option 1 at offset 249 is 255.0.255.0, not a contiguous mask",
  );
  assertMalformed(
    () => read("350105 3604c6120001 1a020043 ff"),
    "dhcpv4: option 26 at offset 249 is 67, below the minimum of 68 (RFC 2132 §5.1)",
  );
  assertMalformed(
    () => read("350105 3604c6120001 0306c61200010203 ff"),
    "dhcpv4: option 3 at offset 249 has length 6, must be a positive multiple of 4",
  );
  assertMalformed(
    () => read("350105 3604c6120001 3303000000 ff"),
    "dhcpv4: option 51 at offset 249 has length 3, must be 4",
  );
});
