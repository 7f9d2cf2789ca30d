/** The default flows of each bridge kind (owners int-base, tun-base, phys-base). */
import { actions as A, type Flow, flow, learnedCookie } from "../../openflow/index.ts";
import { DEAD_VLAN, IntTable, PhysTable, TunTable } from "./tables.ts";

/** br-int: dead VLAN and untranslated frames from physical bridges dropped; everything else to NORMAL. */
export function intBaseFlows(physPatchOfports: readonly number[]): Flow[] {
  return [
    flow({
      table: IntTable.localSwitching,
      priority: 65535,
      match: { vlan_tci: [0x1000 | DEAD_VLAN, 0x1fff] },
      actions: [],
    }),
    ...physPatchOfports.map((ofport) =>
      flow({ table: IntTable.localSwitching, priority: 2, match: { in_port: ofport }, actions: [] }),
    ),
    flow({ table: IntTable.localSwitching, priority: 0, actions: [A.gotoTable(IntTable.transient)] }),
    flow({ table: IntTable.canary, priority: 0, actions: [] }),
    flow({ table: IntTable.transient, priority: 1, actions: [A.normal] }),
  ];
}

/**
 * br-tun. Learning (table 10) writes flows with the learned-flow cookie (generation 0, class 0x7f), which
 * generation swaps and reconciles leave in place: they are data-plane state, and they expire by timeout.
 */
export function tunBaseFlows(patchIntOfport: number, arpResponder: boolean): Flow[] {
  const vlanOf = A.subfield("vlan_tci", 0, 11);
  return [
    flow({
      table: TunTable.localSwitching,
      priority: 1,
      match: { in_port: patchIntOfport },
      actions: [A.gotoTable(TunTable.patchLvToTun)],
    }),
    flow({ table: TunTable.localSwitching, priority: 0, actions: [] }),
    flow({
      table: TunTable.patchLvToTun,
      priority: 0,
      match: { eth_dst: "00:00:00:00:00:00/01:00:00:00:00:00" },
      actions: [A.gotoTable(TunTable.ucastToTun)],
    }),
    flow({
      table: TunTable.patchLvToTun,
      priority: 0,
      match: { eth_dst: "01:00:00:00:00:00/01:00:00:00:00:00" },
      actions: [A.gotoTable(TunTable.floodToTun)],
    }),
    ...(arpResponder
      ? [
          flow({
            table: TunTable.patchLvToTun,
            priority: 1,
            match: { eth_type: 0x0806, eth_dst: "ff:ff:ff:ff:ff:ff" },
            actions: [A.gotoTable(TunTable.arpResponder)],
          }),
        ]
      : []),
    flow({ table: TunTable.greTunToLv, priority: 0, actions: [] }),
    flow({ table: TunTable.vxlanTunToLv, priority: 0, actions: [] }),
    flow({ table: TunTable.geneveTunToLv, priority: 0, actions: [] }),
    flow({
      table: TunTable.learnFromTun,
      priority: 1,
      actions: [
        A.learn({
          table: TunTable.ucastToTun,
          priority: 1,
          hardTimeout: 300,
          cookie: learnedCookie(),
          specs: [
            { kind: "match", dst: vlanOf, src: vlanOf },
            { kind: "match", dst: A.subfield("eth_dst"), src: A.subfield("eth_src") },
            { kind: "load", dst: A.subfield("vlan_tci"), src: 0n },
            { kind: "load", dst: A.subfield("tun_id"), src: A.subfield("tun_id") },
            { kind: "output", src: A.subfield("in_port") },
          ],
        }),
        A.output(patchIntOfport),
      ],
    }),
    flow({ table: TunTable.ucastToTun, priority: 0, actions: [A.gotoTable(TunTable.floodToTun)] }),
    flow({ table: TunTable.arpResponder, priority: 0, actions: [A.gotoTable(TunTable.floodToTun)] }),
    flow({ table: TunTable.floodToTun, priority: 0, actions: [] }),
  ];
}

/** A physical bridge: the NIC side switches normally; untranslated frames from br-int are dropped. */
export function physBaseFlows(phyPatchOfport: number): Flow[] {
  return [
    flow({ table: PhysTable.localSwitching, priority: 0, actions: [A.normal] }),
    flow({ table: PhysTable.localSwitching, priority: 2, match: { in_port: phyPatchOfport }, actions: [] }),
  ];
}
