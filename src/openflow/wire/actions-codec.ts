/**
 * Actions and instructions (OpenFlow 1.5 §7.2.4–7.2.5) plus the Nicira extension actions Weir uses
 * (layouts as in OVS lib/ofp-actions.c). Encoding picks one form per action; decoding also accepts the
 * other forms Open vSwitch emits in OpenFlow 1.5 dumps (set_field for every load, copy_field for move,
 * set_field of nw_tos for ip_dscp) and the older forms it accepts (OFPAT_SET_NW_TOS, the 1.3 meter
 * instruction).
 */
import type { Action, Learn, LearnSpec, NatSpec, Subfield } from "../model/actions.ts";
import { Reader, type Writer } from "./buffer.ts";
import { ActionType, InstructionType, NX_VENDOR_ID, NxActionSubtype, Port } from "./constants.ts";
import { allOnes, type FieldDef, fieldNamed, IP_TOS_SHIFT, isIpTosHeader } from "./fields.ts";
import { readFieldHeader, readOxm, writeFieldHeader, writeOxm } from "./oxm.ts";

const OFPAT15_COPY_FIELD = 28;
const NX_CT_F_COMMIT = 1;
const NX_CT_F_FORCE = 2;
const NX_CT_RECIRC_NONE = 0xff;
const NAT_FLAG = { src: 1, dst: 2, persistent: 4, hash: 8, random: 16 } as const;
const NAT_RANGE = { ipv4Min: 1, ipv4Max: 2, ipv6Min: 4, ipv6Max: 8, protoMin: 16, protoMax: 32 } as const;
const LEARN_SRC_IMMEDIATE = 1 << 13;
const LEARN_DST_LOAD = 1 << 11;
const LEARN_DST_OUTPUT = 2 << 11;
const LEARN_F_DELETE_LEARNED = 2;

// ── instructions ──────────────────────────────────────────────────────────────────────────────────────

/** apply_actions with every action but goto_table, then the goto_table instruction if present. */
export function writeInstructions(w: Writer, actions: readonly Action[]): void {
  const last = actions.at(-1);
  const goto = last?.type === "goto_table" ? last : undefined;
  const apply = goto ? actions.slice(0, -1) : actions;
  if (apply.length > 0) {
    const start = w.length;
    w.u16(InstructionType.applyActions).u16(0).zeros(4);
    for (const action of apply) writeAction(w, action);
    w.setU16(start + 2, w.length - start);
  }
  if (goto) w.u16(InstructionType.gotoTable).u16(8).u8(goto.table).zeros(3);
}

export function readInstructions(r: Reader): Action[] {
  const actions: Action[] = [];
  let goto: Action | undefined;
  let meter: Action | undefined;
  while (r.remaining > 0) {
    const start = r.offset;
    const type = r.u16();
    const length = r.u16();
    if (length < 8 || length % 8 !== 0) r.fail(`instruction ${type} has length ${length}`);
    const body = r.sub(length - 4, `instruction ${type}`);
    if (type === InstructionType.applyActions) {
      body.skip(4);
      actions.push(...readActions(body));
    } else if (type === InstructionType.gotoTable) {
      goto = { type: "goto_table", table: body.u8() };
    } else if (type === InstructionType.meter) {
      // OpenFlow 1.3/1.4's meter instruction. OVS never sends it in 1.5 (ofp-actions.c encode_METER
      // emits OFPAT_METER from 1.5 on); read anyway, as the action it became, first as OVS orders it.
      meter = { type: "meter", id: body.u32() };
    } else {
      // An instruction we do not model: kept as opaque bytes (it cannot be re-encoded as an action).
      actions.push({ type: "unknown", bytes: r.slice(start, length) });
    }
  }
  return [...(meter ? [meter] : []), ...actions, ...(goto ? [goto] : [])];
}

// ── actions ───────────────────────────────────────────────────────────────────────────────────────────

export function writeAction(w: Writer, a: Action): void {
  switch (a.type) {
    case "output":
      w.u16(ActionType.output)
        .u16(16)
        .u32(a.port)
        .u16(a.maxLen ?? (a.port === Port.controller ? 0xffff : 0))
        .zeros(6);
      return;
    case "resubmit":
      nx(w, a.ct ? NxActionSubtype.resubmitTableCt : NxActionSubtype.resubmitTable, (b) =>
        b
          .u16(toPort10(a.port ?? Port.inPort))
          .u8(a.table ?? 0xff)
          .zeros(3),
      );
      return;
    case "push_vlan":
      w.u16(ActionType.pushVlan).u16(8).u16(a.ethertype).zeros(2);
      return;
    case "pop_vlan":
      w.u16(ActionType.popVlan).u16(8).zeros(4);
      return;
    case "set_field":
      padded(w, () => {
        w.u16(ActionType.setField).u16(0);
        writeOxm(w, fieldNamed(a.field)!, a.value, a.mask);
      });
      return;
    case "move":
      // OpenFlow 1.5 copy_field (OVS takes NXAST_REG_MOVE only up to 1.4): n_bits, offsets, 2 bytes of
      // padding, then the source and destination field headers (checked against ovs-ofctl ofp-print).
      padded(w, () => {
        w.u16(OFPAT15_COPY_FIELD)
          .u16(0)
          .u16(a.src.end - a.src.start + 1)
          .u16(a.src.start)
          .u16(a.dst.start);
        w.zeros(2);
        writeFieldHeader(w, fieldNamed(a.src.field)!);
        writeFieldHeader(w, fieldNamed(a.dst.field)!);
      });
      return;
    case "learn":
      nx(w, NxActionSubtype.learn, (b) => writeLearn(b, a.learn));
      return;
    case "ct":
      nx(w, NxActionSubtype.ct, (b) => {
        b.u16((a.commit ? NX_CT_F_COMMIT : 0) | (a.force ? NX_CT_F_FORCE : 0));
        if (typeof a.zone === "object") {
          writeFieldHeader(b, fieldNamed(a.zone.field)!);
          b.u16(ofsNbits(a.zone));
        } else {
          b.u32(0).u16(a.zone ?? 0);
        }
        b.u8(a.table ?? NX_CT_RECIRC_NONE)
          .zeros(3)
          .u16(a.alg ?? 0);
        for (const inner of a.actions) writeAction(b, inner);
      });
      return;
    case "nat":
      nx(w, NxActionSubtype.nat, (b) => writeNat(b, a.nat));
      return;
    case "ct_clear":
      nx(w, NxActionSubtype.ctClear, () => {});
      return;
    case "note":
      nx(w, NxActionSubtype.note, (b) => b.bytes(a.data));
      return;
    case "controller":
      // As OVS encodes it (ofp-actions.c encode_CONTROLLER): properties only where not the default.
      nx(w, NxActionSubtype.controller2, (b) => {
        b.zeros(6);
        if (a.maxLen !== 0xffff) property(b, Controller2Prop.maxLen, (v) => v.u16(a.maxLen));
        property(b, Controller2Prop.userdata, (v) => v.bytes(a.userdata));
      });
      return;
    case "conjunction":
      nx(w, NxActionSubtype.conjunction, (b) =>
        b
          .u8(a.clause - 1)
          .u8(a.clauses)
          .u32(a.id),
      );
      return;
    case "exit":
      nx(w, NxActionSubtype.exit, () => {});
      return;
    case "dec_ttl":
      // OpenFlow 1.1+ OFPAT_DEC_NW_TTL; OVS takes NXAST_DEC_TTL only up to 1.4.
      w.u16(ActionType.decNwTtl).u16(8).zeros(4);
      return;
    case "meter":
      // OpenFlow 1.5 OFPAT_METER (ofp_action_meter: type, length 8, meter id), inside apply_actions.
      w.u16(ActionType.meter).u16(8).u32(a.id);
      return;
    case "goto_table":
      throw new Error("goto_table is an instruction; writeInstructions places it");
    case "unknown":
      w.bytes(a.bytes);
      return;
  }
}

/** A Nicira action: OFPAT_EXPERIMENTER, length, NX_VENDOR_ID, subtype, body, zero-padded to 8 bytes
 * (and never shorter than 16: a 10-byte header plus at least 6 bytes of body or padding). */
function nx(w: Writer, subtype: number, body: (w: Writer) => void): void {
  const start = w.length;
  w.u16(ActionType.experimenter).u16(0).u32(NX_VENDOR_ID).u16(subtype);
  body(w);
  if (w.length - start < 16) w.zeros(16 - (w.length - start));
  w.padTo(8, start);
  w.setU16(start + 2, w.length - start);
}

/** NXAST_CONTROLLER2's properties (ofp-actions.c nx_action_controller2_prop_type). */
const Controller2Prop = { maxLen: 0, controllerId: 1, reason: 2, userdata: 3, pause: 4, meterId: 5 } as const;

/** An OpenFlow property: type, length without padding, value, zeros to a multiple of 8. */
function property(w: Writer, type: number, value: (w: Writer) => void): void {
  const start = w.length;
  w.u16(type).u16(0);
  value(w);
  w.setU16(start + 2, w.length - start);
  w.padTo(8, start);
}

function padded(w: Writer, body: () => void): void {
  const start = w.length;
  body();
  w.padTo(8, start);
  w.setU16(start + 2, w.length - start);
}

const ofsNbits = (sub: Subfield) => (sub.start << 6) | (sub.end - sub.start);

function toPort10(port: number): number {
  return port >= Port.max ? port & 0xffff : port;
}

function fromPort10(port: number): number {
  return port >= 0xff00 ? (port | 0xffff0000) >>> 0 : port;
}

function writeLearn(w: Writer, l: Learn): void {
  w.u16(l.idleTimeout).u16(l.hardTimeout).u16(l.priority).u64(l.cookie);
  w.u16(l.deleteLearned ? LEARN_F_DELETE_LEARNED : 0)
    .u8(l.table)
    .u8(0)
    .u16(l.finIdleTimeout)
    .u16(l.finHardTimeout);
  for (const spec of l.specs) writeLearnSpec(w, spec);
}

function writeLearnSpec(w: Writer, spec: LearnSpec): void {
  const src = spec.src;
  const nBits =
    spec.kind === "output" ? spec.src.end - spec.src.start + 1 : spec.dst.end - spec.dst.start + 1;
  const dstType = spec.kind === "match" ? 0 : spec.kind === "load" ? LEARN_DST_LOAD : LEARN_DST_OUTPUT;
  w.u16((typeof src === "bigint" ? LEARN_SRC_IMMEDIATE : 0) | dstType | nBits);
  if (typeof src === "bigint") w.uint(src, 2 * Math.ceil(nBits / 16));
  else {
    writeFieldHeader(w, fieldNamed(src.field)!);
    w.u16(src.start);
  }
  if (spec.kind !== "output") {
    writeFieldHeader(w, fieldNamed(spec.dst.field)!);
    w.u16(spec.dst.start);
  }
}

function writeNat(w: Writer, n: NatSpec): void {
  const flags =
    (n.kind === "src" ? NAT_FLAG.src : n.kind === "dst" ? NAT_FLAG.dst : 0) |
    (n.persistent ? NAT_FLAG.persistent : 0) |
    (n.hash ? NAT_FLAG.hash : 0) |
    (n.random ? NAT_FLAG.random : 0);
  const v6 = (n.ipMin ?? 0n) > 0xffffffffn;
  let present = 0;
  if (n.ipMin !== undefined) present |= v6 ? NAT_RANGE.ipv6Min : NAT_RANGE.ipv4Min;
  if (n.ipMax !== undefined && n.ipMax !== n.ipMin) present |= v6 ? NAT_RANGE.ipv6Max : NAT_RANGE.ipv4Max;
  if (n.portMin !== undefined) present |= NAT_RANGE.protoMin;
  if (n.portMax !== undefined && n.portMax !== n.portMin) present |= NAT_RANGE.protoMax;
  w.zeros(2).u16(flags).u16(present);
  const ipBytes = v6 ? 16 : 4;
  if (n.ipMin !== undefined) w.uint(n.ipMin, ipBytes);
  if (present & (NAT_RANGE.ipv4Max | NAT_RANGE.ipv6Max)) w.uint(n.ipMax!, ipBytes);
  if (n.portMin !== undefined) w.u16(n.portMin);
  if (present & NAT_RANGE.protoMax) w.u16(n.portMax!);
}

export function readActions(r: Reader): Action[] {
  const actions: Action[] = [];
  while (r.remaining > 0) {
    const start = r.offset;
    const type = r.u16();
    const length = r.u16();
    if (length < 8 || length % 8 !== 0) r.fail(`action ${type} has length ${length}`);
    const body = r.sub(length - 4, `action ${type}`);
    // Actions we do not model are kept whole, so a flow read back can be written back unchanged.
    actions.push(readAction(type, body, () => r.slice(start, length)));
  }
  return actions;
}

function readAction(type: number, b: Reader, raw: () => Uint8Array): Action {
  switch (type) {
    case ActionType.output: {
      const port = b.u32();
      const maxLen = b.u16();
      return port === Port.controller ? { type: "output", port, maxLen } : { type: "output", port };
    }
    case ActionType.pushVlan:
      return { type: "push_vlan", ethertype: b.u16() };
    case ActionType.popVlan:
      return { type: "pop_vlan" };
    case ActionType.setField:
      return readSetField(b, raw);
    case ActionType.decNwTtl:
      return { type: "dec_ttl" };
    case ActionType.meter:
      return { type: "meter", id: b.u32() };
    case ActionType.setNwTos:
      // ofp_action_nw_tos: the TOS byte with the DSCP in bits 2-7 (mod_nw_tos), then 3 bytes of padding.
      return dscpFromTos(BigInt(b.u8()), undefined, raw);
    case OFPAT15_COPY_FIELD: {
      const nBits = b.u16();
      const srcOfs = b.u16();
      const dstOfs = b.u16();
      b.skip(2);
      return readMove(b, nBits, srcOfs, dstOfs, raw);
    }
    case ActionType.experimenter: {
      const vendor = b.u32();
      if (vendor !== NX_VENDOR_ID) return { type: "unknown", bytes: raw() };
      return readNxAction(b.u16(), b, raw);
    }
    default:
      return { type: "unknown", bytes: raw() };
  }
}

function readSetField(b: Reader, raw: () => Uint8Array): Action {
  const oxm = readOxm(b);
  if (isIpTosHeader(oxm.oxmClass, oxm.field)) return dscpFromTos(oxm.value, oxm.mask, raw);
  const def = oxm.def;
  if (def === undefined)
    b.fail(`set_field of an unknown field (class 0x${oxm.oxmClass.toString(16)}, field ${oxm.field})`);
  if (def.name === "vlan_vid") {
    const mask = oxm.mask === undefined ? undefined : oxm.mask & 0xfffn;
    return setFieldAction(def, oxm.value & 0xfffn, mask === 0xfffn ? undefined : mask, 12);
  }
  return setFieldAction(def, oxm.value, oxm.mask, def.bits);
}

function setFieldAction(def: FieldDef, value: bigint, mask: bigint | undefined, bits: number): Action {
  if (mask === undefined || mask === allOnes(bits)) return { type: "set_field", field: def.name, value };
  return { type: "set_field", field: def.name, value: value & mask, mask };
}

/**
 * A write to NXM_OF_IP_TOS ("nw_tos", the DSCP in place) as the ip_dscp write it is. OVS refuses ECN bits
 * in a nw_tos value (meta-flow.c mf_is_value_valid); a write that touches them is kept as opaque bytes.
 */
function dscpFromTos(value: bigint, mask: bigint | undefined, raw: () => Uint8Array): Action {
  const ecn = allOnes(IP_TOS_SHIFT);
  if ((value & ecn) !== 0n || (mask !== undefined && (mask & ecn) !== 0n))
    return { type: "unknown", bytes: raw() };
  const shift = BigInt(IP_TOS_SHIFT);
  return setFieldAction(
    fieldNamed("ip_dscp")!,
    value >> shift,
    mask === undefined ? undefined : mask >> shift,
    6,
  );
}

function subfieldOf(b: Reader, ofs: number, nBits: number): Subfield {
  const { def } = readFieldHeader(b);
  if (def === undefined) b.fail("reference to an unknown field");
  return { field: def.name, start: ofs, end: ofs + nBits - 1 };
}

function readMove(b: Reader, nBits: number, srcOfs: number, dstOfs: number, raw: () => Uint8Array): Action {
  try {
    const src = subfieldOf(b, srcOfs, nBits);
    const dst = subfieldOf(b, dstOfs, nBits);
    return { type: "move", src, dst };
  } catch {
    return { type: "unknown", bytes: raw() };
  }
}

function readNxAction(subtype: number, b: Reader, raw: () => Uint8Array): Action {
  switch (subtype) {
    case NxActionSubtype.resubmit:
      return { type: "resubmit", port: fromPort10(b.u16()) };
    case NxActionSubtype.resubmitTable:
    case NxActionSubtype.resubmitTableCt: {
      const port = fromPort10(b.u16());
      const table = b.u8();
      return {
        type: "resubmit",
        ...(port === Port.inPort ? {} : { port }),
        ...(table === 0xff ? {} : { table }),
        ...(subtype === NxActionSubtype.resubmitTableCt ? { ct: true } : {}),
      };
    }
    case NxActionSubtype.setTunnel:
      b.skip(2);
      return { type: "set_field", field: "tun_id", value: BigInt(b.u32()) };
    case NxActionSubtype.setTunnel64:
      b.skip(6);
      return { type: "set_field", field: "tun_id", value: b.u64() };
    case NxActionSubtype.regMove: {
      const nBits = b.u16();
      const srcOfs = b.u16();
      const dstOfs = b.u16();
      return readMove(b, nBits, srcOfs, dstOfs, raw);
    }
    case NxActionSubtype.regLoad: {
      const ofsNbitsValue = b.u16();
      const { def, header } = readFieldHeader(b);
      const value = b.u64();
      const ofs = BigInt(ofsNbitsValue >> 6);
      const nBits = (ofsNbitsValue & 0x3f) + 1;
      if (isIpTosHeader(header >>> 16, (header >>> 9) & 0x7f))
        return dscpFromTos(value << ofs, allOnes(nBits) << ofs, raw);
      if (def === undefined) return { type: "unknown", bytes: raw() };
      return setFieldAction(def, value << ofs, allOnes(nBits) << ofs, def.bits);
    }
    case NxActionSubtype.regLoad2:
      return readSetField(b, raw);
    case NxActionSubtype.note: {
      const data = b.bytes(b.remaining);
      // The note is zero-padded; OVS keeps trailing zeros, so do we (they are part of what it echoes).
      return { type: "note", data: Buffer.from(data) };
    }
    case NxActionSubtype.learn:
      return { type: "learn", learn: readLearn(b) };
    case NxActionSubtype.conjunction: {
      const clause = b.u8();
      const clauses = b.u8();
      return { type: "conjunction", clause: clause + 1, clauses, id: b.u32() };
    }
    case NxActionSubtype.ct:
      return readCt(b);
    case NxActionSubtype.nat:
      return { type: "nat", nat: readNat(b) };
    case NxActionSubtype.ctClear:
      return { type: "ct_clear" };
    case NxActionSubtype.exit:
      return { type: "exit" };
    case NxActionSubtype.decTtl:
      return { type: "dec_ttl" };
    case NxActionSubtype.controller2:
      return readController2(b, raw);
    case NxActionSubtype.controller: {
      const maxLen = b.u16();
      const controllerId = b.u16();
      const reason = b.u8();
      if (controllerId === 0 && reason === 1) return { type: "output", port: Port.controller, maxLen };
      return { type: "unknown", bytes: raw() };
    }
    default:
      return { type: "unknown", bytes: raw() };
  }
}

/** NXAST_CONTROLLER2 as Weir writes it (max_len, userdata); any other property keeps it opaque. */
function readController2(b: Reader, raw: () => Uint8Array): Action {
  b.skip(6);
  let maxLen = 0xffff;
  let userdata: Uint8Array | undefined;
  while (b.remaining >= 4) {
    const type = b.u16();
    const length = b.u16();
    if (length < 4) b.fail(`controller2 property length ${length}`);
    const value = b.sub(length - 4, "controller2 property");
    b.skip(Math.min(b.remaining, (8 - (length % 8)) % 8));
    if (type === Controller2Prop.maxLen) maxLen = value.u16();
    else if (type === Controller2Prop.userdata) userdata = Buffer.from(value.bytes(value.remaining));
    else return { type: "unknown", bytes: raw() };
  }
  return userdata === undefined
    ? { type: "unknown", bytes: raw() }
    : { type: "controller", maxLen, userdata };
}

function readLearn(b: Reader): Learn {
  const idleTimeout = b.u16();
  const hardTimeout = b.u16();
  const priority = b.u16();
  const cookie = b.u64();
  const flags = b.u16();
  const table = b.u8();
  b.skip(1);
  const finIdleTimeout = b.u16();
  const finHardTimeout = b.u16();
  const specs: LearnSpec[] = [];
  while (b.remaining >= 2) {
    const header = b.u16();
    if (header === 0) break; // padding
    const nBits = header & 0x3ff;
    const srcImmediate = (header & LEARN_SRC_IMMEDIATE) !== 0;
    const dstType = header & (3 << 11);
    let src: Subfield | bigint;
    if (srcImmediate) src = b.uint(2 * Math.ceil(nBits / 16));
    else {
      const { def } = readFieldHeader(b);
      const ofs = b.u16();
      if (def === undefined) b.fail("learn source is an unknown field");
      src = { field: def.name, start: ofs, end: ofs + nBits - 1 };
    }
    if (dstType === LEARN_DST_OUTPUT) {
      if (typeof src === "bigint") b.fail("learn output from an immediate");
      specs.push({ kind: "output", src });
      continue;
    }
    const { def } = readFieldHeader(b);
    const ofs = b.u16();
    if (def === undefined) b.fail("learn destination is an unknown field");
    const dst = { field: def.name, start: ofs, end: ofs + nBits - 1 };
    specs.push({ kind: dstType === LEARN_DST_LOAD ? "load" : "match", dst, src });
  }
  return {
    table,
    priority,
    idleTimeout,
    hardTimeout,
    finIdleTimeout,
    finHardTimeout,
    cookie,
    deleteLearned: (flags & LEARN_F_DELETE_LEARNED) !== 0,
    specs,
  };
}

function readCt(b: Reader): Action {
  const flags = b.u16();
  const zoneSrc = b.u32();
  const zoneValue = b.u16();
  const table = b.u8();
  b.skip(3);
  const alg = b.u16();
  let zone: number | Subfield | undefined;
  if (zoneSrc !== 0) {
    const header = new Reader(
      Buffer.from([zoneSrc >>> 24, (zoneSrc >>> 16) & 0xff, (zoneSrc >>> 8) & 0xff, zoneSrc & 0xff]),
      "ct zone",
    );
    const { def } = readFieldHeader(header);
    if (def === undefined) b.fail("ct zone from an unknown field");
    const ofs = zoneValue >> 6;
    zone = { field: def.name, start: ofs, end: ofs + (zoneValue & 0x3f) };
  } else if (zoneValue !== 0) zone = zoneValue;
  const inner = readActions(b.sub(b.remaining, "ct actions"));
  return {
    type: "ct",
    commit: (flags & NX_CT_F_COMMIT) !== 0,
    force: (flags & NX_CT_F_FORCE) !== 0,
    ...(zone === undefined ? {} : { zone }),
    ...(table === NX_CT_RECIRC_NONE ? {} : { table }),
    ...(alg === 0 ? {} : { alg }),
    actions: inner,
  };
}

function readNat(b: Reader): NatSpec {
  b.skip(2);
  const flags = b.u16();
  const present = b.u16();
  const spec: { -readonly [K in keyof NatSpec]: NatSpec[K] } = {};
  if (flags & NAT_FLAG.src) spec.kind = "src";
  else if (flags & NAT_FLAG.dst) spec.kind = "dst";
  if (flags & NAT_FLAG.persistent) spec.persistent = true;
  if (flags & NAT_FLAG.hash) spec.hash = true;
  if (flags & NAT_FLAG.random) spec.random = true;
  if (present & NAT_RANGE.ipv4Min) spec.ipMin = b.uint(4);
  if (present & NAT_RANGE.ipv4Max) spec.ipMax = b.uint(4);
  if (present & NAT_RANGE.ipv6Min) spec.ipMin = b.uint(16);
  if (present & NAT_RANGE.ipv6Max) spec.ipMax = b.uint(16);
  if (present & NAT_RANGE.protoMin) spec.portMin = b.u16();
  if (present & NAT_RANGE.protoMax) spec.portMax = b.u16();
  return spec;
}
