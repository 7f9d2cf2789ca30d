import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidArgumentError } from "../../src/base/index.ts";
import {
  decodeFrame,
  decodeIpv6,
  encodeEthernet,
  encodeIpv6,
  type Ipv6ExtensionHeader,
} from "../../src/packet/index.ts";
import { assertMalformed } from "./assert-decode.ts";
import { hex, type SampleName, samples } from "./samples.ts";

const ipOf = (name: SampleName) => samples[name].subarray(14);

test("the fixed header of dhclient's SOLICIT and dnsmasq's ADVERTISE", () => {
  const solicit = decodeIpv6(ipOf("solicit"));
  assert.deepEqual(
    { ...solicit, payload: solicit.payload.length },
    {
      trafficClass: 0,
      flowLabel: 0x52fd6,
      hopLimit: 1,
      src: "fe80::77:65ff:fe69:7201",
      dst: "ff02::1:2",
      extensionHeaders: [],
      protocol: 17,
      payloadLength: 64,
      payload: 64,
    },
  );
  const advertise = decodeIpv6(ipOf("advertise"));
  assert.deepEqual([advertise.trafficClass, advertise.flowLabel, advertise.hopLimit], [0xc0, 0xa5d6e, 64]);
  assert.equal(advertise.src, "fe80::77:65ff:fe69:7202");
});

test("every captured IPv6 header encodes back to its bytes", () => {
  for (const name of [
    "raUnsolicited",
    "nsDadClient",
    "rsClient",
    "raLinkLocal",
    "solicit",
    "advertise",
    "request6",
    "reply6",
  ] as const) {
    const ip = decodeIpv6(ipOf(name));
    assert.deepEqual(encodeIpv6(ip, ip.payload), ipOf(name), name);
  }
});

/** dhclient's SOLICIT with extension headers between the IPv6 header and its UDP datagram. */
function solicitWith(extensionHeaders: readonly Ipv6ExtensionHeader[]): Buffer {
  const ip = decodeIpv6(ipOf("solicit"));
  return encodeIpv6({ ...ip, extensionHeaders }, ip.payload);
}

const padN6 = hex("0104 00000000"); // PadN (RFC 8200 §4.2) filling an 8-byte header
const hopByHop = { type: 0, body: padN6 } as const;
const destination = { type: 60, body: padN6 } as const;
const routing = { type: 43, body: hex("04 00 00000000") } as const; // type 4 (SRH) with no segments left

test("hop-by-hop, routing and destination options are walked to the UDP datagram", () => {
  const bytes = solicitWith([hopByHop, routing, destination]);
  // The chain: IPv6 next header 0, then 43, 60, 17; each 8-byte header has Hdr Ext Len 0.
  assert.equal(bytes[6], 0);
  assert.deepEqual(bytes.subarray(40, 64), hex("2b00 010400000000  3c00 040000000000  1100 010400000000"));
  assert.equal(bytes.readUInt16BE(4), 64 + 24);
  const ip = decodeIpv6(bytes);
  assert.deepEqual(ip.extensionHeaders, [hopByHop, routing, destination]);
  assert.equal(ip.protocol, 17);
  assert.deepEqual(ip.payload, ipOf("solicit").subarray(40));
  // The UDP checksum covers the datagram, not the extension headers: the frame is still a SOLICIT.
  const frame = decodeFrame(
    encodeEthernet({ dst: "33:33:00:01:00:02", src: "02:77:65:69:72:01", ethertype: 0x86dd }, bytes),
  );
  assert.equal(frame.kind, "dhcpv6");
});

test("a longer header's Hdr Ext Len counts 8-byte units past the first, and AH counts 4-byte units minus 2", () => {
  const long = { type: 60, body: Buffer.concat([hex("0114"), Buffer.alloc(20)]) } as const; // 24 bytes
  const ah = { type: 51, body: hex("0000 00000001 00000002 deadbeef") } as const; // 16 bytes: Payload Len 2
  const bytes = solicitWith([long, ah]);
  assert.deepEqual(bytes.subarray(40, 42), hex("33 02"));
  assert.deepEqual(bytes.subarray(64, 66), hex("11 02"));
  assert.deepEqual(decodeIpv6(bytes).extensionHeaders, [long, ah]);
});

test("a fragment header: the first fragment walks on, a later one stops there", () => {
  const first = { type: 44, offset: 0, moreFragments: true, identification: 0x12345678 } as const;
  const firstBytes = solicitWith([first]);
  assert.deepEqual(firstBytes.subarray(40, 48), hex("11 00 0001 12345678"));
  const ip = decodeIpv6(firstBytes);
  assert.deepEqual(ip.fragment, { offset: 0, first: true, last: false });
  assert.equal(ip.protocol, 17);
  const later = { type: 44, offset: 1232, moreFragments: false, identification: 0x12345678 } as const;
  const laterIp = decodeIpv6(solicitWith([later, destination]));
  // Past a non-first fragment the bytes are the middle of the datagram: the destination options header
  // above is not read as one.
  assert.deepEqual(laterIp.extensionHeaders, [later]);
  assert.deepEqual(laterIp.fragment, { offset: 1232, first: false, last: true });
  assert.equal(laterIp.protocol, 60);
  assert.equal(laterIp.payload.length, 8 + 64);
  const frame = decodeFrame(
    encodeEthernet({ dst: "33:33:00:01:00:02", src: "02:77:65:69:72:01", ethertype: 0x86dd }, firstBytes),
  );
  assert.deepEqual([frame.kind, frame.kind === "other" && frame.reason], ["other", "fragment"]);
});

test("malformed: a hop-by-hop header not first, headers past the payload, a payload length past the data", () => {
  assertMalformed(
    () => decodeIpv6(rawChain("0000 010400000000 1100 010400000000", 60)),
    "ipv6: hop-by-hop options header at offset 48 is not the first extension header (RFC 8200 §4.1)",
  );
  assertMalformed(
    () => decodeIpv6(rawChain("1101 0104000000000000")),
    "ipv6: extension header 0 at offset 42 needs 14 bytes, 8 left",
  );
  assertMalformed(
    () => decodeIpv6(rawChain("11")),
    "ipv6: extension header 0's length at offset 41 needs 1 byte, 0 left",
  );
  assertMalformed(
    () => decodeIpv6(rawChain("1100 00000000 0000", 51)),
    "ipv6: authentication header length at offset 41 makes 8 bytes, at least 12 (RFC 4302 §2)",
  );
  const short = Buffer.from(ipOf("solicit"));
  short.writeUInt16BE(65, 4);
  assertMalformed(
    () => decodeIpv6(short),
    "ipv6: payload length at offset 4 is 65, but only 64 bytes follow the header",
  );
  const v4 = Buffer.from(ipOf("solicit"));
  v4[0] = 0x40;
  assertMalformed(() => decodeIpv6(v4), "ipv6: version at offset 0 is 4, must be 6");
  assertMalformed(
    () => decodeIpv6(ipOf("solicit").subarray(0, 39)),
    "ipv6: destination at offset 24 needs 16 bytes, 15 left",
  );
});

/** An IPv6 header whose payload is `chain` (hex), first next header `first`. */
function rawChain(chain: string, first = 0): Buffer {
  const body = hex(chain);
  const header = Buffer.from(ipOf("solicit").subarray(0, 40));
  header.writeUInt16BE(body.length, 4);
  header[6] = first;
  return Buffer.concat([header, body]);
}

test("the encoder refuses chains RFC 8200 does not allow", () => {
  const refused = (chain: readonly Ipv6ExtensionHeader[], field: string) =>
    assert.throws(
      () => solicitWith(chain),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
    );
  refused([destination, hopByHop], "ipv6.extensionHeaders[1]");
  refused([{ type: 60, body: hex("0102 0000") }], "ipv6.extensionHeaders[0].body");
  refused(
    [{ type: 44, offset: 4, moreFragments: false, identification: 1 }],
    "ipv6.extensionHeaders[0].offset",
  );
  refused([{ type: 51, body: hex("0000 0000") }], "ipv6.extensionHeaders[0].body");
  assert.throws(
    () => encodeIpv6({ src: "fe80::1", dst: "ff02::2", protocol: 58, flowLabel: 0x100000 }, Buffer.alloc(0)),
    InvalidArgumentError,
  );
});
