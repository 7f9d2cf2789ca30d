import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidArgumentError } from "../../src/base/index.ts";
import { decodeIpv4, encodeIpv4, internetChecksum } from "../../src/packet/internal.ts";
import { assertMalformed } from "./assert-decode.ts";
import { hex, type SampleName, samples } from "./samples.ts";

const ipOf = (name: SampleName) => samples[name].subarray(14);

test("a header with a Router Alert option: IHL 6, the option bytes, the payload after them", () => {
  const ip = decodeIpv4(ipOf("udpRouterAlert"));
  assert.deepEqual(ip, {
    dscp: 0,
    ecn: 0,
    identification: 0x5d43,
    dontFragment: false,
    moreFragments: false,
    fragmentOffset: 0,
    ttl: 64,
    protocol: 17,
    src: "198.18.0.2",
    dst: "198.18.0.1",
    // RFC 2113: type 0x94 (copied, class 0, number 20), length 4, value 0.
    options: hex("94040000"),
    headerLength: 24,
    totalLength: 36,
    checksum: 0xfc59,
    payload: hex("9c40 0009 000c f68c 77656972"),
  });
});

test("the DHCP captures: TOS, TTL and addresses as dhclient and dnsmasq sent them", () => {
  const discover = decodeIpv4(ipOf("discover"));
  assert.deepEqual(
    [discover.dscp, discover.ttl, discover.src, discover.dst, discover.totalLength],
    [4, 128, "0.0.0.0", "255.255.255.255", 328],
  );
  const offer = decodeIpv4(ipOf("offer"));
  assert.deepEqual(
    [offer.dscp, offer.ttl, offer.identification, offer.src, offer.dst],
    [48, 64, 0xbe50, "198.18.0.1", "198.18.0.125"],
  );
  assert.equal(offer.fragment, undefined);
});

test("fragments say so: the first holds the UDP header, a later one starts mid-datagram", () => {
  const first = decodeIpv4(ipOf("fragmentFirst"));
  assert.deepEqual(first.fragment, { offset: 0, first: true, last: false });
  assert.equal(first.moreFragments, true);
  // 80 bytes: the 8-byte UDP header (length 128 for all 120 bytes) and data 0x00–0x47.
  assert.deepEqual(first.payload.subarray(0, 8), hex("9c40 0009 0080 f45e"));
  const second = decodeIpv4(ipOf("fragmentSecond"));
  assert.deepEqual(second.fragment, { offset: 80, first: false, last: true });
  assert.deepEqual(second.payload, Buffer.from(Array.from({ length: 48 }, (_, i) => 0x48 + i)));
});

test("every captured IPv4 header encodes back to its bytes, checksum included", () => {
  for (const name of [
    "discover",
    "offer",
    "request",
    "ack",
    "udpRouterAlert",
    "fragmentFirst",
    "fragmentSecond",
  ] as const) {
    const ip = decodeIpv4(ipOf(name));
    assert.deepEqual(encodeIpv4(ip, ip.payload), ipOf(name), name);
  }
});

test("Ethernet padding after the total length is not payload", () => {
  const padded = Buffer.concat([ipOf("udpRouterAlert"), Buffer.alloc(10)]);
  assert.equal(decodeIpv4(padded).payload.length, 12);
});

/** The header with `edit` applied and the checksum made right again, so that only the edit is wrong. */
function edited(name: SampleName, edit: (b: Buffer) => void): Buffer {
  const b = Buffer.from(ipOf(name));
  edit(b);
  const headerLength = (b[0]! & 0x0f) * 4;
  b.writeUInt16BE(0, 10);
  b.writeUInt16BE(internetChecksum([b.subarray(0, Math.min(headerLength, b.length))]), 10);
  return b;
}

test("malformed headers: IHL < 5, another version, total length beyond the data or inside the header, bad checksum", () => {
  assertMalformed(
    () => decodeIpv4(edited("offer", (b) => (b[0] = 0x44))),
    "ipv4: IHL at offset 0 is 4, must be at least 5 (RFC 791 §3.1)",
  );
  assertMalformed(
    () => decodeIpv4(edited("offer", (b) => (b[0] = 0x65))),
    "ipv4: version at offset 0 is 6, must be 4",
  );
  assertMalformed(
    () => decodeIpv4(edited("offer", (b) => b.writeUInt16BE(340, 2)).subarray(0, 339)),
    "ipv4: total length at offset 2 is 340, but only 339 bytes arrived",
  );
  assertMalformed(
    () => decodeIpv4(edited("udpRouterAlert", (b) => b.writeUInt16BE(22, 2))),
    "ipv4: total length at offset 2 is 22, less than the header's 24 bytes",
  );
  const badChecksum = Buffer.from(ipOf("offer"));
  badChecksum[8] = 63; // TTL 63 without a new checksum
  assertMalformed(
    () => decodeIpv4(badChecksum),
    "ipv4: header checksum at offset 10 is 0x2dd9, should be 0x2ed9",
  );
  // IHL 15 promises 40 bytes of options that are not there.
  assertMalformed(
    () => decodeIpv4(edited("offer", (b) => (b[0] = 0x4f)).subarray(0, 30)),
    "ipv4: options at offset 20 needs 40 bytes, 10 left",
  );
  assertMalformed(
    () => decodeIpv4(ipOf("offer").subarray(0, 11)),
    "ipv4: header checksum at offset 10 needs 2 bytes, 1 left",
  );
  assertMalformed(
    () => decodeIpv4(Buffer.alloc(0)),
    "ipv4: version and IHL at offset 0 needs 1 byte, 0 left",
  );
});

test("the encoder pads options to four bytes and refuses what does not fit", () => {
  const header = { src: "198.18.0.2", dst: "198.18.0.1", protocol: 17 };
  const withOption = encodeIpv4({ ...header, options: hex("9404") }, hex("ab"));
  assert.equal(withOption[0], 0x46);
  assert.deepEqual(withOption.subarray(20, 25), hex("9404 0000 ab"));
  assert.equal(decodeIpv4(withOption).payload.length, 1);
  const refused = (input: Parameters<typeof encodeIpv4>[0], field: string, payload = Buffer.alloc(0)) =>
    assert.throws(
      () => encodeIpv4(input, payload),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
    );
  refused({ ...header, options: Buffer.alloc(41) }, "ipv4.options");
  refused({ ...header, fragmentOffset: 12 }, "ipv4.fragmentOffset");
  refused({ ...header, ttl: 256 }, "ipv4.ttl");
  refused({ ...header, dscp: 64 }, "ipv4.dscp");
  refused({ ...header, src: "198.18.0" }, "ipv4.src");
  refused(header, "ipv4 payload", Buffer.alloc(65_516));
});
