/**
 * The IPv4 header (RFC 791 §3.1): options when IHL > 5, the total length checked against what arrived,
 * the header checksum computed on encode and verified on decode, and fragments told apart.
 */
import { InvalidArgumentError } from "../base/index.ts";
import { formatChecksum, internetChecksum } from "./checksum.ts";
import { checkUint } from "./field-checks.ts";
import { formatIpv4, parseIpv4 } from "./ipv4-address.ts";
import { PacketReader } from "./reader.ts";
import { PacketWriter } from "./writer.ts";

export const IpProtocol = {
  hopByHop: 0,
  icmp: 1,
  udp: 17,
  routing: 43,
  fragment: 44,
  esp: 50,
  authentication: 51,
  icmpv6: 58,
  noNextHeader: 59,
  destinationOptions: 60,
} as const;

export interface Ipv4Header {
  readonly dscp: number;
  readonly ecn: number;
  readonly identification: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** In bytes from the start of the original datagram (the wire holds eighths). */
  readonly fragmentOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly src: string;
  readonly dst: string;
  /** The option bytes between the fixed header and the payload, padding included (RFC 791 §3.1). */
  readonly options: Buffer;
}

export interface Ipv4Packet extends Ipv4Header {
  /** IHL × 4. */
  readonly headerLength: number;
  readonly totalLength: number;
  readonly checksum: number;
  /**
   * Set when the datagram is a fragment. A fragment with `offset` > 0 starts inside the upper-layer
   * data: its payload has no UDP header and must not be read as one (RFC 791 §2.3, "Fragmentation").
   */
  readonly fragment?: { readonly offset: number; readonly first: boolean; readonly last: boolean };
  /** The bytes after the header up to the total length (Ethernet padding beyond it is dropped). */
  readonly payload: Buffer;
}

export function decodeIpv4(bytes: Uint8Array): Ipv4Packet {
  const r = new PacketReader(bytes, "ipv4");
  const versionIhl = r.u8("version and IHL");
  if (versionIhl >> 4 !== 4) r.fail("version", `is ${versionIhl >> 4}, must be 4`, 0);
  const headerLength = (versionIhl & 0x0f) * 4;
  if (headerLength < 20) r.fail("IHL", `is ${headerLength / 4}, must be at least 5 (RFC 791 §3.1)`, 0);
  const tos = r.u8("type of service");
  const totalLength = r.u16("total length");
  const identification = r.u16("identification");
  const flagsOffset = r.u16("flags and fragment offset");
  const ttl = r.u8("TTL");
  const protocol = r.u8("protocol");
  const checksum = r.u16("header checksum");
  const src = formatIpv4(r.view(4, "source"));
  const dst = formatIpv4(r.view(4, "destination"));
  const options = Buffer.from(r.view(headerLength - 20, "options"));
  if (totalLength < headerLength)
    r.fail("total length", `is ${totalLength}, less than the header's ${headerLength} bytes`, 2);
  if (totalLength > bytes.length)
    r.fail("total length", `is ${totalLength}, but only ${bytes.length} bytes arrived`, 2);
  const computed = internetChecksum([bytes.subarray(0, headerLength)]);
  if (computed !== 0) {
    const expected = internetChecksum([bytes.subarray(0, 10), bytes.subarray(12, headerLength)]);
    r.fail("header checksum", `is ${formatChecksum(checksum)}, should be ${formatChecksum(expected)}`, 10);
  }
  const moreFragments = (flagsOffset & 0x2000) !== 0;
  const fragmentOffset = (flagsOffset & 0x1fff) * 8;
  const isFragment = moreFragments || fragmentOffset > 0;
  return {
    dscp: tos >> 2,
    ecn: tos & 0x03,
    identification,
    dontFragment: (flagsOffset & 0x4000) !== 0,
    moreFragments,
    fragmentOffset,
    ttl,
    protocol,
    src,
    dst,
    options,
    headerLength,
    totalLength,
    checksum,
    ...(isFragment && {
      fragment: { offset: fragmentOffset, first: fragmentOffset === 0, last: !moreFragments },
    }),
    payload: r.view(totalLength - headerLength, "payload"),
  };
}

/** The fields an encoder needs; the rest default to an unfragmented datagram with TTL 64. */
export interface Ipv4HeaderInput {
  readonly src: string;
  readonly dst: string;
  readonly protocol: number;
  readonly ttl?: number;
  readonly dscp?: number;
  readonly ecn?: number;
  readonly identification?: number;
  readonly dontFragment?: boolean;
  readonly moreFragments?: boolean;
  readonly fragmentOffset?: number;
  /** Padded with zeros (End of Option List) to a multiple of four bytes; at most 40. */
  readonly options?: Uint8Array;
}

export function encodeIpv4(header: Ipv4HeaderInput, payload: Uint8Array): Buffer {
  const options = header.options ?? new Uint8Array(0);
  if (options.length > 40)
    throw new InvalidArgumentError("ipv4.options", `are ${options.length} bytes, at most 40 fit`);
  const headerLength = 20 + Math.ceil(options.length / 4) * 4;
  const totalLength = headerLength + payload.length;
  if (totalLength > 0xffff)
    throw new InvalidArgumentError(
      "ipv4 payload",
      `is ${payload.length} bytes, a datagram holds at most 65,535`,
    );
  const offset = header.fragmentOffset ?? 0;
  if (offset % 8 !== 0 || offset > 0x1fff * 8)
    throw new InvalidArgumentError(
      "ipv4.fragmentOffset",
      `must be a multiple of 8 up to 65528, got ${offset}`,
    );
  const tos = (checkUint("ipv4.dscp", header.dscp ?? 0, 6) << 2) | checkUint("ipv4.ecn", header.ecn ?? 0, 2);
  const flags = (header.dontFragment === true ? 0x4000 : 0) | (header.moreFragments === true ? 0x2000 : 0);
  const w = new PacketWriter(totalLength);
  w.u8(0x40 | (headerLength / 4))
    .u8(tos)
    .u16(totalLength)
    .u16(checkUint("ipv4.identification", header.identification ?? 0, 16))
    .u16(flags | (offset / 8))
    .u8(checkUint("ipv4.ttl", header.ttl ?? 64, 8))
    .u8(checkUint("ipv4.protocol", header.protocol, 8))
    .u16(0)
    .bytes(parseIpv4(header.src, "ipv4.src"))
    .bytes(parseIpv4(header.dst, "ipv4.dst"))
    .bytes(options)
    .zeros(headerLength - 20 - options.length);
  const out = w.bytes(payload).finish();
  out.writeUInt16BE(internetChecksum([out.subarray(0, headerLength)]), 10);
  return out;
}
