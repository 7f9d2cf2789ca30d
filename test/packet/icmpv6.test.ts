import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidArgumentError } from "../../src/base/index.ts";
import {
  buildRouterAdvertisementFrame,
  decodeFrame,
  decodeIcmpv6,
  decodeNeighborSolicitation,
  decodeRouterAdvertisement,
  decodeRouterSolicitation,
  encodeEthernet,
  encodeIcmpv6,
  encodeIpv6,
  encodeRouterAdvertisement,
  type NdOption,
  type PseudoHeader,
  type RouterAdvertisement,
} from "../../src/packet/index.ts";
import { assertMalformed } from "./assert-decode.ts";
import { hex, icmpv6Of, samples } from "./samples.ts";

const clientLinkLocal = "fe80::77:65ff:fe69:7201";
const serverLinkLocal = "fe80::77:65ff:fe69:7202";

/** dnsmasq's advertisement (the three in the capture carry the same body). */
const dnsmasqRa: RouterAdvertisement = {
  curHopLimit: 64,
  managed: true,
  other: true,
  // --ra-param=weirpk-s,1450 set the interval to 1450 s; the lifetime is three of them.
  routerLifetime: 4350,
  reachableTime: 0,
  retransTimer: 0,
  options: [
    {
      kind: "prefixInformation",
      prefix: "2001:db8:1::/64",
      onLink: true,
      autonomous: true,
      validLifetime: 43200,
      preferredLifetime: 43200,
    },
    { kind: "mtu", mtu: 1500 },
    { kind: "sourceLinkLayerAddress", address: "02:77:65:69:72:02" },
    { kind: "dnsSearchList", lifetime: 43200, domains: ["example.test"] },
    { kind: "recursiveDnsServers", lifetime: 43200, servers: ["2001:db8:1::53"] },
  ],
};

/** An Ethernet + IPv6 + ICMPv6 frame with a correct checksum over whatever body is given. */
function ndFrame(
  type: number,
  code: number,
  body: Buffer,
  ip: { src: string; dst: string; hopLimit?: number },
): Buffer {
  const pseudo: PseudoHeader = { version: 6, src: ip.src, dst: ip.dst };
  const icmp = encodeIcmpv6(type, code, body, pseudo);
  const ipv6 = encodeIpv6({ ...ip, hopLimit: ip.hopLimit ?? 255, protocol: 58 }, icmp);
  return encodeEthernet({ dst: "33:33:00:00:00:02", src: "02:77:65:69:72:01", ethertype: 0x86dd }, ipv6);
}

const rs = (body: string, ip: { src?: string; hopLimit?: number } = {}, code = 0) =>
  decodeFrame(
    ndFrame(133, code, hex(body), { src: ip.src ?? clientLinkLocal, dst: "ff02::2", hopLimit: ip.hopLimit }),
  );

test("the kernel's router solicitation, with its source link-layer address", () => {
  const frame = decodeFrame(samples.rsClient);
  assert.equal(frame.kind, "routerSolicitation");
  if (frame.kind !== "routerSolicitation") return;
  assert.deepEqual(frame.routerSolicitation, {
    options: [{ kind: "sourceLinkLayerAddress", address: "02:77:65:69:72:01" }],
    sourceLinkLayerAddress: "02:77:65:69:72:01",
  });
  assert.deepEqual(
    [frame.ipv6.src, frame.ipv6.dst, frame.icmpv6.checksum],
    [clientLinkLocal, "ff02::2", 0xcb6a],
  );
  // From the unspecified address a solicitation carries no link-layer address, and none is reported.
  const anonymous = rs("00000000", { src: "::" });
  assert.deepEqual(anonymous.kind === "routerSolicitation" && anonymous.routerSolicitation, { options: [] });
});

test("router solicitations RFC 4861 §6.1.1 says to discard are malformed", () => {
  assertMalformed(
    () => rs("00000000 0101027765697201", { hopLimit: 64 }),
    "icmpv6: IPv6 hop limit at offset 0 is 64, must be 255 (RFC 4861 §6.1.1, §7.1.1)",
  );
  assertMalformed(() => rs("00000000", {}, 1), "icmpv6: code at offset 1 is 1, must be 0 (RFC 4861 §4)");
  assertMalformed(
    () => rs("00000000 0101027765697201", { src: "::" }),
    "icmpv6: source link-layer address option at offset 8 comes from the unspecified address (RFC 4861 §6.1.1)",
  );
  assertMalformed(() => rs("0000"), "icmpv6: reserved at offset 4 needs 4 bytes, 2 left");
  assertMalformed(
    () => rs("00000000 0100 000000000000"),
    "icmpv6: option 1 at offset 8 has length 0, which RFC 4861 §4.6 forbids",
  );
  assertMalformed(
    () => rs("00000000 0102 027765697201"),
    "icmpv6: option 1 at offset 8 runs past the end (length 16, 8 bytes left)",
  );
  assertMalformed(
    () => rs("00000000 0102 027765697201 0000000000000000"),
    "icmpv6: option 1 at offset 8 has length 16, must be 8",
  );
  assertMalformed(() => rs("00000000 01"), "icmpv6: option 1 length at offset 9 needs 1 byte, 0 left");
  const flipped = Buffer.from(samples.rsClient);
  flipped[65] ^= 0x01;
  assertMalformed(() => decodeFrame(flipped), "icmpv6: checksum at offset 2 is 0xcb6a, should be 0xcb6b");
});

test("dnsmasq's router advertisements: flags, lifetimes, prefix, MTU, DNS search list and servers", () => {
  for (const name of ["raUnsolicited", "raSolicited", "raLinkLocal"] as const) {
    const frame = decodeFrame(samples[name]);
    assert.deepEqual(frame.kind === "routerAdvertisement" && frame.routerAdvertisement, dnsmasqRa, name);
  }
});

test("an advertisement encodes back to dnsmasq's bytes, and whole to its frame", () => {
  const frame = decodeFrame(samples.raLinkLocal);
  assert.equal(frame.kind, "routerAdvertisement");
  if (frame.kind !== "routerAdvertisement") return;
  const pseudo: PseudoHeader = { version: 6, src: serverLinkLocal, dst: clientLinkLocal };
  assert.deepEqual(
    encodeRouterAdvertisement(frame.routerAdvertisement, pseudo),
    icmpv6Of(samples.raLinkLocal),
  );
  const { src, dst, trafficClass, flowLabel } = frame.ipv6;
  const built = buildRouterAdvertisementFrame({
    ethernet: { src: frame.ethernet.src, dst: frame.ethernet.dst },
    ipv6: { src, dst, trafficClass, flowLabel },
    routerAdvertisement: frame.routerAdvertisement,
  });
  assert.deepEqual(built, samples.raLinkLocal);
  // The other two came from dnsmasq's global address, which hosts ignore (§6.1.2): the encoder will
  // not write one, though the body is the same bytes.
  assert.throws(
    () => encodeRouterAdvertisement(dnsmasqRa, { version: 6, src: "2001:db8:1::1", dst: "ff02::1" }),
    (e: unknown) => e instanceof InvalidArgumentError && e.field === "source",
  );
  assert.deepEqual(
    encodeRouterAdvertisement(dnsmasqRa, { version: 6, src: serverLinkLocal, dst: "ff02::1" }).subarray(4),
    icmpv6Of(samples.raUnsolicited).subarray(4),
  );
});

const raWith = (options: string) => {
  const body = Buffer.concat([hex("40c010fe 00000000 00000000"), hex(options)]);
  const pseudo: PseudoHeader = { version: 6, src: serverLinkLocal, dst: "ff02::1" };
  return decodeRouterAdvertisement(decodeIcmpv6(encodeIcmpv6(134, 0, body, pseudo), pseudo));
};

test("advertisement options that are malformed, and a prefix's reserved bits cleared", () => {
  const prefix = (length: string, address: string) =>
    `0304 ${length} c0 0000a8c0 0000a8c0 00000000 ${address}`;
  assert.deepEqual(raWith(prefix("40", "20010db8000100000000000000000001")).options[0], {
    kind: "prefixInformation",
    prefix: "2001:db8:1::/64",
    onLink: true,
    autonomous: true,
    validLifetime: 43200,
    preferredLifetime: 43200,
  });
  assertMalformed(
    () => raWith(prefix("81", "20010db8000100000000000000000000")),
    "icmpv6: prefix length at offset 18 is 129, at most 128",
  );
  assertMalformed(
    () => raWith("0303 40c0 0000a8c0 0000a8c0 00000000 0000000000000000"),
    "icmpv6: option 3 at offset 16 has length 24, must be 32",
  );
  assertMalformed(
    () => raWith("1902 0000 0000a8c0 0000000000000000"),
    "icmpv6: option 25 at offset 16 has length 16, must be 8 + 16 × n for n ≥ 1 (RFC 8106 §5.1)",
  );
  assertMalformed(
    () => raWith("1f02 0000 0000a8c0 0000000000000000"),
    "icmpv6: option 31 at offset 16 holds no domain name",
  );
  assertMalformed(
    () => raWith("1f02 0000 0000a8c0 016100 0000000100"),
    "icmpv6: option 31 at offset 16 has padding that is not zeros",
  );
  assertMalformed(
    () => raWith("0501 0000 0000"),
    "icmpv6: option 5 at offset 16 runs past the end (length 8, 6 bytes left)",
  );
  const cut = { type: 134, code: 0, checksum: 0, bytes: hex("8600 0000 40c0 10fe 0000") };
  assertMalformed(
    () => decodeRouterAdvertisement(cut),
    "icmpv6: reachable time at offset 8 needs 4 bytes, 2 left",
  );
  // Options this layer gives no type stay in order as raw bytes.
  assert.deepEqual(raWith("1801 4000 00000708").options, [
    { kind: "raw", type: 24, data: hex("4000 00000708") },
  ]);
});

test("neighbour solicitations: an address resolution, and duplicate address detection with a nonce", () => {
  const resolve = decodeFrame(samples.nsClient);
  assert.deepEqual(resolve.kind === "neighborSolicitation" && resolve.neighborSolicitation, {
    target: "2001:db8:1::1",
    options: [{ kind: "sourceLinkLayerAddress", address: "02:77:65:69:72:01" }],
    sourceLinkLayerAddress: "02:77:65:69:72:01",
  });
  const dad = decodeFrame(samples.nsDadClient);
  assert.equal(dad.kind === "neighborSolicitation" && dad.ipv6.src, "::");
  assert.deepEqual(dad.kind === "neighborSolicitation" && dad.neighborSolicitation, {
    target: clientLinkLocal,
    // The nonce (14, RFC 3971 §5.3.2, which RFC 7527 uses for DAD) is kept raw.
    options: [{ kind: "raw", type: 14, data: hex("608ab76e86ce") }],
  });
  const ns = (body: string, src = clientLinkLocal) =>
    decodeFrame(ndFrame(135, 0, hex(body), { src, dst: "ff02::1:ff00:1" }));
  assertMalformed(
    () => ns("00000000 ff020000000000000000000000000001"),
    "icmpv6: target address at offset 8 is multicast (RFC 4861 §7.1.1)",
  );
  assertMalformed(
    () => ns("00000000 20010db8000100000000000000000001 0101027765697201", "::"),
    "icmpv6: source link-layer address option at offset 24 comes with a duplicate address probe (RFC 4861 §7.1.1)",
  );
  assertMalformed(() => ns("00000000 20010db8"), "icmpv6: target address at offset 8 needs 16 bytes, 4 left");
  const ip = { hopLimit: 255, src: clientLinkLocal };
  const rsMessage = decodeIcmpv6(icmpv6Of(samples.rsClient), {
    version: 6,
    src: clientLinkLocal,
    dst: "ff02::2",
  });
  assertMalformed(
    () => decodeNeighborSolicitation(rsMessage, ip),
    "icmpv6: type at offset 0 is 133, expected 135",
  );
  assert.equal(decodeRouterSolicitation(rsMessage, ip).sourceLinkLayerAddress, "02:77:65:69:72:01");
});

test("the encoder refuses advertisements hosts would ignore or could not read", () => {
  const pseudo: PseudoHeader = { version: 6, src: serverLinkLocal, dst: "ff02::1" };
  const refused = (ra: RouterAdvertisement, field: string) =>
    assert.throws(
      () => encodeRouterAdvertisement(ra, pseudo),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
      field,
    );
  const withOption = (option: NdOption) => ({ ...dnsmasqRa, options: [option] });
  const prefix = {
    kind: "prefixInformation",
    prefix: "2001:db8:1::/64",
    onLink: true,
    autonomous: true,
    validLifetime: 43200,
    preferredLifetime: 43200,
  } as const;
  refused(withOption({ ...prefix, prefix: "2001:db8:1::1/64" }), "options[0].prefix");
  refused(withOption({ ...prefix, preferredLifetime: 43201 }), "options[0].preferredLifetime");
  refused(withOption({ kind: "mtu", mtu: 1279 }), "options[0].mtu");
  refused(withOption({ kind: "recursiveDnsServers", lifetime: 1, servers: [] }), "options[0].servers");
  refused(withOption({ kind: "raw", type: 5, data: hex("000000000578") }), "options[0].type");
  refused(withOption({ kind: "raw", type: 24, data: hex("4000") }), "options[0].data");
  refused(withOption({ kind: "sourceLinkLayerAddress", address: "02:77:65:69:72" }), "options[0].address");
  refused({ ...dnsmasqRa, reachableTime: 3_600_001 }, "reachableTime");
  refused({ ...dnsmasqRa, routerLifetime: 65536 }, "routerLifetime");
  assert.throws(
    () =>
      buildRouterAdvertisementFrame({
        ethernet: { src: "02:77:65:69:72:02", dst: "33:33:00:00:00:01" },
        ipv6: { src: serverLinkLocal, dst: "ff02::1", hopLimit: 64 },
        routerAdvertisement: dnsmasqRa,
      }),
    (e: unknown) => e instanceof InvalidArgumentError && e.field === "ipv6.hopLimit",
  );
});
