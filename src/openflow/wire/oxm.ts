/**
 * OXM/NXM TLVs (OpenFlow 1.5 §7.2.3; ovs-fields(7) "OXM and NXM"). A TLV is a 32-bit header — class (16),
 * field (7), has-mask (1), length (8) — then the value and, if has-mask, a mask of the same length.
 * Experimenter-class TLVs carry a 32-bit experimenter id after the header, counted in the length.
 */
import type { Reader, Writer } from "./buffer.ts";
import { allOnes, type FieldDef, fieldForHeader, OxmClass } from "./fields.ts";

export const OFPVID_PRESENT = 0x1000n;

export function headerWord(oxmClass: number, field: number, hasMask: boolean, length: number): number {
  return ((oxmClass << 16) | (field << 9) | (hasMask ? 0x100 : 0) | length) >>> 0;
}

/** vlan_vid is a 12-bit id in the model; on the wire (set_field) it carries OFPVID_PRESENT in value and mask. */
function toWire(def: FieldDef, value: bigint, mask: bigint | undefined): [bigint, bigint | undefined] {
  if (def.name !== "vlan_vid") return [value, mask];
  return [value | OFPVID_PRESENT, mask === undefined ? undefined : mask | OFPVID_PRESENT];
}

/** Writes one TLV for `def` (value, and mask if given). */
export function writeOxm(w: Writer, def: FieldDef, value: bigint, mask?: bigint): void {
  const [v, m] = toWire(def, value, mask);
  const { oxmClass, field, bytes } = def.header;
  w.u32(headerWord(oxmClass, field, m !== undefined, m === undefined ? bytes : 2 * bytes));
  w.uint(v, bytes);
  if (m !== undefined) w.uint(m, bytes);
}

/** A field reference in actions (move, learn, ct zone): the header alone, without mask, length = value size. */
export function writeFieldHeader(w: Writer, def: FieldDef): void {
  w.u32(headerWord(def.header.oxmClass, def.header.field, false, def.header.bytes));
}

export interface RawOxm {
  readonly oxmClass: number;
  readonly field: number;
  readonly experimenter?: number;
  readonly value: bigint;
  readonly mask?: bigint;
  /** The field it means, if we model it. */
  readonly def?: FieldDef;
}

export function readOxm(r: Reader): RawOxm {
  const header = r.u32();
  const oxmClass = header >>> 16;
  const field = (header >>> 9) & 0x7f;
  const hasMask = (header & 0x100) !== 0;
  let length = header & 0xff;
  let experimenter: number | undefined;
  if (oxmClass === OxmClass.experimenter) {
    experimenter = r.u32();
    length -= 4;
  }
  if (length <= 0 || (hasMask && length % 2 !== 0))
    r.fail(`bad OXM length ${length} for class 0x${oxmClass.toString(16)} field ${field}`);
  const bytes = hasMask ? length / 2 : length;
  const value = r.uint(bytes);
  const mask = hasMask ? r.uint(bytes) : undefined;
  const def = experimenter === undefined ? fieldForHeader(oxmClass, field) : undefined;
  if (def !== undefined && def.header.bytes !== bytes) {
    r.fail(`OXM ${def.name} has ${bytes} value bytes, expected ${def.header.bytes}`);
  }
  return {
    oxmClass,
    field,
    def,
    value,
    ...(mask === undefined ? {} : { mask }),
    ...(experimenter === undefined ? {} : { experimenter }),
  };
}

/** Reads a field reference (header only); undefined def for fields we do not model. */
export function readFieldHeader(r: Reader): { def: FieldDef | undefined; header: number; bits: number } {
  const header = r.u32();
  const oxmClass = header >>> 16;
  const field = (header >>> 9) & 0x7f;
  let length = header & 0xff;
  if (oxmClass === OxmClass.experimenter) {
    r.u32();
    length -= 4;
  }
  return { def: fieldForHeader(oxmClass, field), header, bits: length * 8 };
}

export const fullMask = (def: FieldDef) => allOnes(def.bits);
