/**
 * UDP (RFC 768): the header, its length checked against the IP payload, and the checksum over the
 * pseudo-header computed on encode and verified on decode. Over IPv4 a zero checksum means the sender
 * computed none (RFC 768); over IPv6 it is invalid (RFC 8200 §8.1).
 */
import { InvalidArgumentError } from "../base/index.ts";
import { formatChecksum, type PseudoHeader, transportChecksum } from "./checksum.ts";
import { checkUint } from "./field-checks.ts";
import { IpProtocol } from "./ipv4.ts";
import { PacketReader } from "./reader.ts";
import { PacketWriter } from "./writer.ts";

export interface UdpDatagram {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly length: number;
  /** As sent; 0 over IPv4 when the sender computed none. */
  readonly checksum: number;
  readonly payload: Buffer;
}

export function decodeUdp(bytes: Uint8Array, pseudo: PseudoHeader): UdpDatagram {
  const r = new PacketReader(bytes, "udp");
  const srcPort = r.u16("source port");
  const dstPort = r.u16("destination port");
  const length = r.u16("length");
  const checksum = r.u16("checksum");
  if (length < 8) r.fail("length", `is ${length}, less than the 8-byte header`, 4);
  // Linux does the same: a datagram longer than the IP payload is dropped, bytes beyond it ignored.
  if (length > bytes.length) r.fail("length", `is ${length}, but the IP payload is ${bytes.length} bytes`, 4);
  const datagram = bytes.subarray(0, length);
  if (checksum === 0 && pseudo.version === 6)
    r.fail("checksum", "is 0, which UDP over IPv6 may not send (RFC 8200 §8.1)", 6);
  if (checksum !== 0 && transportChecksum(pseudo, IpProtocol.udp, datagram) !== 0) {
    const zeroed = Buffer.from(datagram);
    zeroed.writeUInt16BE(0, 6);
    const expected = fixZero(transportChecksum(pseudo, IpProtocol.udp, zeroed));
    r.fail("checksum", `is ${formatChecksum(checksum)}, should be ${formatChecksum(expected)}`, 6);
  }
  return { srcPort, dstPort, length, checksum, payload: r.view(length - 8, "payload") };
}

export interface UdpPorts {
  readonly srcPort: number;
  readonly dstPort: number;
}

export function encodeUdp(ports: UdpPorts, payload: Uint8Array, pseudo: PseudoHeader): Buffer {
  const length = 8 + payload.length;
  if (length > 0xffff)
    throw new InvalidArgumentError("udp payload", `is ${payload.length} bytes, at most 65,527 fit`);
  const w = new PacketWriter(length);
  w.u16(checkUint("udp.srcPort", ports.srcPort, 16))
    .u16(checkUint("udp.dstPort", ports.dstPort, 16))
    .u16(length)
    .u16(0)
    .bytes(payload);
  const out = w.finish();
  out.writeUInt16BE(fixZero(transportChecksum(pseudo, IpProtocol.udp, out)), 6);
  return out;
}

/** RFC 768: a computed checksum of zero is sent as all ones, since zero means "none". */
const fixZero = (checksum: number) => (checksum === 0 ? 0xffff : checksum);
