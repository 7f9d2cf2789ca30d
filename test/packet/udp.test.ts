import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidArgumentError } from "../../src/base/index.ts";
import { decodeUdp, encodeUdp, type PseudoHeader, transportChecksum } from "../../src/packet/internal.ts";
import { assertMalformed } from "./assert-decode.ts";
import { hex, samples } from "./samples.ts";

const offerPseudo: PseudoHeader = { version: 4, src: "198.18.0.1", dst: "198.18.0.125" };
const solicitPseudo: PseudoHeader = { version: 6, src: "fe80::77:65ff:fe69:7201", dst: "ff02::1:2" };
const offerUdp = samples.offer.subarray(34);
const solicitUdp = samples.solicit.subarray(54);

test("dnsmasq's OFFER and dhclient's SOLICIT: ports, length, checksum verified", () => {
  const offer = decodeUdp(offerUdp, offerPseudo);
  assert.deepEqual([offer.srcPort, offer.dstPort, offer.length, offer.checksum], [67, 68, 333, 0xef8c]);
  assert.deepEqual(offer.payload, offerUdp.subarray(8));
  const solicit = decodeUdp(solicitUdp, solicitPseudo);
  assert.deepEqual(
    [solicit.srcPort, solicit.dstPort, solicit.length, solicit.checksum],
    [546, 547, 64, 0x106b],
  );
});

test("the encoder computes the same checksum over either pseudo-header", () => {
  assert.deepEqual(encodeUdp({ srcPort: 67, dstPort: 68 }, offerUdp.subarray(8), offerPseudo), offerUdp);
  assert.deepEqual(
    encodeUdp({ srcPort: 546, dstPort: 547 }, solicitUdp.subarray(8), solicitPseudo),
    solicitUdp,
  );
});

test("a checksum that comes out zero is sent as 0xffff (RFC 768) and verifies", () => {
  // The last word set to what the checksum would be with it zero makes the sum 0xffff: checksum 0.
  const payload = Buffer.from("weir\0\0");
  const zero = encodeUdp({ srcPort: 40000, dstPort: 9 }, payload, offerPseudo);
  payload.writeUInt16BE(zero.readUInt16BE(6), 4);
  const out = encodeUdp({ srcPort: 40000, dstPort: 9 }, payload, offerPseudo);
  assert.equal(out.readUInt16BE(6), 0xffff);
  assert.equal(decodeUdp(out, offerPseudo).checksum, 0xffff);
});

test("checksum 0 means none over IPv4 and is refused over IPv6", () => {
  const none = Buffer.from(offerUdp);
  none.writeUInt16BE(0, 6);
  none[20] ^= 0xff; // not covered by any checksum now
  assert.equal(decodeUdp(none, offerPseudo).checksum, 0);
  const v6 = Buffer.from(solicitUdp);
  v6.writeUInt16BE(0, 6);
  assertMalformed(
    () => decodeUdp(v6, solicitPseudo),
    "udp: checksum at offset 6 is 0, which UDP over IPv6 may not send (RFC 8200 §8.1)",
  );
});

test("a bad checksum, or one computed for other addresses, is malformed", () => {
  const flipped = Buffer.from(offerUdp);
  flipped[300] ^= 0x01;
  assertMalformed(
    () => decodeUdp(flipped, offerPseudo),
    /^udp: checksum at offset 6 is 0xef8c, should be 0x[0-9a-f]{4}$/,
  );
  assertMalformed(
    () => decodeUdp(offerUdp, { ...offerPseudo, dst: "198.18.0.126" }),
    "udp: checksum at offset 6 is 0xef8c, should be 0xef8b",
  );
});

test("the length must cover the header and fit the IP payload; bytes past it are not the datagram's", () => {
  const withLength = (length: number) => {
    const b = Buffer.from(offerUdp);
    b.writeUInt16BE(length, 4);
    return b;
  };
  assertMalformed(
    () => decodeUdp(withLength(7), offerPseudo),
    "udp: length at offset 4 is 7, less than the 8-byte header",
  );
  assertMalformed(
    () => decodeUdp(withLength(334), offerPseudo),
    "udp: length at offset 4 is 334, but the IP payload is 333 bytes",
  );
  assertMalformed(
    () => decodeUdp(offerUdp.subarray(0, 7), offerPseudo),
    "udp: checksum at offset 6 needs 2 bytes, 1 left",
  );
  const trailing = Buffer.concat([samples.udpRouterAlert.subarray(38), hex("0000")]);
  const udp = decodeUdp(trailing, { version: 4, src: "198.18.0.2", dst: "198.18.0.1" });
  assert.deepEqual(udp.payload, Buffer.from("weir"));
  assert.equal(
    transportChecksum({ version: 4, src: "198.18.0.2", dst: "198.18.0.1" }, 17, trailing.subarray(0, 12)),
    0,
  );
});

test("the encoder refuses ports and payloads that do not fit", () => {
  assert.throws(
    () => encodeUdp({ srcPort: 65536, dstPort: 68 }, Buffer.alloc(0), offerPseudo),
    InvalidArgumentError,
  );
  assert.throws(
    () => encodeUdp({ srcPort: 67, dstPort: 68 }, Buffer.alloc(65_528), offerPseudo),
    InvalidArgumentError,
  );
});
