/**
 * A DHCPv6 client/server message (RFC 8415 §8): message type, 24-bit transaction id, options. Relay
 * messages (§9: relay-forward 12, relay-reply 13) have another layout and are not decoded: a responder
 * on the port's own link answers its clients, never a relay.
 */
import { InvalidArgumentError } from "../base/index.ts";
import { type Dhcpv6Option, readDhcpv6Options, writeDhcpv6Options } from "./dhcpv6-options.ts";
import { checkRange, checkUint } from "./field-checks.ts";
import { PacketReader } from "./reader.ts";
import { PacketWriter } from "./writer.ts";

/** §7.3. */
export const Dhcpv6MessageType = {
  solicit: 1,
  advertise: 2,
  request: 3,
  confirm: 4,
  renew: 5,
  rebind: 6,
  reply: 7,
  release: 8,
  decline: 9,
  reconfigure: 10,
  informationRequest: 11,
  relayForward: 12,
  relayReply: 13,
} as const;

export interface Dhcpv6Message {
  readonly messageType: number;
  readonly transactionId: number;
  readonly options: readonly Dhcpv6Option[];
}

const isRelay = (type: number) =>
  type === Dhcpv6MessageType.relayForward || type === Dhcpv6MessageType.relayReply;

/** Whether a UDP payload is a relay message (which decodeDhcpv6 refuses), by its first byte. */
export function isDhcpv6Relay(payload: Uint8Array): boolean {
  return payload.length > 0 && isRelay(payload[0]!);
}

export function decodeDhcpv6(bytes: Uint8Array): Dhcpv6Message {
  const r = new PacketReader(bytes, "dhcpv6");
  const messageType = r.u8("message type");
  if (messageType === 0) r.fail("message type", "is 0, which is reserved", 0);
  if (isRelay(messageType))
    r.fail("message type", `is ${messageType}, a relay message (not decoded here)`, 0);
  const high = r.u8("transaction id");
  const transactionId = (high << 16) | r.u16("transaction id");
  return { messageType, transactionId, options: readDhcpv6Options(r) };
}

export function encodeDhcpv6(message: Dhcpv6Message): Buffer {
  checkRange("dhcpv6.messageType", message.messageType, 1, 255);
  if (isRelay(message.messageType))
    throw new InvalidArgumentError("dhcpv6.messageType", "relay messages have another layout (RFC 8415 §9)");
  const xid = checkUint("dhcpv6.transactionId", message.transactionId, 24);
  const w = new PacketWriter(256);
  w.u8(message.messageType)
    .u8(xid >> 16)
    .u16(xid & 0xffff);
  writeDhcpv6Options(w, message.options, "dhcpv6.options");
  return w.finish();
}
