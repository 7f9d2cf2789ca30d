/**
 * Provider networks (flat and VLAN) through the physical bridges of bridge_mappings: a frame from the
 * physical network gets its network's local VLAN at br-int's entry (and goes on through the stages, so
 * QoS and security groups see it like any other); a frame for it leaves the physical bridge with the
 * provider VLAN, or untagged for flat.
 */

import type { Action } from "../../openflow/index.ts";
import { actions as A, type Flow, flow } from "../../openflow/index.ts";
import { entryMatch } from "../pipeline/dispatcher.ts";
import { DocPort } from "../pipeline/doc-ports.ts";
import type { Feature, FlowsByBridge } from "../pipeline/feature.ts";
import type { Segment } from "../ports/local-vlans.ts";
import { IntTable, PhysTable } from "./l2-base.ts";

const Priority = { intTranslate: 30_000, physTranslate: 4 } as const;
const vlanMatch = (vid: number) => [0x1000 | vid, 0x1fff] as const;

/** br-int: frames from the physical bridge on the provider VLAN (or untagged, flat) get the local VLAN. */
export function intProviderFlows(
  segment: Segment,
  lvid: number,
  intPatch: number,
  next: readonly Action[],
): Flow[] {
  const tagged = segment.networkType === "vlan";
  return [
    flow({
      table: IntTable.localSwitching,
      priority: Priority.intTranslate,
      match: entryMatch({
        in_port: intPatch,
        vlan_tci: tagged ? vlanMatch(segment.segmentationId!) : [0, 0x1fff],
      }),
      actions: [...(tagged ? [] : [A.pushVlan()]), A.setVlanVid(lvid), ...next],
    }),
  ];
}

/** The physical bridge: the local VLAN leaves as the provider VLAN (or untagged). */
export function physProviderFlows(segment: Segment, lvid: number, physPatch: number): Flow[] {
  const translate = segment.networkType === "vlan" ? [A.setVlanVid(segment.segmentationId!)] : [A.popVlan];
  return [
    flow({
      table: PhysTable.localSwitching,
      priority: Priority.physTranslate,
      match: { in_port: physPatch, vlan_tci: vlanMatch(lvid) },
      actions: [...translate, A.normal],
    }),
  ];
}

export const provider: Feature = {
  name: "provider",
  summary: "flat and VLAN networks through the physical bridges of bridge_mappings",
  ownerClass: 0x05,
  tables: [],
  bands: [
    { bridge: "int", table: 0, min: 30_000, max: 30_999, purpose: "entry: provider VLAN → local VLAN" },
    { bridge: "phys", table: 0, min: 4, max: 9, purpose: "local VLAN → provider VLAN" },
  ],

  network({ segment, lvid }, ctx): FlowsByBridge | undefined {
    if (segment.networkType !== "flat" && segment.networkType !== "vlan") return undefined;
    const physnet = segment.physicalNetwork ?? "";
    const bridge = ctx.host.physicalBridges.get(physnet);
    const patch = ctx.host.physPatches.get(physnet);
    // A VLAN network without a segment id cannot be translated: its ports are parked dead by the
    // decisions, which check the same thing.
    if (bridge === undefined || patch === undefined) return undefined;
    if (segment.networkType === "vlan" && segment.segmentationId === null) return undefined;
    return new Map([
      [ctx.host.integrationBridge, intProviderFlows(segment, lvid, patch.intSide, ctx.next())],
      [bridge, physProviderFlows(segment, lvid, patch.physSide)],
    ]);
  },

  examples(ctx) {
    const bridge = [...ctx.host.physicalBridges.values()][0]!;
    const vlan: Segment = { networkType: "vlan", physicalNetwork: "physnet1", segmentationId: 101 };
    const flat: Segment = { networkType: "flat", physicalNetwork: "physnet1", segmentationId: null };
    const both = (s: Segment) =>
      new Map([
        [ctx.host.integrationBridge, intProviderFlows(s, 3, DocPort.intBrPhys, ctx.next())],
        [bridge, physProviderFlows(s, 3, DocPort.phyBrPhys)],
      ]);
    return [
      {
        title: "a VLAN network (provider VLAN 101, local VLAN 3), br-int and its physical bridge",
        flows: both(vlan),
      },
      { title: "a flat network (local VLAN 3)", flows: both(flat) },
    ];
  },
};
