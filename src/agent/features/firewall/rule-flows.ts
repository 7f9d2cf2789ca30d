/**
 * A VIF's rule flows (RULES_EGRESS 72, RULES_INGRESS 82): plain rules whole, remote ones as clause 2/2
 * of their conjunction. What a rule becomes apart from the port — its port-mask pieces, their priority,
 * their canonical match — is worked out once per rule object the server sent, not once per port, and a
 * port's own flows are memoised per port, so that adding a rule to a group of 500 ports builds 500 flows
 * (one per port) rather than re-rendering every rule of every port.
 */
import { actions as A, type Flow, flow, type MatchSpec, match, matchKey } from "../../../openflow/index.ts";
import type { SecurityGroupRuleInfo } from "../../../protocol/index.ts";
import { conjunctionId, keyOf, rulesTable } from "./conjunctions.ts";
import { Memo } from "./memo.ts";
import { hasRemote, l4Matches, prefixMatch, RULE_PRIORITY_BASE, rulePriority } from "./rules.ts";
import { Ct, ctState, FwTable } from "./tables.ts";

/** One flow's worth of a rule, without the port (reg5) and conntrack fields. */
interface Piece {
  readonly table: number;
  readonly priority: number;
  readonly match: MatchSpec;
  /** (table, priority, canonical match): pieces of one port with equal text are one flow. */
  readonly text: string;
  /** The piece's flow in a port's memo, when it is alone in its flow (a plain rule's, or one conjunction's). */
  readonly memoKey: string;
  /** The conjunction this piece is clause 2/2 of; undefined for a plain rule (an accept). */
  readonly conjunction: number | undefined;
}

interface RulePieces {
  /** What two rules share when they would build the same flows (their ids differ, their matches not). */
  readonly identity: string;
  readonly pieces: readonly Piece[];
}

// Keyed by the rule object: the server's section objects are replaced, never changed, on an update.
const piecesByRule = new WeakMap<SecurityGroupRuleInfo, RulePieces>();

function piecesOf(rule: SecurityGroupRuleInfo): RulePieces {
  const known = piecesByRule.get(rule);
  if (known !== undefined) return known;
  const { id: _id, ...rest } = rule;
  const table = rulesTable(rule.direction);
  const key = keyOf(rule);
  const remote = hasRemote(rule) && key !== undefined;
  const priority = remote ? RULE_PRIORITY_BASE + key.offset : rulePriority(rule);
  const pieces = l4Matches(rule).map((l4): Piece => {
    const spec = remote ? l4 : { ...l4, ...prefixMatch(rule) };
    const text = `${table}/${priority}/${matchKey(match(spec))}`;
    const conjunction = remote ? conjunctionId(key) : undefined;
    return {
      table,
      priority,
      match: spec,
      text,
      // Made once here, not per port and render: a new string would be hashed at every lookup.
      memoKey: conjunction === undefined ? `accept ${text}` : `clause ${text} ${conjunction}`,
      conjunction,
    };
  });
  const made = { identity: JSON.stringify(rest), pieces };
  piecesByRule.set(rule, made);
  return made;
}

/** Where a rule's accept goes from its rules table: egress on to 73, ingress to 92. */
const acceptTable = (rulesTable: number) =>
  rulesTable === FwTable.rulesEgress ? FwTable.acceptOrIngress : FwTable.acceptedIngress;

/**
 * Rule flows of one VIF: a stateful port's match only packets of the request direction (new, or
 * established ones re-checked so that removing a rule cuts what it allowed); replies and related
 * packets pass in RULES_* by conntrack. Pieces with the same (table, priority, match) are merged: one
 * accept, or one flow with every conjunction it is a clause of. `memo` holds this port's flows from its
 * last render (for this ofport and statefulness only).
 */
export function ruleFlows(
  ofport: number,
  rules: readonly SecurityGroupRuleInfo[],
  stateful: boolean,
  memo: Memo<Flow> = new Memo(),
): Flow[] {
  const ct: MatchSpec = stateful ? { ct_state: ctState([Ct.trk], [Ct.inv, Ct.rpl]) } : {};
  const plain = new Map<string, Flow>();
  const conj = new Map<string, { piece: Piece; ids: Set<number> }>();
  const seen = new Set<string>();
  try {
    for (const rule of rules) {
      const { identity, pieces } = piecesOf(rule);
      if (seen.has(identity)) continue;
      seen.add(identity);
      for (const piece of pieces) {
        if (piece.conjunction === undefined) {
          if (plain.has(piece.text)) continue;
          plain.set(
            piece.text,
            memo.get(piece.memoKey, () =>
              flow({
                table: piece.table,
                priority: piece.priority,
                match: { reg5: ofport, ...piece.match, ...ct },
                actions: [A.gotoTable(acceptTable(piece.table))],
              }),
            ),
          );
          continue;
        }
        const entry = conj.get(piece.text) ?? { piece, ids: new Set<number>() };
        entry.ids.add(piece.conjunction);
        conj.set(piece.text, entry);
      }
    }
    const flows = [...plain.values()];
    for (const { piece, ids } of conj.values()) {
      const sorted = [...ids].sort((a, b) => a - b);
      const key = sorted.length === 1 ? piece.memoKey : `clause ${piece.text} ${sorted.join(",")}`;
      flows.push(
        memo.get(key, () =>
          flow({
            table: piece.table,
            priority: piece.priority,
            match: { reg5: ofport, ...piece.match, ...ct },
            actions: sorted.map((id) => A.conjunction(id, 2, 2)),
          }),
        ),
      );
    }
    return flows;
  } finally {
    memo.done();
  }
}
