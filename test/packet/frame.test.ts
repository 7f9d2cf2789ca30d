import assert from "node:assert/strict";
import { test } from "node:test";
import {
  buildDhcpv4Frame,
  type DecodedFrame,
  decodeDhcpv4,
  decodeFrame,
  encodeEthernet,
  encodeIpv4,
  encodeIpv6,
  encodeUdp,
} from "../../src/packet/index.ts";
import { assertMalformed } from "./assert-decode.ts";
import { dhcpv4Of, hex, type SampleName, sampleNames, samples, withTag } from "./samples.ts";

const kindOf = (frame: DecodedFrame) => (frame.kind === "other" ? `other: ${frame.reason}` : frame.kind);

test("every captured frame decodes to what the responder makes of it", () => {
  const expected: Record<SampleName, string> = {
    raUnsolicited: "routerAdvertisement",
    nsDadClient: "neighborSolicitation",
    nsDadServer: "neighborSolicitation",
    rsClient: "routerSolicitation",
    nsServer: "neighborSolicitation",
    naClient: "other: icmpv6Type",
    raSolicited: "routerAdvertisement",
    rsServer: "routerSolicitation",
    discover: "dhcpv4",
    rsClientAgain: "routerSolicitation",
    raLinkLocal: "routerAdvertisement",
    nsDadClientGlobal: "neighborSolicitation",
    rsServerAgain: "routerSolicitation",
    nsClient: "neighborSolicitation",
    naServer: "other: icmpv6Type",
    offer: "dhcpv4",
    request: "dhcpv4",
    ack: "dhcpv4",
    udpRouterAlert: "other: udpPort",
    fragmentFirst: "other: fragment",
    fragmentSecond: "other: fragment",
    solicit: "dhcpv6",
    advertise: "dhcpv6",
    request6: "dhcpv6",
    reply6: "dhcpv6",
  };
  assert.deepEqual(
    Object.fromEntries(sampleNames.map((name) => [name, kindOf(decodeFrame(samples[name]))])),
    expected,
  );
});

test("a DISCOVER's layers, all of them", () => {
  const frame = decodeFrame(samples.discover);
  assert.equal(frame.kind, "dhcpv4");
  if (frame.kind !== "dhcpv4") return;
  assert.deepEqual(
    [frame.ethernet.src, frame.ethernet.dst, frame.ethernet.vlanTags],
    ["02:77:65:69:72:01", "ff:ff:ff:ff:ff:ff", []],
  );
  assert.deepEqual([frame.ipv4.src, frame.ipv4.dst], ["0.0.0.0", "255.255.255.255"]);
  assert.deepEqual([frame.udp.srcPort, frame.udp.dstPort, frame.udp.length], [68, 67, 308]);
  assert.deepEqual(frame.dhcpv4, decodeDhcpv4(dhcpv4Of(samples.discover)));
});

test("fragments and other ports keep the layers read so far; a later fragment has no UDP", () => {
  const first = decodeFrame(samples.fragmentFirst);
  assert.deepEqual(first.kind === "other" && [first.ipv4?.fragment, first.udp], [
    { offset: 0, first: true, last: false },
    undefined,
  ]);
  const second = decodeFrame(samples.fragmentSecond);
  assert.deepEqual(second.kind === "other" && [second.ipv4?.fragment, second.udp], [
    { offset: 80, first: false, last: true },
    undefined,
  ]);
  const alert = decodeFrame(samples.udpRouterAlert);
  assert.deepEqual(alert.kind === "other" && [alert.udp?.dstPort, alert.udp?.payload], [
    9,
    Buffer.from("weir"),
  ]);
});

const mac = { src: "02:77:65:69:72:01", dst: "02:77:65:69:72:02" };

test("EtherTypes, protocols and ports the responder does not answer are `other`, not errors", () => {
  const arp = encodeEthernet(
    { ...mac, ethertype: 0x0806 },
    hex("0001 0800 06 04 0001 027765697201 c6120002 000000000000 c6120001"),
  );
  assert.equal(kindOf(decodeFrame(arp)), "other: ethertype");
  const lengthField = encodeEthernet({ ...mac, ethertype: 0x002e }, Buffer.alloc(46));
  assert.equal(kindOf(decodeFrame(lengthField)), "other: ethertype");
  const icmp = encodeIpv4({ src: "198.18.0.2", dst: "198.18.0.1", protocol: 1 }, hex("0800f7ff00000000"));
  assert.equal(kindOf(decodeFrame(encodeEthernet({ ...mac, ethertype: 0x0800 }, icmp))), "other: ipProtocol");
  const v6 = (dstPort: number, payload: Buffer) => {
    const pseudo = { version: 6, src: "fe80::1", dst: "ff02::1:2" } as const;
    const ip = encodeIpv6({ ...pseudo, protocol: 17 }, encodeUdp({ srcPort: 546, dstPort }, payload, pseudo));
    return decodeFrame(encodeEthernet({ ...mac, ethertype: 0x86dd }, ip));
  };
  assert.equal(kindOf(v6(53, hex("0000"))), "other: udpPort");
  // A relay-forward (RFC 8415 §9) has another layout; it is not a client's message.
  assert.equal(
    kindOf(v6(547, hex("0c00 00000000000000000000000000000000 00000000000000000000000000000000"))),
    "other: dhcpv6Relay",
  );
  const tcp = encodeIpv6({ src: "fe80::1", dst: "fe80::2", protocol: 6 }, Buffer.alloc(20));
  assert.equal(kindOf(decodeFrame(encodeEthernet({ ...mac, ethertype: 0x86dd }, tcp))), "other: ipProtocol");
});

test("tagged frames decode through their tags", () => {
  const rs = decodeFrame(withTag(samples.rsClient, 0x8100, 0x0064));
  assert.equal(rs.kind, "routerSolicitation");
  assert.deepEqual(rs.ethernet.vlanTags, [{ tpid: 0x8100, pcp: 0, dei: false, vid: 100 }]);
  const offer = decodeFrame(samples.offer);
  if (offer.kind !== "dhcpv4") throw new Error("the offer is DHCPv4");
  const tagged = buildDhcpv4Frame({
    ethernet: { ...offer.ethernet, vlanTags: [{ tpid: 0x8100, pcp: 0, dei: false, vid: 100 }] },
    ipv4: { src: offer.ipv4.src, dst: offer.ipv4.dst, dscp: 48, identification: offer.ipv4.identification },
    dhcpv4: offer.dhcpv4,
  });
  assert.deepEqual(tagged, withTag(samples.offer, 0x8100, 0x0064));
});

test("a frame cut short fails at the layer whose length it breaks", () => {
  assertMalformed(
    () => decodeFrame(samples.discover.subarray(0, 12)),
    "ethernet: ethertype at offset 12 needs 2 bytes, 0 left",
  );
  assertMalformed(
    () => decodeFrame(samples.discover.subarray(0, 30)),
    "ipv4: destination at offset 16 needs 4 bytes, 0 left",
  );
  // Past the IP header the total length says what is missing, before UDP or DHCP can.
  assertMalformed(
    () => decodeFrame(samples.discover.subarray(0, 300)),
    "ipv4: total length at offset 2 is 328, but only 286 bytes arrived",
  );
  assertMalformed(
    () => decodeFrame(samples.solicit.subarray(0, 100)),
    "ipv6: payload length at offset 4 is 64, but only 46 bytes follow the header",
  );
});

test("a frame whose inner layers are malformed throws from that layer", () => {
  // A DISCOVER whose magic cookie is wrong, in a datagram whose checksums are right.
  const dhcp = Buffer.from(dhcpv4Of(samples.discover));
  dhcp[236] = 0;
  const pseudo = { version: 4, src: "0.0.0.0", dst: "255.255.255.255" } as const;
  const ip = encodeIpv4(
    { ...pseudo, protocol: 17, ttl: 128 },
    encodeUdp({ srcPort: 68, dstPort: 67 }, dhcp, pseudo),
  );
  assertMalformed(
    () => decodeFrame(encodeEthernet({ ...mac, ethertype: 0x0800 }, ip)),
    "dhcpv4: magic cookie at offset 236 is 0x00825363, must be 0x63825363",
  );
  const badUdp = Buffer.from(samples.discover);
  badUdp[300] ^= 0x80;
  assertMalformed(
    () => decodeFrame(badUdp),
    /^udp: checksum at offset 6 is 0xf35e, should be 0x[0-9a-f]{4}$/,
  );
});
