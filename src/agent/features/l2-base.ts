/**
 * The L2 core (Neutron's agent without extensions): br-int's entry and dispatcher table (0), the canary
 * (23) and TRANSIENT (60), where frames are finally switched by NORMAL within their local VLAN, the last
 * stage of the dispatcher; each physical bridge's table 0. Ports carry their local VLAN as Port.tag, so
 * L2 needs no per-port flows.
 */
import { actions as A, type Flow, flow } from "../../openflow/index.ts";
import { entryMatch } from "../pipeline/dispatcher.ts";
import type { Feature, FlowsByBridge } from "../pipeline/feature.ts";
import { DEAD_VLAN } from "../ports/local-vlans.ts";

export const IntTable = { localSwitching: 0, canary: 23, transient: 60 } as const;
export const PhysTable = { localSwitching: 0 } as const;

/** Where l2-base's own flows sit in the shared tables; other features' bands fit around them. */
const Priority = {
  deadVlan: 65535,
  /** Frames from a physical bridge that no provider network translated. */
  untranslated: 10_001,
  physUntranslated: 2,
} as const;

export const l2Base: Feature = {
  name: "l2-base",
  summary:
    "br-int's entry and dispatcher, the canary, TRANSIENT (NORMAL within local VLANs); physical bridges' defaults",
  ownerClass: 0x01,
  tables: [
    {
      bridge: "int",
      number: IntTable.localSwitching,
      name: "LOCAL_SWITCHING",
      purpose:
        "Entry and dispatcher. Entry flows (unclassified frames only) drop the dead VLAN, dead ports and untranslated frames from physical bridges, and translate provider VLANs to local VLANs; then one flow per stage sends the frame to the first stage not done yet (reg0/reg1 marks).",
      shared: true,
      miss: () => [],
    },
    {
      bridge: "int",
      number: IntTable.canary,
      name: "CANARY",
      purpose:
        "One drop flow that exists only while Weir's flows do: an empty table 23 means the switch lost its flows (Neutron's restart detector, kept for operators).",
      miss: () => [],
    },
    {
      bridge: "int",
      number: IntTable.transient,
      name: "TRANSIENT",
      purpose:
        "The forward stage, last: MAC learning and delivery within each local VLAN (ports carry the local VLAN as Port.tag).",
      shared: true,
      miss: () => [A.normal],
    },
    {
      bridge: "phys",
      number: PhysTable.localSwitching,
      name: "LOCAL_SWITCHING",
      purpose:
        "From br-int: local VLAN → provider VLAN (or untagged for flat), then NORMAL out the physical NIC; anything else from br-int is dropped.",
      shared: true,
      miss: () => [A.normal],
    },
  ],
  bands: [
    {
      bridge: "int",
      table: 0,
      min: 0,
      max: 0,
      purpose: "the miss: drop (never reached: TRANSIENT's dispatcher flow takes everything)",
    },
    {
      bridge: "int",
      table: 0,
      min: 10_000,
      max: 10_999,
      purpose: "entry: classify what nothing else did; drop untranslated frames from physical bridges",
    },
    { bridge: "int", table: 0, min: 65_000, max: 65_535, purpose: "entry: the dead VLAN" },
    { bridge: "int", table: 60, min: 0, max: 9, purpose: "NORMAL" },
    { bridge: "phys", table: 0, min: 0, max: 3, purpose: "NORMAL; untranslated frames from br-int dropped" },
  ],
  stage: { kind: "forward", table: IntTable.transient },

  baseFlows({ host }): FlowsByBridge {
    const out = new Map<string, Flow[]>();
    const intFlows = [
      flow({
        table: IntTable.localSwitching,
        priority: Priority.deadVlan,
        match: entryMatch({ vlan_tci: [0x1000 | DEAD_VLAN, 0x1fff] }),
        actions: [],
      }),
      ...[...host.physPatches.values()]
        .map((p) => p.intSide)
        .sort((a, b) => a - b)
        .map((ofport) =>
          flow({
            table: IntTable.localSwitching,
            priority: Priority.untranslated,
            match: entryMatch({ in_port: ofport }),
            actions: [],
          }),
        ),
    ];
    out.set(host.integrationBridge, intFlows);
    for (const [physnet, bridge] of host.physicalBridges) {
      const patch = host.physPatches.get(physnet);
      if (patch === undefined) continue;
      out.set(bridge, [
        flow({
          table: PhysTable.localSwitching,
          priority: Priority.physUntranslated,
          match: { in_port: patch.physSide },
          actions: [],
        }),
      ]);
    }
    return out;
  },
};
