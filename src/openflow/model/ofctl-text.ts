/**
 * Flows in ovs-ofctl syntax (ovs-ofctl(8), ovs-actions(7)), for logs, docs and debugging — and as the
 * oracle's input: the text must mean to ovs-ofctl exactly what the binary encoding means to the switch.
 */
import { Port } from "../wire/constants.ts";
import { fieldNamed } from "../wire/fields.ts";
import type { Action, LearnSpec, NatSpec, Subfield } from "./actions.ts";
import type { Flow } from "./flow.ts";
import { formatMatch } from "./match.ts";
import { formatIpv4, formatIpv6, formatMasked, formatValue } from "./values.ts";

export function formatFlow(f: Flow, options: { cookie?: boolean } = {}): string {
  const parts: string[] = [];
  if (options.cookie !== false) parts.push(`cookie=0x${f.cookie.toString(16)}`);
  parts.push(`table=${f.table}`, `priority=${f.priority}`);
  if (f.idleTimeout) parts.push(`idle_timeout=${f.idleTimeout}`);
  if (f.hardTimeout) parts.push(`hard_timeout=${f.hardTimeout}`);
  const m = formatMatch(f.match);
  if (m) parts.push(m);
  return `${parts.join(",")} actions=${formatActions(f.actions)}`;
}

export function formatActions(actions: readonly Action[]): string {
  return actions.length === 0 ? "drop" : actions.map(formatAction).join(",");
}

const portNames = new Map<number, string>([
  [Port.inPort, "IN_PORT"],
  [Port.table, "TABLE"],
  [Port.normal, "NORMAL"],
  [Port.flood, "FLOOD"],
  [Port.all, "ALL"],
  [Port.local, "LOCAL"],
]);

export function formatPort(port: number): string {
  return portNames.get(port) ?? String(port);
}

export function formatSubfield(sub: Subfield): string {
  const def = fieldNamed(sub.field)!;
  const name = def.headerName;
  if (sub.start === 0 && sub.end === def.bits - 1) return `${name}[]`;
  return sub.start === sub.end ? `${name}[${sub.start}]` : `${name}[${sub.start}..${sub.end}]`;
}

function formatAction(a: Action): string {
  switch (a.type) {
    case "output":
      if (a.port === Port.controller) return `CONTROLLER:${a.maxLen ?? 0xffff}`;
      return portNames.has(a.port) ? portNames.get(a.port)! : `output:${a.port}`;
    case "resubmit":
      return `resubmit(${a.port === undefined ? "" : formatPort(a.port)},${a.table ?? ""}${a.ct ? ",ct" : ""})`;
    case "goto_table":
      return `goto_table:${a.table}`;
    case "push_vlan":
      return `push_vlan:0x${a.ethertype.toString(16)}`;
    case "pop_vlan":
      return "pop_vlan";
    case "set_field": {
      const def = fieldNamed(a.field)!;
      if (a.field === "vlan_vid") {
        // ovs-ofctl writes the OXM value, OFPVID_PRESENT (0x1000) included.
        const mask = a.mask === undefined ? "" : `/0x${(a.mask | 0x1000n).toString(16)}`;
        return `set_field:${(a.value | 0x1000n).toString(10)}${mask}->vlan_vid`;
      }
      if (a.mask !== undefined && !def.maskable) {
        // ovs-ofctl refuses a mask on an unmaskable field in set_field text ("invalid mask for field
        // ip_dscp") but takes the same write as a load into its bits.
        const bits = contiguousBits(a.mask);
        if (bits !== undefined) {
          const sub = { field: a.field, ...bits };
          return `load:0x${(a.value >> BigInt(bits.start)).toString(16)}->${formatSubfield(sub)}`;
        }
      }
      const value = a.mask === undefined ? formatValue(def, a.value) : formatMasked(def, a.value, a.mask);
      return `set_field:${value}->${a.field}`;
    }
    case "move":
      return `move:${formatSubfield(a.src)}->${formatSubfield(a.dst)}`;
    case "learn":
      return formatLearn(a);
    case "ct":
      return formatCt(a);
    case "nat":
      return formatNat(a.nat);
    case "ct_clear":
      return "ct_clear";
    case "note":
      return `note:${[...a.data].map((b) => b.toString(16).padStart(2, "0")).join(".")}`;
    case "conjunction":
      return `conjunction(${a.id},${a.clause}/${a.clauses})`;
    case "exit":
      return "exit";
    case "dec_ttl":
      return "dec_ttl";
    case "meter":
      return `meter:${a.id}`;
    case "controller": {
      const userdata = [...a.userdata].map((b) => b.toString(16).padStart(2, "0")).join(".");
      return `controller(${a.maxLen === 0xffff ? "" : `max_len=${a.maxLen},`}userdata=${userdata})`;
    }
    case "unknown":
      return `unknown(${Buffer.from(a.bytes).toString("hex")})`;
  }
}

/** The bit range a mask covers, if it is one run of ones. */
function contiguousBits(mask: bigint): { start: number; end: number } | undefined {
  if (mask <= 0n) return undefined;
  let start = 0;
  while (((mask >> BigInt(start)) & 1n) === 0n) start++;
  const run = mask >> BigInt(start);
  if ((run & (run + 1n)) !== 0n) return undefined;
  return { start, end: start + run.toString(2).length - 1 };
}

function formatLearn(a: Extract<Action, { type: "learn" }>): string {
  const l = a.learn;
  const parts = [`table=${l.table}`];
  if (l.idleTimeout) parts.push(`idle_timeout=${l.idleTimeout}`);
  if (l.hardTimeout) parts.push(`hard_timeout=${l.hardTimeout}`);
  if (l.finIdleTimeout) parts.push(`fin_idle_timeout=${l.finIdleTimeout}`);
  if (l.finHardTimeout) parts.push(`fin_hard_timeout=${l.finHardTimeout}`);
  parts.push(`priority=${l.priority}`);
  if (l.cookie) parts.push(`cookie=0x${l.cookie.toString(16)}`);
  if (l.deleteLearned) parts.push("delete_learned");
  parts.push(...l.specs.map(formatLearnSpec));
  return `learn(${parts.join(",")})`;
}

function formatLearnSpec(spec: LearnSpec): string {
  const src = (s: Subfield | bigint) => (typeof s === "bigint" ? `0x${s.toString(16)}` : formatSubfield(s));
  switch (spec.kind) {
    case "match":
      return `${formatSubfield(spec.dst)}=${src(spec.src)}`;
    case "load":
      return `load:${src(spec.src)}->${formatSubfield(spec.dst)}`;
    case "output":
      return `output:${formatSubfield(spec.src)}`;
  }
}

function formatCt(a: Extract<Action, { type: "ct" }>): string {
  const parts: string[] = [];
  if (a.commit) parts.push("commit");
  if (a.force) parts.push("force");
  if (typeof a.zone === "number") parts.push(`zone=${a.zone}`);
  else if (a.zone !== undefined) parts.push(`zone=${formatSubfield(a.zone)}`);
  if (a.table !== undefined) parts.push(`table=${a.table}`);
  if (a.alg !== undefined) parts.push(`alg=${a.alg === 21 ? "ftp" : a.alg === 69 ? "tftp" : a.alg}`);
  if (a.actions.length > 0) parts.push(`exec(${a.actions.map(formatAction).join(",")})`);
  return parts.length === 0 ? "ct" : `ct(${parts.join(",")})`;
}

function formatNat(n: NatSpec): string {
  if (n.kind === undefined) return "nat";
  const isV6 = (n.ipMin ?? 0n) > 0xffffffffn;
  const ip = (v: bigint) => (isV6 ? `[${formatIpv6(v)}]` : formatIpv4(v));
  let range = "";
  if (n.ipMin !== undefined) {
    range = ip(n.ipMin) + (n.ipMax !== undefined && n.ipMax !== n.ipMin ? `-${ip(n.ipMax)}` : "");
    if (n.portMin !== undefined) {
      range += `:${n.portMin}${n.portMax !== undefined && n.portMax !== n.portMin ? `-${n.portMax}` : ""}`;
    }
  }
  const flags = [n.persistent && "persistent", n.hash && "hash", n.random && "random"].filter(Boolean);
  return `nat(${[range ? `${n.kind}=${range}` : n.kind, ...flags].join(",")})`;
}
