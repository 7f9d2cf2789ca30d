import { InvalidArgumentError } from "../../base/index.ts";
import { allOnes, type FieldDef, fieldNamed, fieldsByName, type Prereq } from "../wire/fields.ts";
import { formatMasked, parseValue } from "./values.ts";

/** One matched field; `mask` absent means an exact match. Values are numbers of the field's width. */
export interface MatchField {
  readonly field: string;
  readonly value: bigint;
  readonly mask?: bigint;
}

/** A canonical match: no duplicate fields, masks normalised, fields in registry order (prerequisites first). */
export type Match = readonly MatchField[];

/** What builders accept per field: a value ("10.0.0.0/8", "fa:16:3e:…", 42, 42n) or [value, mask]. */
export type MatchSpec = Readonly<Record<string, unknown>>;

const order = new Map([...fieldsByName.keys()].map((name, i) => [name, i]));

/** Builds and validates a match: unknown field, value too wide, mask on an unmaskable field, or a missing
 * prerequisite → InvalidArgumentError naming the field, before anything reaches a switch. */
export function match(spec: MatchSpec): Match {
  const fields: MatchField[] = [];
  for (const [name, input] of Object.entries(spec)) {
    if (input === undefined) continue;
    const def = matchableField(name);
    const { value, mask } = parseValue(def, input, `match.${name}`);
    fields.push({ field: name, value, ...(mask === undefined ? {} : { mask }) });
  }
  return canonicalMatch(fields);
}

function matchableField(name: string): FieldDef {
  const def = fieldNamed(name);
  if (def === undefined) throw new InvalidArgumentError(`match.${name}`, "unknown field");
  if (!def.matchable) {
    const hint = name === "vlan_vid" || name === "vlan_pcp" ? " (match vlan_tci instead)" : "";
    throw new InvalidArgumentError(`match.${name}`, `cannot be matched${hint}`);
  }
  return def;
}

/**
 * Normalises fields the way Open vSwitch stores them, so that a flow read back from the switch is equal
 * to the one written: bits outside the mask are cleared, an all-ones mask is an exact match, a zero mask
 * matches anything (the field is dropped).
 */
export function canonicalMatch(fields: readonly MatchField[], options: { lenient?: boolean } = {}): Match {
  const seen = new Set<string>();
  const out: MatchField[] = [];
  for (const f of fields) {
    const def = matchableField(f.field);
    if (seen.has(f.field)) throw new InvalidArgumentError(`match.${f.field}`, "given twice");
    seen.add(f.field);
    if (f.value > allOnes(def.bits) || f.value < 0n) {
      throw new InvalidArgumentError(`match.${f.field}`, `value does not fit in ${def.bits} bits`);
    }
    let { value, mask } = f;
    if (mask !== undefined) {
      if (!def.maskable) throw new InvalidArgumentError(`match.${f.field}`, "cannot be masked");
      if (mask > allOnes(def.bits) || mask < 0n) {
        throw new InvalidArgumentError(`match.${f.field}`, `mask does not fit in ${def.bits} bits`);
      }
      if (f.field === "vlan_tci") ({ value, mask } = canonicalVlanTci(value, mask));
      if (mask === 0n) continue;
      value &= mask;
      if (mask === allOnes(def.bits) && f.field !== "vlan_tci") mask = undefined;
    } else if (f.field === "vlan_tci") {
      ({ value, mask } = canonicalVlanTci(value, 0xffffn));
    }
    out.push({ field: f.field, value, ...(mask === undefined ? {} : { mask }) });
  }
  out.sort((a, b) => order.get(a.field)! - order.get(b.field)!);
  // Flows read from a switch passed its own checks; only flows we build are checked here.
  if (!options.lenient) checkPrerequisites(out);
  return out;
}

/**
 * vlan_tci is kept as OVS's OXM encoding can express it (nx_put_raw): the VID+CFI part, plus the
 * priority only as a whole and only on tagged packets. "No VLAN" (CFI=0 matched) ignores the priority.
 */
function canonicalVlanTci(value: bigint, mask: bigint): { value: bigint; mask: bigint } {
  const pcpMask = mask & 0xe000n;
  if (pcpMask !== 0n && pcpMask !== 0xe000n) {
    throw new InvalidArgumentError(
      "match.vlan_tci",
      "the priority bits (0xe000) must be matched all or none",
    );
  }
  const cfiMatched = (mask & 0x1000n) !== 0n;
  if (cfiMatched && (value & 0x1000n) === 0n) return { value: value & 0x0fffn, mask: mask & 0x1fffn };
  return { value: value & mask, mask };
}

const ETH_IP = 0x0800n;
const ETH_IPV6 = 0x86ddn;
const ETH_ARP = 0x0806n;
const ETH_RARP = 0x8035n;

function exact(fields: readonly MatchField[], name: string): bigint | undefined {
  const f = fields.find((x) => x.field === name);
  return f !== undefined && f.mask === undefined ? f.value : undefined;
}

function prereqHolds(prereq: Prereq, fields: readonly MatchField[]): boolean {
  const ethType = exact(fields, "eth_type");
  const proto = exact(fields, "ip_proto");
  const isIp = ethType === ETH_IP || ethType === ETH_IPV6;
  switch (prereq) {
    case "none":
      return true;
    case "ipv4":
      return ethType === ETH_IP;
    case "ipv6":
      return ethType === ETH_IPV6;
    case "ip":
      return isIp;
    case "arp":
      return ethType === ETH_ARP || ethType === ETH_RARP;
    case "tcp":
      return isIp && proto === 6n;
    case "udp":
      return isIp && proto === 17n;
    case "sctp":
      return isIp && proto === 132n;
    case "icmp":
      return ethType === ETH_IP && proto === 1n;
    case "icmpv6":
      return ethType === ETH_IPV6 && proto === 58n;
    case "nd": {
      const type = exact(fields, "icmpv6_type");
      return (
        prereqHolds("icmpv6", fields) &&
        (type === 135n || type === 136n) &&
        exact(fields, "icmpv6_code") === 0n
      );
    }
  }
}

const prereqText: Record<Prereq, string> = {
  none: "",
  ipv4: "eth_type=0x0800",
  ipv6: "eth_type=0x86dd",
  ip: "eth_type=0x0800 or 0x86dd",
  arp: "eth_type=0x0806",
  tcp: "an IP eth_type and ip_proto=6",
  udp: "an IP eth_type and ip_proto=17",
  sctp: "an IP eth_type and ip_proto=132",
  icmp: "eth_type=0x0800 and ip_proto=1",
  icmpv6: "eth_type=0x86dd and ip_proto=58",
  nd: "ICMPv6 with icmpv6_type=135 or 136 and icmpv6_code=0",
};

/** Whether the match pins what a field needs (ovs-fields(7) "Prerequisites"); used for actions too. */
export function satisfies(m: Match, prereq: Prereq): boolean {
  return prereqHolds(prereq, m);
}

export function describePrereq(prereq: Prereq): string {
  return prereqText[prereq];
}

function checkPrerequisites(fields: readonly MatchField[]): void {
  for (const f of fields) {
    const def = fieldNamed(f.field)!;
    if (!prereqHolds(def.prereq, fields)) {
      throw new InvalidArgumentError(`match.${f.field}`, `needs ${prereqText[def.prereq]} in the same match`);
    }
  }
}

/** A stable text key of the match, for indexing flows by (table, priority, match). */
export function matchKey(m: Match): string {
  // Matches are immutable and shared by a flow's copies (a cookie set on a copy keeps its match):
  // the key of one is computed once, whatever number of times diffing asks for it.
  const cached = matchKeys.get(m);
  if (cached !== undefined) return cached;
  const key = m
    .map((f) =>
      f.mask === undefined
        ? `${f.field}=${f.value.toString(16)}`
        : `${f.field}=${f.value.toString(16)}/${f.mask.toString(16)}`,
    )
    .join(",");
  matchKeys.set(m, key);
  return key;
}

const matchKeys = new WeakMap<Match, string>();

/** The match in ovs-ofctl syntax ("eth_type=0x800,ip_dst=198.19.0.0/16"); "" matches everything. */
export function formatMatch(m: Match): string {
  return m
    .map((f) => {
      const def = fieldNamed(f.field);
      if (def === undefined)
        return `${f.field}=0x${f.value.toString(16)}${f.mask === undefined ? "" : `/0x${f.mask.toString(16)}`}`;
      return `${f.field}=${formatMasked(def, f.value, f.mask)}`;
    })
    .join(",");
}
