/**
 * Remote groups and address groups as conjunctions (ovs-fields(7) "Conjunctive Match Fields"), so that
 * flows grow as ports × rules + members, never ports × members:
 *   - clause 1/2, shared by every VIF: one flow per member address of the remote, per direction,
 *     ethertype and priority the remote is used at (conjunctionFlows below);
 *   - clause 2/2, per VIF: the rule without its remote (firewall.ts);
 *   - one accept flow per id, matching conj_id.
 * An id is a hash of (remote, direction, ethertype, priority offset): the same rules give the same ids on
 * every start, so a restart re-renders identical flows and the generation swap changes only cookies, and
 * a remote is keyed without the group whose rule names it, because every rule's verdict is the same
 * (accept): a VIF allowed from remote R by two groups needs one id. Two keys hashing alike would join
 * two remotes' clauses; the base plan checks every key held and refuses to install such a set (the
 * firewall keeps its previous flows and reports the failure) rather than let one group's members through
 * another's rules.
 */
import { actions as A, type Flow, flow, type MatchSpec } from "../../../openflow/index.ts";
import type { SecurityGroupRuleInfo } from "../../../protocol/index.ts";
import { isIpv6 } from "./addresses.ts";
import { Memo } from "./memo.ts";
import { priorityOffset, RULE_PRIORITY_BASE } from "./rules.ts";
import { ETH, FwTable, Prio } from "./tables.ts";

export type RemoteRef = { readonly kind: "group" | "address-group"; readonly id: string };

export interface ConjunctionKey {
  readonly remote: RemoteRef;
  readonly direction: "ingress" | "egress";
  readonly ethertype: "IPv4" | "IPv6";
  readonly offset: number;
}

export function remoteOf(rule: SecurityGroupRuleInfo): RemoteRef | undefined {
  if (rule.remote_group_id !== null) return { kind: "group", id: rule.remote_group_id };
  if (rule.remote_address_group_id !== null)
    return { kind: "address-group", id: rule.remote_address_group_id };
  return undefined;
}

export function keyOf(rule: SecurityGroupRuleInfo): ConjunctionKey | undefined {
  const remote = remoteOf(rule);
  if (remote === undefined) return undefined;
  return { remote, direction: rule.direction, ethertype: rule.ethertype, offset: priorityOffset(rule) };
}

export const keyText = (k: ConjunctionKey) =>
  `${k.remote.kind}:${k.remote.id}/${k.direction}/${k.ethertype}/${k.offset}`;

/** FNV-1a, 32 bits, of the key's text; never 0. */
export function conjunctionId(key: ConjunctionKey): number {
  let h = 0x811c9dc5;
  for (const ch of keyText(key)) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h === 0 ? 1 : h;
}

export const rulesTable = (direction: "ingress" | "egress") =>
  direction === "egress" ? FwTable.rulesEgress : FwTable.rulesIngress;

const acceptTable = (direction: "ingress" | "egress") =>
  direction === "egress" ? FwTable.acceptOrIngress : FwTable.acceptedIngress;

/** A member address: an IP or CIDR, with the MAC it comes from when the remote knows one. */
export interface MemberAddress {
  readonly ip: string;
  readonly mac: string | undefined;
}

/** Member clauses with the same conjunctions (and table, priority, IP version), by address. */
interface ClauseSet {
  readonly direction: Direction;
  readonly v6: boolean;
  readonly priority: number;
  /** address key (memberKey) → the member, the ids it is clause 1 of, and their text (place/ids). */
  readonly members: Map<string, { member: MemberAddress; ids: number[]; text: string }>;
}

/** An address's key among clauses: its IP, with its MAC for a /0 (which is matched on the MAC too). */
const memberKey = (m: MemberAddress) => (m.ip.endsWith("/0") ? `${m.ip} ${m.mac ?? ""}` : m.ip);

/**
 * The shared flows of the keys in use: each key's accept flow, and its members' clause-1 flows, merged
 * per (table, priority, address) so that an address in several remotes is one flow with several
 * conjunction actions. A member /0 (an address pair "0.0.0.0/0") would match everyone: it is matched on
 * its MAC as well (Neutron bug 1867119). `memos` keeps the last render's flows, per set of ids, by
 * address: with ten thousand members, a render for one member's change builds that member's flow and
 * looks the others up by their addresses (strings the server's objects hold, hashed once).
 */
export function conjunctionFlows(
  keys: readonly ConjunctionKey[],
  membersOf: (remote: RemoteRef) => readonly MemberAddress[],
  memos: ClauseMemos = new ClauseMemos(),
): Flow[] {
  const flows: Flow[] = [];
  // (direction, priority) → address key → its clause; then regrouped by the ids each address got.
  const byPlace = new Map<string, ClauseSet>();
  const sorted = [...keys].sort((a, b) => conjunctionId(a) - conjunctionId(b));
  try {
    for (const key of sorted) {
      const id = conjunctionId(key);
      const table = rulesTable(key.direction);
      const priority = RULE_PRIORITY_BASE + key.offset;
      flows.push(
        memos.accepts.get(`${key.direction}/${id}`, () =>
          flow({
            table,
            priority: Prio.conjAccept,
            match: { conj_id: id },
            actions: [A.gotoTable(acceptTable(key.direction))],
          }),
        ),
      );
      const v6 = key.ethertype === "IPv6";
      const place = `${key.direction}/${priority}/${v6 ? 6 : 4}`;
      let set = byPlace.get(place);
      if (set === undefined) {
        set = { direction: key.direction, v6, priority, members: new Map() };
        byPlace.set(place, set);
      }
      // One text for this key's addresses (most are in one remote): no string is built per member.
      const text = `${place}/${id}`;
      for (const member of membersOf(key.remote)) {
        if (isIpv6(member.ip) !== v6) continue;
        const k = memberKey(member);
        const entry = set.members.get(k);
        if (entry === undefined) set.members.set(k, { member, ids: [id], text });
        else {
          entry.ids.push(id);
          entry.text = `${entry.text},${id}`;
        }
      }
    }
    for (const set of byPlace.values())
      for (const [k, { member, ids, text }] of set.members)
        flows.push(
          memos.clauses(text).get(k, () =>
            flow({
              table: rulesTable(set.direction),
              priority: set.priority,
              match: memberMatch(set.direction, set.v6, member),
              actions: ids.map((id) => A.conjunction(id, 1, 2)),
            }),
          ),
        );
  } finally {
    memos.done();
  }
  return flows;
}

/** The memos of conjunctionFlows: accept flows, and clause flows per set of ids by address. */
export class ClauseMemos {
  readonly accepts = new Memo<Flow>();
  #clauses = new Map<string, Memo<Flow>>();
  #used = new Map<string, Memo<Flow>>();

  clauses(ids: string): Memo<Flow> {
    let memo = this.#used.get(ids) ?? this.#clauses.get(ids);
    if (memo === undefined) memo = new Memo<Flow>();
    this.#used.set(ids, memo);
    return memo;
  }

  done(): void {
    this.accepts.done();
    for (const memo of this.#used.values()) memo.done();
    this.#clauses = this.#used;
    this.#used = new Map();
  }
}

type Direction = "ingress" | "egress";

function memberMatch(direction: "ingress" | "egress", v6: boolean, member: MemberAddress): MatchSpec {
  const ingress = direction === "ingress";
  const field = v6 ? (ingress ? "ipv6_src" : "ipv6_dst") : ingress ? "ip_src" : "ip_dst";
  const everyone = member.ip.endsWith("/0");
  return {
    eth_type: v6 ? ETH.ipv6 : ETH.ipv4,
    ...(everyone ? {} : { [field]: member.ip }),
    ...(everyone && member.mac !== undefined ? { [ingress ? "eth_src" : "eth_dst"]: member.mac } : {}),
  };
}

/** Keys whose ids collide (a different key, same id), as text pairs; none in practice. */
export function collisions(keys: readonly ConjunctionKey[]): [string, string][] {
  const seen = new Map<number, string>();
  const out: [string, string][] = [];
  for (const k of keys) {
    const text = keyText(k);
    const id = conjunctionId(k);
    const other = seen.get(id);
    if (other !== undefined && other !== text) out.push([other, text]);
    else seen.set(id, text);
  }
  return out;
}
