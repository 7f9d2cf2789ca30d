import { InvalidArgumentError } from "../../base/index.ts";
import { METER_MAX, Port } from "../wire/constants.ts";
import { allOnes, type FieldDef, fieldNamed } from "../wire/fields.ts";
import { parseValue } from "./values.ts";

/** Bits [start..end] (inclusive, as ovs-ofctl writes them) of a field. */
export interface Subfield {
  readonly field: string;
  readonly start: number;
  readonly end: number;
}

/** One learn spec (ovs-actions(7) "learn"): what the learned flow matches, loads or outputs. */
export type LearnSpec =
  | { readonly kind: "match"; readonly dst: Subfield; readonly src: Subfield | bigint }
  | { readonly kind: "load"; readonly dst: Subfield; readonly src: Subfield | bigint }
  | { readonly kind: "output"; readonly src: Subfield };

export interface Learn {
  readonly table: number;
  readonly priority: number;
  readonly idleTimeout: number;
  readonly hardTimeout: number;
  readonly finIdleTimeout: number;
  readonly finHardTimeout: number;
  readonly cookie: bigint;
  readonly deleteLearned: boolean;
  readonly specs: readonly LearnSpec[];
}

export interface NatSpec {
  readonly kind?: "src" | "dst";
  readonly ipMin?: bigint;
  readonly ipMax?: bigint;
  readonly portMin?: number;
  readonly portMax?: number;
  readonly persistent?: boolean;
  readonly random?: boolean;
  readonly hash?: boolean;
}

/**
 * Actions and the two instructions Weir uses (goto_table, write_metadata are instructions on the wire;
 * here goto_table is simply the last item, as in ovs-ofctl). An empty list drops.
 */
export type Action =
  | { readonly type: "output"; readonly port: number; readonly maxLen?: number }
  | { readonly type: "resubmit"; readonly port?: number; readonly table?: number; readonly ct?: boolean }
  | { readonly type: "goto_table"; readonly table: number }
  | { readonly type: "push_vlan"; readonly ethertype: number }
  | { readonly type: "pop_vlan" }
  | { readonly type: "set_field"; readonly field: string; readonly value: bigint; readonly mask?: bigint }
  | { readonly type: "move"; readonly src: Subfield; readonly dst: Subfield }
  | { readonly type: "learn"; readonly learn: Learn }
  | {
      readonly type: "ct";
      readonly commit: boolean;
      readonly force: boolean;
      readonly zone?: number | Subfield;
      readonly table?: number;
      readonly alg?: number;
      readonly actions: readonly Action[];
    }
  | { readonly type: "nat"; readonly nat: NatSpec }
  | { readonly type: "ct_clear" }
  | { readonly type: "note"; readonly data: Uint8Array }
  | { readonly type: "conjunction"; readonly id: number; readonly clause: number; readonly clauses: number }
  | { readonly type: "exit" }
  | { readonly type: "dec_ttl" }
  | { readonly type: "meter"; readonly id: number }
  /** NXAST_CONTROLLER2 with userdata: a packet-in that carries the flow's bytes (NXT_PACKET_IN2 only). */
  | { readonly type: "controller"; readonly maxLen: number; readonly userdata: Uint8Array }
  | { readonly type: "unknown"; readonly bytes: Uint8Array };

// ── builders: validated values ─────────────────────────────────────────────────────────────────────────

function checkRange(what: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(what, `${value} is outside ${min}..${max}`);
  }
  return value;
}

export const checkTable = (table: number, what = "table") => checkRange(what, table, 0, 254);

function checkPort(port: number, what: string): number {
  return checkRange(what, port, 0, 0xffffffff);
}

export const output = (port: number): Action => ({ type: "output", port: checkPort(port, "output") });
export const normal: Action = { type: "output", port: Port.normal };
export const inPort: Action = { type: "output", port: Port.inPort };
export const controller = (maxLen = 0xffff): Action => ({
  type: "output",
  port: Port.controller,
  maxLen: checkRange("controller max_len", maxLen, 0, 0xffff),
});
/**
 * Sends the packet to the controller with `userdata` (controller(userdata=…)), which the packet-in gives
 * back: what the flow knows travels with the packet, so the controller answers without looking anything
 * up. Only connections that chose NXT_PACKET_IN2 get the userdata (OpenFlowConnection missSendLength).
 */
export function controllerWith(userdata: Uint8Array, maxLen = 0xffff): Action {
  if (userdata.length === 0) throw new InvalidArgumentError("controller userdata", "is empty");
  // An action's length is 16 bits; the NX header, the property headers and padding take 32 bytes.
  if (userdata.length > 0xffff - 32)
    throw new InvalidArgumentError("controller userdata", `${userdata.length} bytes is too long`);
  return {
    type: "controller",
    maxLen: checkRange("controller max_len", maxLen, 0, 0xffff),
    userdata: Buffer.from(userdata),
  };
}
export const resubmit = (table: number, port?: number): Action => ({
  type: "resubmit",
  table: checkTable(table, "resubmit table"),
  ...(port === undefined ? {} : { port: checkPort(port, "resubmit port") }),
});
export const gotoTable = (table: number): Action => ({
  type: "goto_table",
  table: checkTable(table, "goto_table"),
});
export const pushVlan = (ethertype = 0x8100): Action => ({
  type: "push_vlan",
  ethertype: checkRange("push_vlan", ethertype, 0, 0xffff),
});
export const popVlan: Action = { type: "pop_vlan" };
export const ctClear: Action = { type: "ct_clear" };
export const exit: Action = { type: "exit" };
export const decTtl: Action = { type: "dec_ttl" };

/**
 * Sends the packet through meter `id` (meter:N), which may drop it. flow() requires it to be the flow's
 * first action. Ids 1..0xffff0000 (openflow-1.3.h OFPM13_MAX; OVS check_METER refuses 0 and larger ones
 * with INVALID_METER — the virtual meters above it are not for flows).
 */
export const meter = (id: number): Action => ({ type: "meter", id: checkMeterId(id, "meter") });

export const checkMeterId = (id: number, what: string): number => checkRange(what, id, 1, METER_MAX);

/** Sets a whole field (set_field:VALUE->FIELD); vlan_vid takes the 12-bit VLAN id. */
export function setField(field: string, input: unknown): Action {
  const def = writableField(field);
  const { value, mask } = parseValue(def, input, `set_field ${field}`);
  if (mask !== undefined && !def.maskable)
    throw new InvalidArgumentError(`set_field ${field}`, "cannot be masked");
  return canonicalSetField(def, value, mask);
}

/** Sets a VLAN id on a tagged packet (mod_vlan_vid). */
export const setVlanVid = (vid: number): Action =>
  setField("vlan_vid", BigInt(checkRange("vlan_vid", vid, 0, 4095)));

/** Sets the tunnel key (set_tunnel). */
export const setTunnel = (key: bigint | number): Action => setField("tun_id", BigInt(key));

/** Loads `value` into bits of a field (load:VALUE->FIELD[start..end]). */
export function load(value: bigint | number, dst: Subfield): Action {
  const def = writableField(dst.field);
  checkSubfield(dst, "load");
  const width = dst.end - dst.start + 1;
  const v = BigInt(value);
  if (v < 0n || v > allOnes(width))
    throw new InvalidArgumentError("load", `${v} does not fit in ${width} bits`);
  return canonicalSetField(def, v << BigInt(dst.start), allOnes(width) << BigInt(dst.start));
}

export function move(src: Subfield, dst: Subfield): Action {
  checkSubfield(src, "move source");
  checkSubfield(dst, "move destination");
  if (src.end - src.start !== dst.end - dst.start) {
    throw new InvalidArgumentError(
      "move",
      `source has ${src.end - src.start + 1} bits, destination ${dst.end - dst.start + 1}`,
    );
  }
  return { type: "move", src, dst };
}

export function conjunction(id: number, clause: number, clauses: number): Action {
  checkRange("conjunction clauses", clauses, 2, 64);
  return {
    type: "conjunction",
    id: checkRange("conjunction id", id, 0, 0xffffffff),
    clause: checkRange("conjunction clause", clause, 1, clauses),
    clauses,
  };
}

/**
 * A note: opaque bytes carried with the flow. Stored zero-padded as on the wire (a 10-byte NX header plus
 * the bytes, padded to a multiple of 8 and at least 16), because that is what the switch gives back.
 */
export function note(text: string | Uint8Array): Action {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  if (bytes.length > 1000) throw new InvalidArgumentError("note", "longer than 1000 bytes");
  const total = Math.max(16, Math.ceil((10 + bytes.length) / 8) * 8);
  const data = new Uint8Array(total - 10);
  data.set(bytes);
  return { type: "note", data };
}

export function ct(options: {
  commit?: boolean;
  force?: boolean;
  zone?: number | Subfield;
  table?: number;
  alg?: number;
  actions?: readonly Action[];
}): Action {
  if (typeof options.zone === "number") checkRange("ct zone", options.zone, 0, 0xffff);
  else if (options.zone !== undefined) checkSubfield(options.zone, "ct zone");
  if (options.table !== undefined) checkTable(options.table, "ct table");
  for (const a of options.actions ?? []) {
    if (a.type === "set_field" && !options.commit) {
      throw new InvalidArgumentError("ct exec", "setting ct_mark or ct_label needs commit");
    }
    const allowed =
      a.type === "nat" || (a.type === "set_field" && (a.field === "ct_mark" || a.field === "ct_label"));
    if (!allowed)
      throw new InvalidArgumentError(
        "ct exec",
        `only nat and set_field/load of ct_mark or ct_label, not ${a.type}`,
      );
  }
  // Zone 0 and ALG 0 are what the wire says when none is given: omitted, so both read back alike.
  return {
    type: "ct",
    commit: options.commit ?? false,
    force: options.force ?? false,
    ...(options.zone === undefined || options.zone === 0 ? {} : { zone: options.zone }),
    ...(options.table === undefined ? {} : { table: options.table }),
    ...(options.alg === undefined || options.alg === 0
      ? {}
      : { alg: checkRange("ct alg", options.alg, 0, 0xffff) }),
    actions: options.actions ?? [],
  };
}

export const nat = (spec: NatSpec = {}): Action => ({ type: "nat", nat: spec });

export function learn(
  options: Partial<Omit<Learn, "specs">> & { table: number; specs: readonly LearnSpec[] },
): Action {
  checkTable(options.table, "learn table");
  for (const spec of options.specs) {
    if (spec.kind !== "output") checkSubfield(spec.dst, "learn");
    if (typeof spec.src !== "bigint") checkSubfield(spec.src, "learn");
  }
  return {
    type: "learn",
    learn: {
      table: options.table,
      priority: checkRange("learn priority", options.priority ?? 0x8000, 0, 0xffff),
      idleTimeout: checkRange("learn idle_timeout", options.idleTimeout ?? 0, 0, 0xffff),
      hardTimeout: checkRange("learn hard_timeout", options.hardTimeout ?? 0, 0, 0xffff),
      finIdleTimeout: checkRange("learn fin_idle_timeout", options.finIdleTimeout ?? 0, 0, 0xffff),
      finHardTimeout: checkRange("learn fin_hard_timeout", options.finHardTimeout ?? 0, 0, 0xffff),
      cookie: options.cookie ?? 0n,
      deleteLearned: options.deleteLearned ?? false,
      specs: options.specs,
    },
  };
}

/** field[] (whole) or field[start..end]. */
export function subfield(field: string, start?: number, end?: number): Subfield {
  const def = fieldNamed(field);
  if (def === undefined) throw new InvalidArgumentError(`subfield ${field}`, "unknown field");
  const sub = { field, start: start ?? 0, end: end ?? start ?? def.bits - 1 };
  checkSubfield(sub, "subfield");
  return sub;
}

export function checkSubfield(sub: Subfield, what: string): void {
  const def = fieldNamed(sub.field);
  if (def === undefined) throw new InvalidArgumentError(`${what} ${sub.field}`, "unknown field");
  if (
    !Number.isInteger(sub.start) ||
    !Number.isInteger(sub.end) ||
    sub.start < 0 ||
    sub.end < sub.start ||
    sub.end >= def.bits
  ) {
    throw new InvalidArgumentError(
      `${what} ${sub.field}[${sub.start}..${sub.end}]`,
      `bits must lie within 0..${def.bits - 1}`,
    );
  }
}

function writableField(name: string): FieldDef {
  const def = fieldNamed(name);
  if (def === undefined) throw new InvalidArgumentError(`set_field ${name}`, "unknown field");
  if (name === "ct_state" || name === "conj_id" || name === "ct_zone") {
    throw new InvalidArgumentError(`set_field ${name}`, "is read-only");
  }
  return def;
}

/** vlan_vid is set as a 12-bit id; bits outside the mask are cleared; an all-ones mask is no mask. */
function canonicalSetField(def: FieldDef, value: bigint, mask: bigint | undefined): Action {
  const bits = def.name === "vlan_vid" ? 12 : def.bits;
  if (value > allOnes(bits))
    throw new InvalidArgumentError(`set_field ${def.name}`, `does not fit in ${bits} bits`);
  if (mask === undefined || mask === allOnes(bits)) return { type: "set_field", field: def.name, value };
  return { type: "set_field", field: def.name, value: value & mask, mask };
}
