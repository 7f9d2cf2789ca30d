import { InvalidArgumentError } from "../../base/index.ts";
import { fieldNamed } from "../wire/fields.ts";
import type { Action } from "./actions.ts";
import { checkTable } from "./actions.ts";
import {
  match as buildMatch,
  describePrereq,
  type Match,
  type MatchSpec,
  matchKey,
  satisfies,
} from "./match.ts";

/** A flow as Weir programs it: table, priority, cookie, timeouts, match, actions. */
export interface Flow {
  readonly table: number;
  readonly priority: number;
  readonly cookie: bigint;
  readonly idleTimeout: number;
  readonly hardTimeout: number;
  readonly match: Match;
  readonly actions: readonly Action[];
}

export interface FlowSpec {
  readonly table?: number;
  readonly priority?: number;
  readonly cookie?: bigint;
  readonly idleTimeout?: number;
  readonly hardTimeout?: number;
  /** A built Match, or a spec for match(). */
  readonly match?: Match | MatchSpec;
  readonly actions?: readonly Action[];
}

export const DEFAULT_PRIORITY = 0x8000;

/** Builds and validates a flow; errors name the field (table, priority, match.eth_dst, goto_table…). */
export function flow(spec: FlowSpec): Flow {
  const table = checkTable(spec.table ?? 0);
  const priority = spec.priority ?? DEFAULT_PRIORITY;
  if (!Number.isInteger(priority) || priority < 0 || priority > 0xffff) {
    throw new InvalidArgumentError("priority", `${priority} is outside 0..65535`);
  }
  const cookie = spec.cookie ?? 0n;
  if (cookie < 0n || cookie > 0xffffffffffffffffn)
    throw new InvalidArgumentError("cookie", "is not a 64-bit value");
  for (const [name, value] of [
    ["idle_timeout", spec.idleTimeout],
    ["hard_timeout", spec.hardTimeout],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > 0xffff)) {
      throw new InvalidArgumentError(name, `${value} is outside 0..65535`);
    }
  }
  const actions = spec.actions ?? [];
  actions.forEach((action, i) => {
    // OVS links a flow to its meter (so that deleting the meter deletes the flow) only when the meter
    // comes first: ofproto.c rule_actions_create → ofp-actions.c ofpacts_get_meter stops at the first
    // other action. A later meter would still be checked and applied, but the flow would outlive it.
    if (action.type === "meter" && i !== 0) {
      throw new InvalidArgumentError("meter", "must be the first action (and there can be only one)");
    }
    if (action.type !== "goto_table") return;
    if (i !== actions.length - 1) throw new InvalidArgumentError("goto_table", "must be the last action");
    if (action.table <= table) {
      throw new InvalidArgumentError(
        "goto_table",
        `goes to table ${action.table}, not after this flow's table ${table}`,
      );
    }
  });
  const m =
    spec.match === undefined
      ? []
      : Array.isArray(spec.match)
        ? (spec.match as Match)
        : buildMatch(spec.match as MatchSpec);
  checkActionPrerequisites(m, actions);
  return {
    table,
    priority,
    cookie,
    idleTimeout: spec.idleTimeout ?? 0,
    hardTimeout: spec.hardTimeout ?? 0,
    match: m,
    actions,
  };
}

/**
 * Actions that read or write a header need the match to pin it, as OVS checks (else it refuses the flow
 * with BAD_ACTION/MATCH_INCONSISTENT): set_field ip_dst needs IPv4, dec_ttl needs IP, setting vlan_vid
 * needs a VLAN tag (matched, or pushed earlier in the list).
 */
function checkActionPrerequisites(m: Match, actions: readonly Action[]): void {
  let vlan = m.some(
    (f) => f.field === "vlan_tci" && ((f.mask ?? 0xffffn) & 0x1000n) !== 0n && (f.value & 0x1000n) !== 0n,
  );
  const need = (what: string, field: string) => {
    const prereq = fieldNamed(field)?.prereq ?? "none";
    if (!satisfies(m, prereq))
      throw new InvalidArgumentError(what, `needs ${describePrereq(prereq)} in the match`);
  };
  const check = (list: readonly Action[]) => {
    for (const a of list) {
      if (a.type === "push_vlan") vlan = true;
      else if (a.type === "pop_vlan") vlan = false;
      else if (a.type === "set_field") {
        if (a.field === "vlan_vid" && !vlan)
          throw new InvalidArgumentError(
            "set_field vlan_vid",
            "needs a VLAN tag: match vlan_tci with 0x1000 set, or push_vlan first",
          );
        need(`set_field ${a.field}`, a.field);
      } else if (a.type === "move") {
        need(`move ${a.src.field}`, a.src.field);
        need(`move ${a.dst.field}`, a.dst.field);
      } else if (a.type === "dec_ttl" && !satisfies(m, "ip")) {
        throw new InvalidArgumentError("dec_ttl", `needs ${describePrereq("ip")} in the match`);
      } else if (a.type === "nat" && a.nat.ipMin !== undefined) {
        const family = a.nat.ipMin > 0xffffffffn ? "ipv6" : "ipv4";
        if (!satisfies(m, family))
          throw new InvalidArgumentError("nat", `needs ${describePrereq(family)} in the match`);
      } else if (a.type === "ct") check(a.actions);
    }
  };
  check(actions);
}

/** Identity of a flow in its table: OpenFlow allows one flow per (table, priority, match). */
export function flowKey(f: Pick<Flow, "table" | "priority" | "match">): string {
  // Kept with the match, which a flow's copies share (as matchKey does): diffing a memoised flow asks
  // for its key on every pass, and the same string each time is also hashed only once.
  const known = flowKeys.get(f.match);
  if (known !== undefined && known.table === f.table && known.priority === f.priority) return known.key;
  const key = `${f.table}/${f.priority}/${matchKey(f.match)}`;
  flowKeys.set(f.match, { table: f.table, priority: f.priority, key });
  return key;
}

const flowKeys = new WeakMap<Match, { table: number; priority: number; key: string }>();
