/**
 * One VIF's firewall flows: how its frames enter the firewall (TRANSIENT's band), its anti-spoofing, its
 * rules (rule-flows.ts) and its output in ingress. A port's flows are a pure function of its ofport, local
 * VLAN, addresses, statefulness and its groups' rules; PortRenders keeps each port's last render so that a
 * change to one of those re-renders only what depends on it.
 */
import { actions as A, type Action, type Flow, flow } from "../../../openflow/index.ts";
import type { DeviceDetails, SecurityGroupInfo } from "../../../protocol/index.ts";
import { type AllowedSource, allowedMacs, allowedSources } from "./addresses.ts";
import { antiSpoofingFlows } from "./anti-spoofing.ts";
import { Memo } from "./memo.ts";
import { ruleFlows } from "./rule-flows.ts";
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

/**
 * Each VIF's last render, by ofport (so at most one entry per ofport OVS can hand out): its flows apart
 * from the rules, with what they were made of, and a memo of its rule flows.
 */
export class PortRenders {
  readonly #ports = new Map<number, Render>();

  /** The port's flows apart from its rules (reused while their inputs are the same), and its rules' memo. */
  of(port: FilteredPort, stateful: boolean): { own: readonly Flow[]; rules: Memo<Flow> } {
    const last = this.#ports.get(port.ofport);
    // The same details object (the state replaces it when the server changes the port) made the same flows.
    if (last?.details === port.details && last.lvid === port.lvid && last.stateful === stateful) return last;
    const sources = allowedSources(port.details);
    const macs = allowedMacs(port.details);
    const made = JSON.stringify([port.lvid, stateful, sources, macs]);
    const same = last !== undefined && last.made === made;
    const entry: Render = {
      details: port.details,
      lvid: port.lvid,
      stateful,
      made,
      own: same ? last.own : ownFlows(port, sources, macs, stateful),
      rules: same ? last.rules : new Memo<Flow>(),
    };
    this.#ports.set(port.ofport, entry);
    return entry;
  }
}

interface Render {
  readonly details: DeviceDetails;
  readonly lvid: number;
  readonly stateful: boolean;
  /** What `own` is made of, as text (addresses, VLAN, statefulness). */
  readonly made: string;
  readonly own: readonly Flow[];
  readonly rules: Memo<Flow>;
}

/**
 * The full firewall for one VIF: `groups` are its groups as the server sent them (missing ones: no rules).
 * `renders` (the feature's) lets unchanged parts of the port's last render be reused.
 */
export function firewallPort(
  port: FilteredPort,
  groups: readonly (SecurityGroupInfo | undefined)[],
  renders: PortRenders = new PortRenders(),
): Flow[] {
  if (!port.details.port_security_enabled) return unfilteredPort(port);
  const known = groups.filter((g) => g !== undefined);
  // The server refuses to mix stateful and stateless groups on a port; a port is stateless when its
  // groups are, and stateful while any of them is unknown yet (the safe side: conntrack drops more).
  const stateful = known.length < groups.length || known.length === 0 || known.some((g) => g.stateful);
  const { own, rules } = renders.of(port, stateful);
  return [
    ...own,
    ...ruleFlows(
      port.ofport,
      known.flatMap((g) => g.rules),
      stateful,
      rules,
    ),
  ];
}

/** A filtered VIF's flows apart from its rules: its way in and out, its anti-spoofing. */
function ownFlows(
  { ofport, lvid }: FilteredPort,
  sources: readonly AllowedSource[],
  macs: readonly string[],
  stateful: boolean,
): Flow[] {
  const vlanTci = [BigInt(0x1000 | lvid), 0x1fffn] as const;
  return [
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
    ...antiSpoofingFlows(ofport, sources, macs, stateful ? "rules-tracked" : "rules-stateless"),
    ...ingressOutput(ofport, stateful),
  ];
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
