/**
 * One VIF's firewall flows: how its frames enter the firewall (TRANSIENT's band), its anti-spoofing, its
 * rules (plain ones whole, remote ones as clause 2/2 of their conjunction) and its output in ingress.
 */
import {
  actions as A,
  type Action,
  type Flow,
  flow,
  flowKey,
  type MatchSpec,
} from "../../../openflow/index.ts";
import type { DeviceDetails, SecurityGroupInfo, SecurityGroupRuleInfo } from "../../../protocol/index.ts";
import { allowedMacs, allowedSources } from "./addresses.ts";
import { antiSpoofingFlows } from "./anti-spoofing.ts";
import { conjunctionId, keyOf, rulesTable } from "./conjunctions.ts";
import { hasRemote, l4Matches, prefixMatch, RULE_PRIORITY_BASE, rulePriority } from "./rules.ts";
import { BLOCKED, Ct, ctState, ETH, FwTable, PORT_REG, Prio, ZONE_REG } from "./tables.ts";

export interface FilteredPort {
  readonly ofport: number;
  readonly lvid: number;
  readonly details: DeviceDetails;
}

const regs = (ofport: number, lvid: number): Action[] => [A.load(ofport, PORT_REG), A.load(lvid, ZONE_REG)];

/** Anti-spoofing only ([securitygroup] firewall_driver = noop): frames from the VIF through 71, then NORMAL. */
export function antiSpoofingOnly({ ofport, lvid, details }: FilteredPort): Flow[] {
  if (!details.port_security_enabled) return [];
  return [
    flow({
      table: FwTable.transient,
      priority: Prio.fromVif,
      match: { in_port: ofport },
      actions: [...regs(ofport, lvid), A.gotoTable(FwTable.baseEgress)],
    }),
    ...antiSpoofingFlows(ofport, allowedSources(details), allowedMacs(details), "accept"),
  ];
}

/**
 * A VIF without port security is not filtered, but what it sends to a local VIF that has port security
 * still goes through that VIF's ingress rules (ACCEPT_OR_INGRESS knows the local MACs).
 */
function unfilteredPort({ ofport, lvid }: FilteredPort): Flow[] {
  return [
    flow({
      table: FwTable.transient,
      priority: Prio.fromVif,
      match: { in_port: ofport },
      actions: [...regs(ofport, lvid), A.gotoTable(FwTable.acceptOrIngress)],
    }),
  ];
}

/** The full firewall for one VIF: `groups` are its groups as the server sent them (missing ones: no rules). */
export function firewallPort(port: FilteredPort, groups: readonly (SecurityGroupInfo | undefined)[]): Flow[] {
  const { ofport, lvid, details } = port;
  if (!details.port_security_enabled) return unfilteredPort(port);
  const known = groups.filter((g) => g !== undefined);
  // The server refuses to mix stateful and stateless groups on a port; a port is stateless when its
  // groups are, and stateful while any of them is unknown yet (the safe side: conntrack drops more).
  const stateful = known.length < groups.length || known.length === 0 || known.some((g) => g.stateful);
  const macs = allowedMacs(details);
  const vlanTci = [BigInt(0x1000 | lvid), 0x1fffn] as const;
  const flows: Flow[] = [
    flow({
      table: FwTable.transient,
      priority: Prio.fromVif,
      match: { in_port: ofport },
      actions: [...regs(ofport, lvid), A.gotoTable(FwTable.baseEgress)],
    }),
    ...macs.flatMap((mac) => [
      flow({
        table: FwTable.transient,
        priority: Prio.toVif,
        match: { vlan_tci: vlanTci, eth_dst: mac },
        actions: [...regs(ofport, lvid), A.popVlan, A.gotoTable(FwTable.baseIngress)],
      }),
      flow({
        table: FwTable.acceptOrIngress,
        priority: Prio.localVif,
        match: { reg6: lvid, eth_dst: mac },
        actions: [A.load(ofport, PORT_REG), A.gotoTable(FwTable.baseIngress)],
      }),
    ]),
    ...antiSpoofingFlows(
      ofport,
      allowedSources(details),
      macs,
      stateful ? "rules-tracked" : "rules-stateless",
    ),
    ...ingressOutput(ofport, stateful),
    ...ruleFlows(
      ofport,
      known.flatMap((g) => g.rules),
      stateful,
    ),
  ];
  return flows;
}

/** ACCEPTED_INGRESS: commit what is new (or was blocked and is allowed again), then out the VIF. */
function ingressOutput(ofport: number, stateful: boolean): Flow[] {
  const t = FwTable.acceptedIngress;
  const out = A.output(ofport);
  const flows = [flow({ table: t, priority: Prio.output, match: { reg5: ofport }, actions: [out] })];
  if (!stateful) {
    // Stateless: IP goes to the rules without conntrack (BASE_INGRESS would track it otherwise).
    for (const eth_type of [ETH.ipv4, ETH.ipv6])
      flows.push(
        flow({
          table: FwTable.baseIngress,
          priority: Prio.stateless,
          match: { reg5: ofport, eth_type },
          actions: [A.gotoTable(FwTable.rulesIngress)],
        }),
      );
    return flows;
  }
  // ct needs an IP match: one flow per IP version.
  for (const eth_type of [ETH.ipv4, ETH.ipv6])
    flows.push(
      flow({
        table: t,
        priority: Prio.commitNew,
        match: { reg5: ofport, eth_type, ct_state: ctState([Ct.new, Ct.trk]) },
        actions: [A.ct({ commit: true, zone: ZONE_REG }), out],
      }),
      flow({
        table: t,
        priority: Prio.unblock,
        match: { reg5: ofport, eth_type, ct_state: ctState([Ct.trk]), ct_mark: BLOCKED },
        actions: [A.ct({ commit: true, zone: ZONE_REG, actions: [A.setField("ct_mark", 0n)] }), out],
      }),
    );
  return flows;
}

/** What two rules share when they would build the same flows (their ids differ, their matches not). */
const ruleIdentity = ({ id: _id, ...rest }: SecurityGroupRuleInfo) => JSON.stringify(rest);

/**
 * Rule flows of one VIF: a stateful port's match only packets of the request direction (new, or
 * established ones re-checked so that removing a rule cuts what it allowed); replies and related
 * packets pass in RULES_* by conntrack. Flows with the same (table, priority, match) are merged: one
 * accept, or one flow with every conjunction it is a clause of.
 */
export function ruleFlows(
  ofport: number,
  rules: readonly SecurityGroupRuleInfo[],
  stateful: boolean,
): Flow[] {
  const ct: MatchSpec = stateful ? { ct_state: ctState([Ct.trk], [Ct.inv, Ct.rpl]) } : {};
  const byKey = new Map<string, Flow>();
  const conj = new Map<string, { table: number; priority: number; match: MatchSpec; ids: Set<number> }>();
  const seen = new Set<string>();
  for (const rule of rules) {
    const identity = ruleIdentity(rule);
    if (seen.has(identity)) continue;
    seen.add(identity);
    const table = rulesTable(rule.direction);
    const key = keyOf(rule);
    for (const l4 of l4Matches(rule)) {
      if (!hasRemote(rule) || key === undefined) {
        const f = flow({
          table,
          priority: rulePriority(rule),
          match: { reg5: ofport, ...l4, ...prefixMatch(rule), ...ct },
          actions: [
            A.gotoTable(rule.direction === "egress" ? FwTable.acceptOrIngress : FwTable.acceptedIngress),
          ],
        });
        byKey.set(flowKey(f), f);
        continue;
      }
      const match = { reg5: ofport, ...l4, ...ct };
      const priority = RULE_PRIORITY_BASE + key.offset;
      const text = flowKey(flow({ table, priority, match, actions: [] }));
      const entry = conj.get(text) ?? { table, priority, match, ids: new Set<number>() };
      entry.ids.add(conjunctionId(key));
      conj.set(text, entry);
    }
  }
  const flows = [...byKey.values()];
  for (const c of conj.values())
    flows.push(
      flow({
        table: c.table,
        priority: c.priority,
        match: c.match,
        actions: [...c.ids].sort((a, b) => a - b).map((id) => A.conjunction(id, 2, 2)),
      }),
    );
  return flows;
}
