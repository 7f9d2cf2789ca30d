/**
 * Ethernet II framing (IEEE 802.3 clause 3) with a stack of VLAN tags: 802.1Q C-tags (TPID 0x8100) and
 * 802.1ad S-tags (0x88a8), outermost first, each a TPID and a 16-bit TCI of PCP (3 bits), DEI (1 bit) and
 * VID (12 bits) (IEEE 802.1Q §9.6). Frames arrive without their FCS, as OVS hands them to a controller.
 */
import { InvalidArgumentError } from "../base/index.ts";
import { checkUint } from "./field-checks.ts";
import { formatMac, parseMac } from "./mac-address.ts";
import { PacketReader } from "./reader.ts";
import { PacketWriter } from "./writer.ts";

export const EtherType = {
  ipv4: 0x0800,
  arp: 0x0806,
  ipv6: 0x86dd,
  vlan: 0x8100,
  qinq: 0x88a8,
} as const;

export interface VlanTag {
  readonly tpid: typeof EtherType.vlan | typeof EtherType.qinq;
  readonly pcp: number;
  readonly dei: boolean;
  readonly vid: number;
}

export interface EthernetHeader {
  readonly dst: string;
  readonly src: string;
  /** Outermost first; empty for an untagged frame. */
  readonly vlanTags: readonly VlanTag[];
  /** The EtherType after the tags; values below 0x0600 are an 802.3 length, kept as they are. */
  readonly ethertype: number;
}

export interface EthernetFrame extends EthernetHeader {
  /** What follows the header, a view of the frame (it may end in the padding of a short frame). */
  readonly payload: Buffer;
}

const isTagTpid = (t: number): t is VlanTag["tpid"] => t === EtherType.vlan || t === EtherType.qinq;

export function decodeEthernet(frame: Uint8Array): EthernetFrame {
  const r = new PacketReader(frame, "ethernet");
  const dst = formatMac(r.view(6, "destination"));
  const src = formatMac(r.view(6, "source"));
  const vlanTags: VlanTag[] = [];
  let ethertype = r.u16("ethertype");
  while (isTagTpid(ethertype)) {
    const tci = r.u16(`VLAN tag ${vlanTags.length + 1} TCI`);
    vlanTags.push({ tpid: ethertype, pcp: tci >> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0x0fff });
    ethertype = r.u16(`ethertype after VLAN tag ${vlanTags.length}`);
  }
  return { dst, src, vlanTags, ethertype, payload: r.view(r.remaining, "payload") };
}

export interface EthernetHeaderInput {
  readonly dst: string;
  readonly src: string;
  readonly vlanTags?: readonly VlanTag[];
  readonly ethertype: number;
}

export function encodeEthernet(header: EthernetHeaderInput, payload: Uint8Array): Buffer {
  const w = new PacketWriter(14 + 4 * (header.vlanTags?.length ?? 0) + payload.length);
  w.bytes(parseMac(header.dst, "ethernet.dst")).bytes(parseMac(header.src, "ethernet.src"));
  (header.vlanTags ?? []).forEach((tag, i) => {
    const field = `ethernet.vlanTags[${i}]`;
    if (!isTagTpid(tag.tpid)) throw new InvalidArgumentError(`${field}.tpid`, "must be 0x8100 or 0x88a8");
    checkUint(`${field}.pcp`, tag.pcp, 3);
    checkUint(`${field}.vid`, tag.vid, 12);
    w.u16(tag.tpid).u16((tag.pcp << 13) | (tag.dei ? 0x1000 : 0) | tag.vid);
  });
  if (isTagTpid(checkUint("ethernet.ethertype", header.ethertype, 16)))
    throw new InvalidArgumentError("ethernet.ethertype", "a VLAN TPID belongs in vlanTags");
  return w.u16(header.ethertype).bytes(payload).finish();
}
