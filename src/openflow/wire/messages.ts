/**
 * OpenFlow 1.5 messages Weir sends and receives: the 8-byte header (version, type, length, xid), and the
 * bodies of hello, echo, features, barrier, error, flow_mod, multipart flow stats and flow monitor, and
 * bundle control/add. Layouts follow OVS's openflow-1.1/1.3/1.4 headers, which OVS also uses for 1.5.
 */
import { OpenFlowError } from "../errors.ts";
import type { Action } from "../model/actions.ts";
import type { Flow } from "../model/flow.ts";
import type { Match } from "../model/match.ts";
import { readInstructions, writeInstructions } from "./actions-codec.ts";
import { Reader, Writer } from "./buffer.ts";
import {
  ErrorType,
  type FlowModCommand,
  GROUP_ANY,
  MessageType,
  MULTIPART_REPLY_MORE,
  MultipartType,
  NO_BUFFER,
  NX_VENDOR_ID,
  NxMessageSubtype,
  OFP_VERSION,
  Port,
  TABLE_ALL,
} from "./constants.ts";
import { readMatch, writeMatch } from "./match-codec.ts";

export const HEADER_LENGTH = 8;

/** Starts a message; call end() to fill in the length. */
export function beginMessage(w: Writer, type: number, xid: number): number {
  const start = w.length;
  w.u8(OFP_VERSION).u8(type).u16(0).u32(xid);
  return start;
}

export function endMessage(w: Writer, start: number): void {
  const length = w.length - start;
  if (length > 0xffff) throw new RangeError(`OpenFlow message of ${length} bytes exceeds 65535`);
  w.setU16(start + 2, length);
}

export function simpleMessage(type: number, xid: number, body?: Uint8Array): Buffer {
  const w = new Writer(HEADER_LENGTH + (body?.length ?? 0));
  const start = beginMessage(w, type, xid);
  if (body) w.bytes(body);
  endMessage(w, start);
  return w.finish();
}

/** HELLO with a version bitmap that offers OpenFlow 1.5 only (OF 1.5 §7.5.1). */
export function helloMessage(xid: number): Buffer {
  const w = new Writer(16);
  const start = beginMessage(w, MessageType.hello, xid);
  w.u16(1)
    .u16(8)
    .u32(1 << OFP_VERSION);
  endMessage(w, start);
  return w.finish();
}

// ── flow_mod ─────────────────────────────────────────────────────────────────────────────────────────

export interface FlowModOptions {
  readonly command: FlowModCommand;
  readonly cookieMask?: bigint;
  readonly outPort?: number;
  readonly flags?: number;
}

/** Appends one OFPT_FLOW_MOD (ofp11_flow_mod layout, OF 1.5 §7.3.4.2) to `w`. */
export function writeFlowMod(w: Writer, xid: number, f: Flow, options: FlowModOptions): void {
  const start = beginMessage(w, MessageType.flowMod, xid);
  w.u64(f.cookie).u64(options.cookieMask ?? 0n);
  w.u8(f.table).u8(options.command).u16(f.idleTimeout).u16(f.hardTimeout).u16(f.priority);
  w.u32(NO_BUFFER)
    .u32(options.outPort ?? Port.any)
    .u32(GROUP_ANY)
    .u16(options.flags ?? 0)
    .u16(0);
  writeMatch(w, f.match);
  if (options.command !== 3 && options.command !== 4) writeInstructions(w, f.actions);
  endMessage(w, start);
}

export function flowModMessage(xid: number, f: Flow, options: FlowModOptions): Buffer {
  const w = new Writer(256);
  writeFlowMod(w, xid, f, options);
  return w.finish();
}

/** A delete of every flow in `table` (or all tables) whose cookie matches cookie/mask (OF 1.5 §7.3.4.2). */
export function deleteByCookieMessage(xid: number, cookie: bigint, mask: bigint, table = TABLE_ALL): Buffer {
  const w = new Writer(64);
  const start = beginMessage(w, MessageType.flowMod, xid);
  w.u64(cookie).u64(mask).u8(table).u8(3).u16(0).u16(0).u16(0);
  w.u32(NO_BUFFER).u32(Port.any).u32(GROUP_ANY).u16(0).u16(0);
  writeMatch(w, []);
  endMessage(w, start);
  return w.finish();
}

// ── multipart: flow stats and flow monitor ──────────────────────────────────────────────────────────

function beginMultipart(w: Writer, xid: number, type: number): number {
  const start = beginMessage(w, MessageType.multipartRequest, xid);
  w.u16(type).u16(0).zeros(4);
  return start;
}

/** OFPMP_AGGREGATE request: how many flows match cookie/mask (OF 1.5 §7.3.5.3). */
export function aggregateRequest(xid: number, cookie: bigint, cookieMask: bigint, table = TABLE_ALL): Buffer {
  const w = new Writer(64);
  const start = beginMultipart(w, xid, MultipartType.aggregate);
  w.u8(table).zeros(3).u32(Port.any).u32(GROUP_ANY).zeros(4).u64(cookie).u64(cookieMask);
  writeMatch(w, []);
  endMessage(w, start);
  return w.finish();
}

/** An OFPMP_AGGREGATE reply: OpenFlow 1.5 sends an ofp_stats block with the flow count (OXS field 3). */
export function readAggregate(body: Reader): { flows: number; packets: bigint; bytes: bigint } {
  const stats = readOxsStats(body);
  return { flows: stats.flows, packets: stats.packets, bytes: stats.bytes };
}

/** OFPMP_FLOW request for every flow whose cookie matches cookie/mask, in `table` or all tables. */
export function flowStatsRequest(
  xid: number,
  cookie = 0n,
  cookieMask = 0n,
  table = TABLE_ALL,
  m: Match = [],
): Buffer {
  const w = new Writer(64);
  const start = beginMultipart(w, xid, MultipartType.flow);
  w.u8(table).zeros(3).u32(Port.any).u32(GROUP_ANY).zeros(4).u64(cookie).u64(cookieMask);
  writeMatch(w, m);
  endMessage(w, start);
  return w.finish();
}

export interface FlowStats {
  readonly flow: Flow;
  readonly packets: bigint;
  readonly bytes: bigint;
  readonly durationSec: number;
}

/**
 * Reads the entries of an OFPMP_FLOW_DESC reply body. OVS answers OpenFlow 1.5 with ofp15_flow_desc:
 * length, pad, table, pad, priority, idle/hard timeouts, flags, importance, cookie (24 bytes), the match,
 * an ofp_stats block of OXS fields (duration, idle time, packet and byte counts), then instructions.
 */
export function readFlowStats(body: Reader): FlowStats[] {
  const out: FlowStats[] = [];
  while (body.remaining > 0) {
    const length = body.u16();
    const entry = body.sub(length - 2, "flow desc entry");
    entry.skip(2);
    const table = entry.u8();
    entry.skip(1);
    const priority = entry.u16();
    const idleTimeout = entry.u16();
    const hardTimeout = entry.u16();
    entry.skip(4); // flags, importance
    const cookie = entry.u64();
    const match = readMatch(entry);
    const { packets, bytes, durationSec } = readOxsStats(entry);
    const actions = readInstructions(entry);
    out.push({
      flow: { table, priority, cookie, idleTimeout, hardTimeout, match, actions },
      packets,
      bytes,
      durationSec,
    });
  }
  return out;
}

const OXS_CLASS_BASIC = 0x8002;

/** ofp_stats (OF 1.5 §7.2.4): reserved, length, OXS TLVs — class, field<<1, length — padded to 8 bytes. */
function readOxsStats(r: Reader): { packets: bigint; bytes: bigint; durationSec: number; flows: number } {
  r.skip(2);
  const length = r.u16();
  if (length < 4) r.fail(`ofp_stats length ${length}`);
  const block = r.sub(length - 4, "ofp_stats");
  r.skip((8 - (length % 8)) % 8);
  let packets = 0n;
  let bytes = 0n;
  let durationSec = 0;
  let flows = 0;
  while (block.remaining >= 4) {
    const oxsClass = block.u16();
    const field = block.u8() >> 1;
    const size = block.u8();
    const value = block.sub(size, "OXS field");
    if (oxsClass !== OXS_CLASS_BASIC) continue;
    if (field === 0 && size === 8) durationSec = value.u32();
    else if (field === 3 && size === 4) flows = value.u32();
    else if (field === 4 && size === 8) packets = value.u64();
    else if (field === 5 && size === 8) bytes = value.u64();
  }
  return { packets, bytes, durationSec, flows };
}

export const MonitorFlags = {
  initial: 1,
  add: 2,
  removed: 4,
  modify: 8,
  instructions: 16,
  noAbbrev: 32,
  onlyOwn: 64,
} as const;

/** An OFPMP_FLOW_MONITOR request (ofp14_flow_monitor_request) adding monitor `id` over all tables. */
export function flowMonitorRequest(xid: number, id: number, flags: number, table = TABLE_ALL): Buffer {
  const w = new Writer(64);
  const start = beginMultipart(w, xid, MultipartType.flowMonitor);
  w.u32(id).u32(Port.any).u32(GROUP_ANY).u16(flags).u8(table).u8(0);
  writeMatch(w, []);
  endMessage(w, start);
  return w.finish();
}

export type FlowUpdate =
  | {
      readonly event: "initial" | "added" | "removed" | "modified";
      readonly table: number;
      readonly priority: number;
      readonly cookie: bigint;
      readonly match: Match;
      readonly actions: readonly Action[];
      readonly reason: number;
    }
  | { readonly event: "abbrev"; readonly xid: number }
  | { readonly event: "paused" | "resumed" };

export type FullFlowUpdate = Extract<FlowUpdate, { readonly table: number }>;

export function isFullUpdate(update: FlowUpdate): update is FullFlowUpdate {
  return "table" in update;
}

const fullEvents = ["initial", "added", "removed", "modified"] as const;

/** Reads the updates in an OFPMP_FLOW_MONITOR reply body (ofp_flow_update_full / abbrev / paused). */
export function readFlowUpdates(body: Reader): FlowUpdate[] {
  const out: FlowUpdate[] = [];
  while (body.remaining > 0) {
    const length = body.u16();
    const event = body.u16();
    const entry = body.sub(length - 4, "flow update");
    if (event <= 3) {
      const table = entry.u8();
      const reason = entry.u8();
      entry.skip(4); // idle, hard timeouts
      const priority = entry.u16();
      entry.skip(4);
      const cookie = entry.u64();
      const match = readMatch(entry);
      const actions = entry.remaining > 0 ? readInstructions(entry) : [];
      out.push({ event: fullEvents[event]!, table, priority, cookie, match, actions, reason });
    } else if (event === 4) out.push({ event: "abbrev", xid: entry.u32() });
    else if (event === 5) out.push({ event: "paused" });
    else if (event === 6) out.push({ event: "resumed" });
    else entry.fail(`unknown flow update event ${event}`);
  }
  return out;
}

// ── bundles (OF 1.5 §7.3.9) ───────────────────────────────────────────────────────────────────────────

export function bundleControlMessage(xid: number, bundleId: number, type: number, flags: number): Buffer {
  const w = new Writer(16);
  const start = beginMessage(w, MessageType.bundleControl, xid);
  w.u32(bundleId).u16(type).u16(flags);
  endMessage(w, start);
  return w.finish();
}

/** Appends a BUNDLE_ADD_MESSAGE wrapping `inner`; the inner xid must equal the outer one (OVS checks). */
export function writeBundleAdd(
  w: Writer,
  xid: number,
  bundleId: number,
  flags: number,
  inner: (w: Writer) => void,
): void {
  const start = beginMessage(w, MessageType.bundleAddMessage, xid);
  w.u32(bundleId).u16(0).u16(flags);
  inner(w);
  endMessage(w, start);
}

// ── incoming ─────────────────────────────────────────────────────────────────────────────────────────

export type Incoming =
  | { readonly type: "hello"; readonly xid: number; readonly versions: readonly number[] }
  | { readonly type: "error"; readonly xid: number; readonly error: OpenFlowError }
  | { readonly type: "echo_request"; readonly xid: number; readonly data: Uint8Array }
  | { readonly type: "echo_reply"; readonly xid: number }
  | {
      readonly type: "features_reply";
      readonly xid: number;
      readonly datapathId: bigint;
      readonly tables: number;
    }
  | { readonly type: "barrier_reply"; readonly xid: number }
  | {
      readonly type: "multipart_reply";
      readonly xid: number;
      readonly multipartType: number;
      readonly more: boolean;
      readonly body: Reader;
    }
  | {
      readonly type: "bundle_control";
      readonly xid: number;
      readonly bundleId: number;
      readonly control: number;
    }
  /** Its body is read by packet-messages.ts readPacketIn. */
  | {
      readonly type: "packet_in";
      readonly xid: number;
      /** OFPT_PACKET_IN, or NXT_PACKET_IN2 (its body after the Nicira header). */
      readonly format: "standard" | "nxt2";
      readonly body: Reader;
    }
  | { readonly type: "other"; readonly xid: number; readonly messageType: number };

/** Decodes one complete message (header included). Throws OpenFlowDecodeError on malformed input. */
export function decodeMessage(data: Uint8Array): Incoming {
  const r = new Reader(data, "OpenFlow message");
  const version = r.u8();
  const type = r.u8();
  const length = r.u16();
  const xid = r.u32();
  if (length !== data.length) r.fail(`header length ${length} but ${data.length} bytes`);
  if (type === MessageType.hello) return { type: "hello", xid, versions: readHelloVersions(r, version) };
  if (version !== OFP_VERSION) r.fail(`version 0x${version.toString(16)} after negotiating OpenFlow 1.5`);
  switch (type) {
    case MessageType.error: {
      const errorType = r.u16();
      const code = r.u16();
      const experimenter = errorType === ErrorType.experimenter ? r.u32() : undefined;
      return {
        type: "error",
        xid,
        error: new OpenFlowError(errorType, code, r.bytes(r.remaining), experimenter),
      };
    }
    case MessageType.echoRequest:
      return { type: "echo_request", xid, data: r.bytes(r.remaining) };
    case MessageType.echoReply:
      return { type: "echo_reply", xid };
    case MessageType.featuresReply: {
      const datapathId = r.u64();
      r.skip(4);
      const tables = r.u8();
      return { type: "features_reply", xid, datapathId, tables };
    }
    case MessageType.barrierReply:
      return { type: "barrier_reply", xid };
    case MessageType.multipartReply: {
      const multipartType = r.u16();
      const flags = r.u16();
      r.skip(4);
      return {
        type: "multipart_reply",
        xid,
        multipartType,
        more: (flags & MULTIPART_REPLY_MORE) !== 0,
        body: r.sub(r.remaining, "multipart body"),
      };
    }
    case MessageType.bundleControl: {
      const bundleId = r.u32();
      const control = r.u16();
      return { type: "bundle_control", xid, bundleId, control };
    }
    case MessageType.packetIn:
      return { type: "packet_in", xid, format: "standard", body: r.sub(r.remaining, "packet-in body") };
    case MessageType.experimenter: {
      const experimenter = r.u32();
      const subtype = r.u32();
      if (experimenter === NX_VENDOR_ID && subtype === NxMessageSubtype.packetIn2)
        return { type: "packet_in", xid, format: "nxt2", body: r.sub(r.remaining, "packet-in2 body") };
      return { type: "other", xid, messageType: type };
    }
    default:
      return { type: "other", xid, messageType: type };
  }
}

function readHelloVersions(r: Reader, headerVersion: number): number[] {
  const versions: number[] = [];
  while (r.remaining >= 4) {
    const type = r.u16();
    const length = r.u16();
    if (length < 4) r.fail(`hello element length ${length}`);
    const element = r.sub(length - 4, "hello element");
    r.skip(Math.min(r.remaining, (8 - (length % 8)) % 8));
    if (type !== 1) continue;
    for (let word = 0; element.remaining >= 4; word++) {
      const bits = element.u32();
      for (let bit = 0; bit < 32; bit++) if (bits & (1 << bit)) versions.push(word * 32 + bit);
    }
  }
  return versions.length > 0 ? versions : [headerVersion];
}
