/**
 * The agent's pipelines, declared as data: every table of every bridge kind, once, with its pinned
 * number, name, purpose, what a miss does, and which owners put flows there. Numbers and names are
 * Neutron's (neutron_lib ovs_constants) wherever the function is the same, so an operator's habits and
 * `ovs-ofctl dump-flows br-tun table=22` one-liners carry over. docs/PIPELINE.md is rendered from this.
 *
 * To add a table: declare it here with a free number, give it a default (miss) flow in base-flows.ts,
 * and name the owner whose flows go in it. Never renumber a table: flows of the previous generation
 * live in the old numbers until the next restart replaces them.
 */
export type BridgeKind = "int" | "tun" | "phys";

export interface TableDef {
  readonly bridge: BridgeKind;
  readonly number: number;
  readonly name: string;
  readonly purpose: string;
  readonly miss: string;
  readonly owners: readonly string[];
}

export const IntTable = { localSwitching: 0, canary: 23, transient: 60 } as const;
export const TunTable = {
  localSwitching: 0,
  patchLvToTun: 2,
  greTunToLv: 3,
  vxlanTunToLv: 4,
  geneveTunToLv: 6,
  learnFromTun: 10,
  ucastToTun: 20,
  arpResponder: 21,
  floodToTun: 22,
} as const;
export const PhysTable = { localSwitching: 0 } as const;

/** Tunnel type → the br-tun table that maps its tunnel ids to local VLANs. */
export const tunToLvTable = {
  gre: TunTable.greTunToLv,
  vxlan: TunTable.vxlanTunToLv,
  geneve: TunTable.geneveTunToLv,
} as const;

/** The VLAN tag of ports that must not forward (unknown, admin-down, odd): Neutron's DEAD_VLAN_TAG. */
export const DEAD_VLAN = 4095;

export const tables: readonly TableDef[] = [
  {
    bridge: "int",
    number: IntTable.localSwitching,
    name: "LOCAL_SWITCHING",
    purpose:
      "Entry. Drops the dead VLAN and dead ports; translates provider VLAN / untagged frames from physical bridges to the local VLAN.",
    miss: "goto_table 60",
    owners: ["int-base", "net:<network>", "vif:<interface>"],
  },
  {
    bridge: "int",
    number: IntTable.canary,
    name: "CANARY",
    purpose:
      "One drop flow that exists only while Weir's flows do: an empty table 23 means the switch lost its flows (Neutron's restart detector, kept for operators).",
    miss: "drop",
    owners: ["int-base"],
  },
  {
    bridge: "int",
    number: IntTable.transient,
    name: "TRANSIENT",
    purpose:
      "MAC learning within each local VLAN (ports carry the local VLAN as Port.tag). Security groups will hook in here.",
    miss: "NORMAL",
    owners: ["int-base"],
  },
  {
    bridge: "tun",
    number: TunTable.localSwitching,
    name: "LOCAL_SWITCHING",
    purpose: "Entry. From br-int → 2; from a tunnel port → the tunnel type's table.",
    miss: "drop",
    owners: ["tun-base", "tunnel:<port>"],
  },
  {
    bridge: "tun",
    number: TunTable.patchLvToTun,
    name: "PATCH_LV_TO_TUN",
    purpose:
      "From br-int: unicast → 20, multicast/broadcast → 22, ARP broadcast → 21 when the ARP responder is on.",
    miss: "(by destination)",
    owners: ["tun-base"],
  },
  {
    bridge: "tun",
    number: TunTable.greTunToLv,
    name: "GRE_TUN_TO_LV",
    purpose: "GRE key → local VLAN, then learn.",
    miss: "drop",
    owners: ["tun-base", "net:<network>"],
  },
  {
    bridge: "tun",
    number: TunTable.vxlanTunToLv,
    name: "VXLAN_TUN_TO_LV",
    purpose: "VXLAN VNI → local VLAN, then learn.",
    miss: "drop",
    owners: ["tun-base", "net:<network>"],
  },
  {
    bridge: "tun",
    number: TunTable.geneveTunToLv,
    name: "GENEVE_TUN_TO_LV",
    purpose: "Geneve VNI → local VLAN, then learn.",
    miss: "drop",
    owners: ["tun-base", "net:<network>"],
  },
  {
    bridge: "tun",
    number: TunTable.learnFromTun,
    name: "LEARN_FROM_TUN",
    purpose:
      "Learns (local VLAN, source MAC) → tunnel port into table 20 (hard timeout 300 s, learned-flow cookie), then sends the frame to br-int.",
    miss: "learn + output to br-int",
    owners: ["tun-base"],
  },
  {
    bridge: "tun",
    number: TunTable.ucastToTun,
    name: "UCAST_TO_TUN",
    purpose:
      "Learned unicast destinations: strip the local VLAN, set the tunnel id, output to the one tunnel port.",
    miss: "goto_table 22",
    owners: ["tun-base", "(learned)"],
  },
  {
    bridge: "tun",
    number: TunTable.arpResponder,
    name: "ARP_RESPONDER",
    purpose:
      "Answers ARP requests for ports on other hosts of the network, from the server's fdb entries (arp_responder = true).",
    miss: "goto_table 22",
    owners: ["tun-base", "fdb:<port>"],
  },
  {
    bridge: "tun",
    number: TunTable.floodToTun,
    name: "FLOOD_TO_TUN",
    purpose:
      "Floods a local VLAN's frames to the tunnel ports of the other hosts with ports on that network (l2-population endpoints), and only to those.",
    miss: "drop",
    owners: ["tun-base", "net:<network>"],
  },
  {
    bridge: "phys",
    number: PhysTable.localSwitching,
    name: "LOCAL_SWITCHING",
    purpose:
      "From br-int: local VLAN → provider VLAN (or untagged for flat), then NORMAL out the physical NIC; anything else from br-int is dropped.",
    miss: "NORMAL",
    owners: ["phys-base", "net:<network>"],
  },
];

export function tablesOf(bridge: BridgeKind): readonly TableDef[] {
  return tables.filter((t) => t.bridge === bridge);
}
