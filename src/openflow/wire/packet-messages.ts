/**
 * The messages of punted traffic (OpenFlow 1.5.1): OFPT_SET_CONFIG (§7.3.2), which turns packet-ins on
 * for a service connection; OFPT_PACKET_IN (§7.4.1), a packet sent to the controller with the pipeline
 * fields it had; OFPT_PACKET_OUT (§7.3.6), a packet injected with actions. Layouts as OVS decodes them
 * (lib/ofp-packet.c: ofp15_packet_out, and OF 1.3+'s ofp13_packet_in which 1.5 keeps); and the Nicira
 * extensions NXT_SET_PACKET_IN_FORMAT and NXT_PACKET_IN2 (include/openflow/nicira-ext.h), the only
 * packet-in that carries a controller action's userdata.
 */
import type { Action } from "../model/actions.ts";
import type { Match } from "../model/match.ts";
import { writeAction } from "./actions-codec.ts";
import { type Reader, Writer } from "./buffer.ts";
import { MessageType, NO_BUFFER, NX_VENDOR_ID, NxMessageSubtype } from "./constants.ts";
import { readMatch, readOxmFields, writeMatch } from "./match-codec.ts";
import { beginMessage, endMessage } from "./messages.ts";

/** OFPC_FRAG_NORMAL: fragments go through the tables as they are (the switch's default). */
const FRAG_NORMAL = 0;

/** Why the switch sent a packet (ofp_packet_in_reason, OF 1.5 §7.4.1). */
export const PacketInReason = {
  tableMiss: 0,
  applyAction: 1,
  invalidTtl: 2,
  actionSet: 3,
  group: 4,
  packetOut: 5,
} as const;

/**
 * SET_CONFIG with `missSendLength` > 0. OVS sends no asynchronous message to a service connection (the
 * bridge's `.mgmt` socket) whose miss_send_len is 0 (ofproto/connmgr.c ofconn_receives_async_msg), and a
 * controller action's max_len caps what a packet-in carries either way.
 */
export function setConfigMessage(xid: number, missSendLength: number): Buffer {
  const w = new Writer(12);
  const start = beginMessage(w, MessageType.setConfig, xid);
  w.u16(FRAG_NORMAL).u16(missSendLength);
  endMessage(w, start);
  return w.finish();
}

/** NXT_SET_PACKET_IN_FORMAT's formats (ofp-packet.h ofputil_packet_in_format). */
export const PacketInFormat = { standard: 0, nxt: 1, nxt2: 2 } as const;

/** NXT_SET_PACKET_IN_FORMAT: every later packet-in of this session in the given format. */
export function setPacketInFormatMessage(xid: number, format: number): Buffer {
  const w = new Writer(20);
  const start = beginMessage(w, MessageType.experimenter, xid);
  w.u32(NX_VENDOR_ID).u32(NxMessageSubtype.setPacketInFormat).u32(format);
  endMessage(w, start);
  return w.finish();
}

export interface PacketIn {
  /** OFP_NO_BUFFER (0xffffffff) unless the switch buffered the packet; OVS never does. */
  readonly bufferId: number;
  /** The packet's full length; `data` may be shorter when cut at max_len. */
  readonly totalLength: number;
  readonly reason: number;
  readonly tableId: number;
  /** The cookie of the flow whose action sent it: which feature, and which object of it. */
  readonly cookie: bigint;
  /** The pipeline fields the packet had: in_port always, and metadata, registers, tunnel and ct fields
   * that were not zero (OVS flow_get_metadata). */
  readonly match: Match;
  readonly data: Buffer;
  /** The controller action's userdata (NXT_PACKET_IN2 only). */
  readonly userdata: Buffer | undefined;
}

/** The body of an OFPT_PACKET_IN after its header. Throws OpenFlowDecodeError when malformed. */
export function readPacketIn(r: Reader): PacketIn {
  const bufferId = r.u32();
  const totalLength = r.u16();
  const reason = r.u8();
  const tableId = r.u8();
  const cookie = r.u64();
  const match = readMatch(r);
  r.skip(2);
  return {
    bufferId,
    totalLength,
    reason,
    tableId,
    cookie,
    match,
    data: r.bytes(r.remaining),
    userdata: undefined,
  };
}

/** NXT_PACKET_IN2's properties (nicira-ext.h nx_packet_in2_prop_type). */
const PacketIn2Prop = {
  packet: 0,
  fullLength: 1,
  bufferId: 2,
  tableId: 3,
  cookie: 4,
  reason: 5,
  metadata: 6,
  userdata: 7,
  continuation: 8,
} as const;

/**
 * The body of an NXT_PACKET_IN2 after its Nicira header: properties, each padded to 8 bytes. A cookie of
 * all ones (a table miss) is left out by OVS; a continuation (a paused pipeline) is not resumed here and
 * is ignored. Throws OpenFlowDecodeError when malformed or without the packet.
 */
export function readPacketIn2(r: Reader): PacketIn {
  let data: Buffer | undefined;
  let totalLength: number | undefined;
  let bufferId = NO_BUFFER;
  let tableId = 0;
  let cookie = 0xffffffffffffffffn;
  let reason = 0;
  let match: Match = [];
  let userdata: Buffer | undefined;
  while (r.remaining > 0) {
    const type = r.u16();
    const length = r.u16();
    if (length < 4) r.fail(`packet-in2 property ${type} length ${length}`);
    const value = r.sub(length - 4, `packet-in2 property ${type}`);
    r.skip(Math.min(r.remaining, (8 - (length % 8)) % 8));
    switch (type) {
      case PacketIn2Prop.packet:
        data = Buffer.from(value.bytes(value.remaining));
        break;
      case PacketIn2Prop.fullLength:
        totalLength = value.u32();
        break;
      case PacketIn2Prop.bufferId:
        bufferId = value.u32();
        break;
      case PacketIn2Prop.tableId:
        tableId = value.u8();
        break;
      case PacketIn2Prop.cookie:
        // 64-bit properties are aligned: 4 zero bytes after the header (ofp-prop.c ofpprop_put_be64).
        value.skip(4);
        cookie = value.u64();
        break;
      case PacketIn2Prop.reason:
        reason = value.u8();
        break;
      case PacketIn2Prop.metadata:
        match = readOxmFields(value);
        break;
      case PacketIn2Prop.userdata:
        userdata = Buffer.from(value.bytes(value.remaining));
        break;
      default:
        // The continuation, and properties of a newer switch: nothing we act on.
        break;
    }
  }
  if (data === undefined) r.fail("packet-in2 without its packet");
  return {
    bufferId,
    totalLength: totalLength ?? data.length,
    reason,
    tableId,
    cookie,
    match,
    data,
    userdata,
  };
}

/** The in_port of a packet-in's match, or undefined (OVS always sends it). */
export function packetInPort(packetIn: PacketIn): number | undefined {
  const field = packetIn.match.find((f) => f.field === "in_port");
  return field === undefined ? undefined : Number(field.value);
}

export interface PacketOut {
  /** The port the packet is said to come from: its ofport, or Port.controller. OVS requires one. */
  readonly inPort: number;
  readonly actions: readonly Action[];
  readonly data: Uint8Array;
}

/** OFPT_PACKET_OUT carrying the packet itself (no buffer id), the pipeline's in_port and actions. */
export function packetOutMessage(xid: number, out: PacketOut): Buffer {
  const w = new Writer(64 + out.data.length);
  const start = beginMessage(w, MessageType.packetOut, xid);
  w.u32(NO_BUFFER);
  const actionsLengthAt = w.length;
  w.u16(0).zeros(2);
  writeMatch(w, [{ field: "in_port", value: BigInt(out.inPort) }]);
  const actionsStart = w.length;
  for (const action of out.actions) writeAction(w, action);
  w.setU16(actionsLengthAt, w.length - actionsStart);
  w.bytes(out.data);
  endMessage(w, start);
  return w.finish();
}
