/**
 * The firewall (`[securitygroup] firewall_driver`): security groups on br-int through conntrack, as
 * Neutron's OVS firewall does them, and anti-spoofing for every VIF with port security whatever the
 * driver (with `noop`, anti-spoofing is all there is). Tables and registers: tables.ts. Every flow is a
 * pure function of what the server sent (the port's details, its groups, their remotes' members) and of
 * persisted state (ofports, local VLANs = zones), so a restart renders the same flows and the swap
 * changes cookies only: conntrack, which lives in the datapath, sees nothing of a restart.
 */
import { actions as A, type Action, type Flow, flow } from "../../../openflow/index.ts";
import {
  type AddressGroupInfo,
  type DeviceDetails,
  type GroupMember,
  Section,
  type SecurityGroupInfo,
} from "../../../protocol/index.ts";
import type { FirewallDriver } from "../../config.ts";
import { DocPort } from "../../pipeline/doc-ports.ts";
import {
  type Feature,
  type FeatureContext,
  on,
  type TableDecl,
  type VifContext,
} from "../../pipeline/feature.ts";
import {
  ClauseMemos,
  type ConjunctionKey,
  collisions,
  conjunctionFlows,
  keyOf,
  keyText,
  type MemberAddress,
  type RemoteRef,
} from "./conjunctions.ts";
import { antiSpoofingOnly, firewallPort, PortRenders } from "./port-flows.ts";
import { BLOCKED, Ct, ctState, ETH, FwTable, NOT_BLOCKED, PROTO, Prio, ZONE_REG } from "./tables.ts";

const to = (table: number): readonly Action[] => [A.gotoTable(table)];

const tables: readonly TableDecl[] = [
  {
    bridge: "int",
    number: FwTable.baseEgress,
    name: "BASE_EGRESS",
    purpose:
      "Anti-spoofing of frames from VIFs with port security (reg5 = ofport): own MACs and IPs only, ARP and ND for them, DHCP client traffic; no DHCP server replies or router advertisements. IP goes on through conntrack (zone reg6) to 72.",
    miss: () => to(FwTable.dropped),
  },
  {
    bridge: "int",
    number: FwTable.rulesEgress,
    name: "RULES_EGRESS",
    purpose:
      "Egress rules (70–77; remote groups as conjunctions), replies of allowed connections, invalid and blocked connections dropped, established ones no rule allows any more blocked (ct_mark=1).",
    miss: () => to(FwTable.dropped),
  },
  {
    bridge: "int",
    number: FwTable.acceptOrIngress,
    name: "ACCEPT_OR_INGRESS",
    purpose:
      "Accepted egress to a local VIF with port security goes through its ingress (81); the rest to 91.",
    miss: () => to(FwTable.acceptedEgress),
  },
  {
    bridge: "int",
    number: FwTable.baseIngress,
    name: "BASE_INGRESS",
    purpose: "Towards a VIF (reg5): ARP, ND, RA and DHCP replies pass; IP through conntrack to 82.",
    miss: () => to(FwTable.dropped),
  },
  {
    bridge: "int",
    number: FwTable.rulesIngress,
    name: "RULES_INGRESS",
    purpose: "Ingress rules, as RULES_EGRESS for the other direction.",
    miss: () => to(FwTable.dropped),
  },
  {
    bridge: "int",
    number: FwTable.acceptedEgress,
    name: "ACCEPTED_EGRESS",
    purpose: "Commits new connections (and re-allowed blocked ones, unblocking them), then 94.",
    miss: () => to(FwTable.acceptedEgressTraffic),
  },
  {
    bridge: "int",
    number: FwTable.acceptedIngress,
    name: "ACCEPTED_INGRESS",
    purpose: "Commits new (and re-allowed) connections, then outputs to the VIF in reg5.",
    miss: () => to(FwTable.dropped),
  },
  {
    bridge: "int",
    number: FwTable.dropped,
    name: "DROPPED",
    purpose: "Everything the firewall drops ends here.",
    miss: () => [],
  },
  {
    bridge: "int",
    number: FwTable.acceptedEgressTraffic,
    name: "ACCEPTED_EGRESS_TRAFFIC",
    purpose: "Accepted egress: NORMAL, within the local VLAN of the port it came from.",
    miss: () => [A.normal],
  },
];

/** The shared flows of RULES_EGRESS or RULES_INGRESS: conntrack's verdicts around the rules. */
function verdictFlows(table: number, accept: number): Flow[] {
  const f = (priority: number, match: Record<string, unknown>, actions: readonly Action[]) =>
    flow({ table, priority, match, actions });
  return [
    f(Prio.invalid, { ct_state: ctState([Ct.inv, Ct.trk]) }, to(FwTable.dropped)),
    f(Prio.replies, { ct_state: ctState([Ct.est, Ct.rpl, Ct.trk]), ct_mark: NOT_BLOCKED }, to(accept)),
    f(Prio.replies, { ct_state: ctState([Ct.rel, Ct.trk], [Ct.inv]), ct_mark: NOT_BLOCKED }, to(accept)),
    f(Prio.replies, { ct_state: ctState([Ct.trk]), ct_mark: BLOCKED }, to(FwTable.dropped)),
    // An established connection whose request no rule allows any more: blocked both ways from now on.
    // (ct needs an IP match: one flow per IP version, here and wherever a flow commits.)
    ...IP_TYPES.map((eth_type) =>
      f(Prio.revoke, { eth_type, ct_state: ctState([Ct.est, Ct.trk], [Ct.rpl]) }, [
        A.ct({ commit: true, zone: ZONE_REG, actions: [A.setField("ct_mark", 1n)] }),
        A.gotoTable(FwTable.dropped),
      ]),
    ),
  ];
}

const IP_TYPES = [ETH.ipv4, ETH.ipv6] as const;

/** ND and RA towards a VM, which BASE_INGRESS lets through. */
const ND_INGRESS = [130, 131, 132, 133, 134, 135, 136, 143] as const;

function sharedFlows(): Flow[] {
  const f = (table: number, priority: number, match: Record<string, unknown>, actions: readonly Action[]) =>
    flow({ table, priority, match, actions });
  const bi = FwTable.baseIngress;
  return [
    ...verdictFlows(FwTable.rulesEgress, FwTable.acceptOrIngress),
    ...verdictFlows(FwTable.rulesIngress, FwTable.acceptedIngress),
    ...IP_TYPES.flatMap((eth_type) => [
      f(FwTable.acceptedEgress, Prio.commitNew, { eth_type, ct_state: ctState([Ct.new, Ct.trk]) }, [
        A.ct({ commit: true, zone: ZONE_REG }),
        A.gotoTable(FwTable.acceptedEgressTraffic),
      ]),
      f(FwTable.acceptedEgress, Prio.unblock, { eth_type, ct_state: ctState([Ct.trk]), ct_mark: BLOCKED }, [
        A.ct({ commit: true, zone: ZONE_REG, actions: [A.setField("ct_mark", 0n)] }),
        A.gotoTable(FwTable.acceptedEgressTraffic),
      ]),
    ]),
    f(bi, Prio.ingressPass, { eth_type: ETH.arp }, to(FwTable.acceptedIngress)),
    ...ND_INGRESS.map((type) =>
      f(
        bi,
        Prio.ingressPass,
        { eth_type: ETH.ipv6, ip_proto: PROTO.icmpv6, icmpv6_type: type },
        to(FwTable.acceptedIngress),
      ),
    ),
    f(
      bi,
      Prio.dhcpReply,
      { eth_type: ETH.ipv4, ip_proto: PROTO.udp, udp_src: 67, udp_dst: 68 },
      to(FwTable.acceptedIngress),
    ),
    f(
      bi,
      Prio.dhcpReply,
      { eth_type: ETH.ipv6, ip_proto: PROTO.udp, udp_src: 547, udp_dst: 546 },
      to(FwTable.acceptedIngress),
    ),
    ...[ETH.ipv4, ETH.ipv6].map((eth_type) =>
      f(bi, Prio.track, { eth_type, ct_state: ctState([], [Ct.trk]) }, [
        A.ct({ zone: ZONE_REG, table: FwTable.rulesIngress }),
      ]),
    ),
    f(bi, Prio.tracked, { ct_state: ctState([Ct.trk]) }, to(FwTable.rulesIngress)),
  ];
}

/** The remotes' members as match addresses. */
function membersOf(ctx: FeatureContext): (remote: RemoteRef) => readonly MemberAddress[] {
  return (remote) => {
    if (remote.kind === "group") {
      const members = ctx.section<readonly GroupMember[]>(Section.groupMembers, remote.id) ?? [];
      return addressesOf(members, () =>
        members.map((m) => ({ ip: m.ip_address, mac: m.mac_address.toLowerCase() })),
      );
    }
    const group = ctx.section<AddressGroupInfo>(Section.addressGroup, remote.id);
    if (group === undefined) return [];
    return addressesOf(group, () => group.addresses.map((ip) => ({ ip, mac: undefined })));
  };
}

/**
 * A remote's addresses, made once per section object (the state replaces an object when it changes, and
 * never changes one): a render whose remotes did not change maps none of their thousands of members.
 */
function addressesOf(from: object, make: () => readonly MemberAddress[]): readonly MemberAddress[] {
  let known = addressCache.get(from);
  if (known === undefined) {
    known = make();
    addressCache.set(from, known);
  }
  return known;
}

const addressCache = new WeakMap<object, readonly MemberAddress[]>();

/** Every conjunction key the held groups' rules use, deduplicated, sorted. */
function keysInUse(ctx: FeatureContext): ConjunctionKey[] {
  const keys = new Map<string, ConjunctionKey>();
  for (const id of [...ctx.sectionKeys(Section.securityGroup)].sort()) {
    const group = ctx.section<SecurityGroupInfo>(Section.securityGroup, id);
    for (const rule of group?.rules ?? []) {
      const key = keyOf(rule);
      if (key !== undefined) keys.set(keyText(key), key);
    }
  }
  return [...keys.values()].sort((a, b) => (keyText(a) < keyText(b) ? -1 : 1));
}

function portContext(vif: VifContext) {
  if (vif.state !== "wired" || vif.details === undefined || vif.network === undefined) return undefined;
  return { ofport: vif.ofport, lvid: vif.network.lvid, details: vif.details };
}

const docDetails = {
  port_id: "00000000-0000-4000-8000-000000000001",
  network_id: "00000000-0000-4000-8000-000000000002",
  network_type: "vxlan",
  physical_network: null,
  segmentation_id: 100,
  mtu: 1450,
  mac_address: "fa:16:3e:00:00:01",
  fixed_ips: [{ subnet_id: "00000000-0000-4000-8000-000000000003", ip_address: "198.19.0.5" }],
  admin_state_up: true,
  network_admin_state_up: true,
  port_security_enabled: true,
  allowed_address_pairs: [],
  device_owner: "compute:nova",
  device_id: "vm",
  host: "compute1",
  status: "ACTIVE",
  vif_type: "ovs",
  revision_number: 1,
  security_groups: ["00000000-0000-4000-8000-0000000000aa"],
} satisfies DeviceDetails;

const docGroup: SecurityGroupInfo = {
  group_id: "00000000-0000-4000-8000-0000000000aa",
  stateful: true,
  revision_number: 1,
  rules: [
    {
      id: "00000000-0000-4000-8000-0000000000b1",
      direction: "ingress",
      ethertype: "IPv4",
      protocol: 6,
      port_range_min: 22,
      port_range_max: 22,
      remote_ip_prefix: null,
      remote_group_id: null,
      remote_address_group_id: null,
    },
    {
      id: "00000000-0000-4000-8000-0000000000b2",
      direction: "ingress",
      ethertype: "IPv4",
      protocol: null,
      port_range_min: null,
      port_range_max: null,
      remote_ip_prefix: null,
      remote_group_id: "00000000-0000-4000-8000-0000000000aa",
      remote_address_group_id: null,
    },
  ],
};

/** The firewall feature for a driver. */
export function firewall(driver: FirewallDriver): Feature {
  const full = driver === "openvswitch";
  // Re-rendering the base for one member's change rebuilds that member's flow only (memo.ts), and
  // re-rendering a port for one rule's change builds that rule's flow for it only (port-flows.ts).
  const memberFlows = new ClauseMemos();
  const ports = new PortRenders();
  const shared = full ? sharedFlows() : [];
  return {
    name: "firewall",
    summary: full
      ? "security groups through conntrack (Neutron's OVS firewall tables), anti-spoofing"
      : "anti-spoofing of VIFs with port security (firewall_driver = noop)",
    ownerClass: 0x09,
    tables,
    bands: [
      {
        bridge: "int",
        table: FwTable.transient,
        min: Prio.toVif,
        max: Prio.fromVif,
        purpose: "firewall: frames from VIFs → 71 (or 73 without port security); to a VIF's MAC → 81",
      },
    ],
    sections: full ? [Section.securityGroup, Section.groupMembers, Section.addressGroup] : [],

    baseFlows(ctx) {
      if (!full) return new Map();
      const keys = keysInUse(ctx);
      const clash = collisions(keys);
      if (clash.length > 0)
        throw new Error(
          `conjunction ids collide for ${clash.map(([a, b]) => `${a} and ${b}`).join("; ")}: the firewall keeps its previous flows`,
        );
      return on(ctx.host.integrationBridge, [
        ...shared,
        ...conjunctionFlows(keys, membersOf(ctx), memberFlows),
      ]);
    },

    vif(vif, ctx) {
      const port = portContext(vif);
      if (port === undefined) return undefined;
      if (!full) return { flows: on(ctx.host.integrationBridge, antiSpoofingOnly(port)) };
      const groups = (port.details.security_groups ?? []).map((id) =>
        ctx.section<SecurityGroupInfo>(Section.securityGroup, id),
      );
      return { flows: on(ctx.host.integrationBridge, firewallPort(port, groups, ports)) };
    },

    examples: (ctx) => [
      {
        title: full
          ? "a VIF (198.19.0.5) in a group allowing TCP 22 from anywhere and everything from the group itself"
          : "a VIF (198.19.0.5) with port security, anti-spoofing only",
        flows: on(
          ctx.host.integrationBridge,
          full
            ? firewallPort({ ofport: DocPort.tap, lvid: 1, details: docDetails }, [docGroup])
            : antiSpoofingOnly({ ofport: DocPort.tap, lvid: 1, details: docDetails }),
        ),
      },
    ],
  };
}
