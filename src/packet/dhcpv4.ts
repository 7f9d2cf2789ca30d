/**
 * A DHCPv4 message (RFC 2131 §2): BOOTP's fixed part (RFC 951), the magic cookie (RFC 2131 §3,
 * RFC 2132 §2) and the options (dhcpv4-options.ts).
 */
import { InvalidArgumentError } from "../base/index.ts";
import {
  type DecodedDhcpv4Option,
  type Dhcpv4Option,
  readOptionAreas,
  writeOptions,
} from "./dhcpv4-options.ts";
import { checkMaxLength, checkRange, checkUint } from "./field-checks.ts";
import { formatIpv4, parseIpv4 } from "./ipv4-address.ts";
import { formatMac } from "./mac-address.ts";
import { PacketReader } from "./reader.ts";
import { PacketWriter } from "./writer.ts";

export const BootpOp = { request: 1, reply: 2 } as const;

/** Option 53's values (RFC 2132 §9.6). */
export const Dhcpv4MessageType = {
  discover: 1,
  offer: 2,
  request: 3,
  decline: 4,
  ack: 5,
  nak: 6,
  release: 7,
  inform: 8,
} as const;

export const DHCPV4_MAGIC_COOKIE = 0x63825363;

/** A BOOTP message is at least 300 bytes (RFC 951 fixed a 64-byte vendor area; RFC 1542 keeps the minimum): old clients drop shorter ones. */
export const BOOTP_MINIMUM_LENGTH = 300;

const BROADCAST_FLAG = 0x8000;

export interface Dhcpv4Message {
  readonly op: number;
  /** Hardware address type (ARP's, IANA "Hardware Types"): 1 for Ethernet. */
  readonly htype: number;
  readonly hlen: number;
  readonly hops: number;
  readonly xid: number;
  readonly secs: number;
  /** The flags' B bit (RFC 2131 §2, Figure 2); the other 15 bits are zero when sent and ignored. */
  readonly broadcast: boolean;
  readonly ciaddr: string;
  readonly yiaddr: string;
  readonly siaddr: string;
  readonly giaddr: string;
  /** The 16-byte client hardware address field; the first `hlen` bytes are the address. */
  readonly chaddr: Uint8Array;
  /** Server host name and boot file name, NUL-terminated on the wire; "" when unset or overloaded. */
  readonly sname: string;
  readonly file: string;
  /** Pad, End and Overload are structure, not options: they are never listed. */
  readonly options: readonly Dhcpv4Option[];
}

export interface DecodedDhcpv4Message extends Dhcpv4Message {
  readonly chaddr: Buffer;
  readonly options: readonly DecodedDhcpv4Option[];
}

export function decodeDhcpv4(bytes: Uint8Array): DecodedDhcpv4Message {
  const r = new PacketReader(bytes, "dhcpv4");
  const op = r.u8("op");
  if (op !== BootpOp.request && op !== BootpOp.reply) r.fail("op", `is ${op}, must be 1 or 2`, 0);
  const htype = r.u8("htype");
  const hlen = r.u8("hlen");
  if (hlen > 16) r.fail("hlen", `is ${hlen}, more than chaddr's 16 bytes`, 2);
  const hops = r.u8("hops");
  const xid = r.u32("xid");
  const secs = r.u16("secs");
  const flags = r.u16("flags");
  const address = (field: string) => formatIpv4(r.view(4, field));
  const ciaddr = address("ciaddr");
  const yiaddr = address("yiaddr");
  const siaddr = address("siaddr");
  const giaddr = address("giaddr");
  const chaddr = r.copy(16, "chaddr");
  const snameBytes = r.view(64, "sname");
  const fileBytes = r.view(128, "file");
  const cookie = r.u32("magic cookie");
  if (cookie !== DHCPV4_MAGIC_COOKIE)
    r.fail("magic cookie", `is 0x${cookie.toString(16).padStart(8, "0")}, must be 0x63825363`, 236);
  const areas = readOptionAreas(bytes, r.offset);
  return {
    op,
    htype,
    hlen,
    hops,
    xid,
    secs,
    broadcast: (flags & BROADCAST_FLAG) !== 0,
    ciaddr,
    yiaddr,
    siaddr,
    giaddr,
    chaddr,
    sname: areas.snameHoldsOptions ? "" : nulTerminated(snameBytes),
    file: areas.fileHoldsOptions ? "" : nulTerminated(fileBytes),
    options: areas.options,
  };
}

/** Latin-1, so that any byte survives a round trip. */
function nulTerminated(field: Buffer): string {
  const nul = field.indexOf(0);
  return field.toString("latin1", 0, nul < 0 ? field.length : nul);
}

export interface Dhcpv4EncodeOptions {
  /** Zero padding after End up to this many bytes; 300 unless given (BOOTP_MINIMUM_LENGTH). */
  readonly minimumLength?: number;
}

export function encodeDhcpv4(message: Dhcpv4Message, options: Dhcpv4EncodeOptions = {}): Buffer {
  const w = new PacketWriter(576);
  checkRange("dhcpv4.op", message.op, 1, 2);
  checkMaxLength("dhcpv4.chaddr", message.chaddr, 16);
  w.u8(message.op)
    .u8(checkUint("dhcpv4.htype", message.htype, 8))
    .u8(checkRange("dhcpv4.hlen", message.hlen, 0, 16))
    .u8(checkUint("dhcpv4.hops", message.hops, 8))
    .u32(checkUint("dhcpv4.xid", message.xid, 32))
    .u16(checkUint("dhcpv4.secs", message.secs, 16))
    .u16(message.broadcast ? BROADCAST_FLAG : 0)
    .bytes(parseIpv4(message.ciaddr, "dhcpv4.ciaddr"))
    .bytes(parseIpv4(message.yiaddr, "dhcpv4.yiaddr"))
    .bytes(parseIpv4(message.siaddr, "dhcpv4.siaddr"))
    .bytes(parseIpv4(message.giaddr, "dhcpv4.giaddr"))
    .bytes(message.chaddr)
    .zeros(16 - message.chaddr.length)
    .bytes(fixedText("dhcpv4.sname", message.sname, 64))
    .bytes(fixedText("dhcpv4.file", message.file, 128))
    .u32(DHCPV4_MAGIC_COOKIE);
  writeOptions(w, message.options);
  const minimum = checkUint("minimumLength", options.minimumLength ?? BOOTP_MINIMUM_LENGTH, 16);
  return w.zeros(minimum - w.length).finish();
}

/** A NUL-terminated Latin-1 string in a field of `size` bytes. */
function fixedText(field: string, text: string, size: number): Buffer {
  if ([...text].some((c) => c.charCodeAt(0) === 0 || c.charCodeAt(0) > 0xff))
    throw new InvalidArgumentError(field, "must be Latin-1 text without NUL characters");
  if (text.length > size - 1)
    throw new InvalidArgumentError(field, `is ${text.length} characters, at most ${size - 1} fit`);
  const out = Buffer.alloc(size);
  out.write(text, "latin1");
  return out;
}

/** The client's MAC when its hardware is Ethernet (htype 1, hlen 6). */
export function dhcpv4ClientMac(message: Dhcpv4Message): string | undefined {
  if (message.htype !== 1 || message.hlen !== 6) return undefined;
  return formatMac(message.chaddr.subarray(0, 6));
}

/** The option of `code`, whole (RFC 3396 instances joined), or undefined. */
export function findDhcpv4Option<O extends Dhcpv4Option>(
  message: { readonly options: readonly O[] },
  code: number,
): O | undefined {
  return message.options.find((o) => o.code === code);
}
