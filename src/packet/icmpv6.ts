/**
 * The ICMPv6 header (RFC 4443 §2.1): type, code, checksum over the IPv6 pseudo-header (§2.3), which
 * is computed on encode and verified on decode. The message bodies that matter here are in nd-messages.ts.
 */
import { formatChecksum, type PseudoHeader, transportChecksum } from "./checksum.ts";
import { checkUint } from "./field-checks.ts";
import { IpProtocol } from "./ipv4.ts";
import { PacketReader } from "./reader.ts";
import { PacketWriter } from "./writer.ts";

export const Icmpv6Type = {
  echoRequest: 128,
  echoReply: 129,
  /** RFC 4861 §4.1–§4.5. */
  routerSolicitation: 133,
  routerAdvertisement: 134,
  neighborSolicitation: 135,
  neighborAdvertisement: 136,
  redirect: 137,
} as const;

export interface Icmpv6Message {
  readonly type: number;
  readonly code: number;
  readonly checksum: number;
  /** The whole message, header included, so that errors about the body count from its start. */
  readonly bytes: Buffer;
}

export function decodeIcmpv6(bytes: Uint8Array, pseudo: PseudoHeader): Icmpv6Message {
  const r = new PacketReader(bytes, "icmpv6");
  const type = r.u8("type");
  const code = r.u8("code");
  const checksum = r.u16("checksum");
  if (transportChecksum(pseudo, IpProtocol.icmpv6, bytes) !== 0) {
    const zeroed = Buffer.from(bytes);
    zeroed.writeUInt16BE(0, 2);
    const expected = transportChecksum(pseudo, IpProtocol.icmpv6, zeroed);
    r.fail("checksum", `is ${formatChecksum(checksum)}, should be ${formatChecksum(expected)}`, 2);
  }
  const whole = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { type, code, checksum, bytes: whole };
}

export function encodeIcmpv6(type: number, code: number, body: Uint8Array, pseudo: PseudoHeader): Buffer {
  const w = new PacketWriter(4 + body.length);
  w.u8(checkUint("icmpv6.type", type, 8))
    .u8(checkUint("icmpv6.code", code, 8))
    .u16(0)
    .bytes(body);
  const out = w.finish();
  out.writeUInt16BE(transportChecksum(pseudo, IpProtocol.icmpv6, out), 2);
  return out;
}
