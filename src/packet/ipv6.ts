/**
 * The IPv6 header (RFC 8200 §3) and the walk over its extension headers (§4) to the upper-layer
 * protocol: hop-by-hop options (0), routing (43), fragment (44), destination options (60) and, since its
 * length is known too, authentication (51, RFC 4302 §2.2). ESP and unknown headers end the walk: what
 * follows cannot be read without them.
 */
import { InvalidArgumentError } from "../base/index.ts";
import { checkUint } from "./field-checks.ts";
import { IpProtocol } from "./ipv4.ts";
import { formatIpv6, parseIpv6 } from "./ipv6-address.ts";
import { PacketReader } from "./reader.ts";
import { PacketWriter } from "./writer.ts";

/** An extension header without its Next Header field, which the chain's order implies. */
export type Ipv6ExtensionHeader =
  | {
      /** Hop-by-hop, routing, destination options: the bytes after Next Header and Hdr Ext Len. */
      readonly type: 0 | 43 | 60;
      readonly body: Buffer;
    }
  | {
      /** Authentication (RFC 4302 §2.2): the bytes after Next Header, Payload Len and Reserved. */
      readonly type: 51;
      readonly body: Buffer;
    }
  | {
      /** Fragment (RFC 8200 §4.5). `offset` in bytes. */
      readonly type: 44;
      readonly offset: number;
      readonly moreFragments: boolean;
      readonly identification: number;
    };

export interface Ipv6Header {
  readonly trafficClass: number;
  readonly flowLabel: number;
  readonly hopLimit: number;
  readonly src: string;
  readonly dst: string;
  readonly extensionHeaders: readonly Ipv6ExtensionHeader[];
  /** The Next Header after the last extension header: the upper layer, or where the walk stopped. */
  readonly protocol: number;
}

export interface Ipv6Packet extends Ipv6Header {
  readonly payloadLength: number;
  /** Set when a fragment header is present; a fragment with offset > 0 starts inside the upper layer. */
  readonly fragment?: { readonly offset: number; readonly first: boolean; readonly last: boolean };
  /** The bytes after the extension headers up to the payload length. */
  readonly payload: Buffer;
}

export function decodeIpv6(bytes: Uint8Array): Ipv6Packet {
  const r = new PacketReader(bytes, "ipv6");
  const first = r.u32("version, traffic class and flow label");
  if (first >>> 28 !== 6) r.fail("version", `is ${first >>> 28}, must be 6`, 0);
  const payloadLength = r.u16("payload length");
  let next = r.u8("next header");
  const hopLimit = r.u8("hop limit");
  const src = formatIpv6(r.view(16, "source"));
  const dst = formatIpv6(r.view(16, "destination"));
  // A payload length of 0 with a hop-by-hop header would be a jumbogram (RFC 2675); none fits a frame,
  // so it is read as it stands and the hop-by-hop header runs past the end.
  if (40 + payloadLength > bytes.length)
    r.fail("payload length", `is ${payloadLength}, but only ${bytes.length - 40} bytes follow the header`, 4);
  const p = r.sub(payloadLength, "payload");
  const extensionHeaders: Ipv6ExtensionHeader[] = [];
  let fragment: Ipv6Packet["fragment"];
  while (isWalkable(next) && fragment?.first !== false) {
    const at = p.offset;
    if (next === IpProtocol.hopByHop && extensionHeaders.length > 0)
      p.fail("hop-by-hop options header", "is not the first extension header (RFC 8200 §4.1)", at);
    const type = next;
    next = p.u8(`extension header ${type}'s next header`);
    if (type === IpProtocol.fragment) {
      p.skip(1, "fragment header's reserved byte");
      const offsetFlags = p.u16("fragment offset");
      const header = {
        type,
        offset: offsetFlags & 0xfff8,
        moreFragments: (offsetFlags & 1) !== 0,
        identification: p.u32("fragment identification"),
      };
      extensionHeaders.push(header);
      fragment = { offset: header.offset, first: header.offset === 0, last: !header.moreFragments };
    } else if (type === IpProtocol.authentication) {
      const length = (p.u8("authentication header length") + 2) * 4;
      if (length < 12)
        p.fail("authentication header length", `makes ${length} bytes, at least 12 (RFC 4302 §2)`, at + 1);
      extensionHeaders.push({ type, body: p.copy(length - 2, "authentication header") });
    } else {
      const length = (p.u8(`extension header ${type}'s length`) + 1) * 8;
      extensionHeaders.push({ type, body: p.copy(length - 2, `extension header ${type}`) });
    }
  }
  return {
    trafficClass: (first >>> 20) & 0xff,
    flowLabel: first & 0xfffff,
    hopLimit,
    src,
    dst,
    extensionHeaders,
    protocol: next,
    payloadLength,
    ...(fragment !== undefined && { fragment }),
    payload: p.view(p.remaining, "upper-layer payload"),
  };
}

function isWalkable(next: number): next is 0 | 43 | 44 | 51 | 60 {
  return [0, 43, 44, 51, 60].includes(next);
}

export interface Ipv6HeaderInput {
  readonly src: string;
  readonly dst: string;
  readonly protocol: number;
  readonly hopLimit?: number;
  readonly trafficClass?: number;
  readonly flowLabel?: number;
  readonly extensionHeaders?: readonly Ipv6ExtensionHeader[];
}

export function encodeIpv6(header: Ipv6HeaderInput, payload: Uint8Array): Buffer {
  const chain = header.extensionHeaders ?? [];
  const w = new PacketWriter(40 + payload.length + 64);
  const trafficClass = checkUint("ipv6.trafficClass", header.trafficClass ?? 0, 8);
  const protocol = checkUint("ipv6.protocol", header.protocol, 8);
  w.u32(((6 << 28) | (trafficClass << 20) | checkUint("ipv6.flowLabel", header.flowLabel ?? 0, 20)) >>> 0)
    .u16(0)
    .u8(chain[0]?.type ?? protocol)
    .u8(checkUint("ipv6.hopLimit", header.hopLimit ?? 64, 8))
    .bytes(parseIpv6(header.src, "ipv6.src"))
    .bytes(parseIpv6(header.dst, "ipv6.dst"));
  for (const [i, ext] of chain.entries()) writeExtensionHeader(w, ext, chain[i + 1]?.type ?? protocol, i);
  const payloadLength = w.length - 40 + payload.length;
  if (payloadLength > 0xffff)
    throw new InvalidArgumentError(
      "ipv6 payload",
      `is ${payloadLength} bytes, at most 65,535 fit (no jumbograms)`,
    );
  w.setU16(4, payloadLength);
  return w.bytes(payload).finish();
}

function writeExtensionHeader(w: PacketWriter, ext: Ipv6ExtensionHeader, next: number, i: number): void {
  const field = `ipv6.extensionHeaders[${i}]`;
  if (!isWalkable(ext.type)) throw new InvalidArgumentError(`${field}.type`, "must be 0, 43, 44, 51 or 60");
  if (ext.type === IpProtocol.hopByHop && i > 0)
    throw new InvalidArgumentError(field, "a hop-by-hop options header must come first (RFC 8200 §4.1)");
  w.u8(next);
  if (ext.type === IpProtocol.fragment) {
    if (ext.offset % 8 !== 0 || ext.offset > 0xfff8)
      throw new InvalidArgumentError(
        `${field}.offset`,
        `must be a multiple of 8 up to 65528, got ${ext.offset}`,
      );
    w.u8(0)
      .u16(ext.offset | (ext.moreFragments ? 1 : 0))
      .u32(checkUint(`${field}.identification`, ext.identification, 32));
  } else if (ext.type === IpProtocol.authentication) {
    if ((ext.body.length + 2) % 4 !== 0 || ext.body.length < 10)
      throw new InvalidArgumentError(
        `${field}.body`,
        "must make the header a multiple of 4 bytes, at least 12",
      );
    w.u8((ext.body.length + 2) / 4 - 2).bytes(ext.body);
  } else {
    if ((ext.body.length + 2) % 8 !== 0 || ext.body.length + 2 > 2048)
      throw new InvalidArgumentError(
        `${field}.body`,
        "must make the header a multiple of 8 bytes, at most 2048",
      );
    w.u8((ext.body.length + 2) / 8 - 1).bytes(ext.body);
  }
}
