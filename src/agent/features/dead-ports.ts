/**
 * Untrusted ports forward nothing: a VIF parked on the dead VLAN (the server does not know it, it is
 * admin-down, its external_ids are odd, or its details have not come yet) also gets a drop flow on its
 * in_port, at br-int's entry, so not even a frame tagged by the VM itself gets through.
 */
import { flow } from "../../openflow/index.ts";
import { entryMatch } from "../pipeline/dispatcher.ts";
import { DocPort } from "../pipeline/doc-ports.ts";
import { type Feature, on } from "../pipeline/feature.ts";
import { IntTable } from "./l2-base.ts";

const DROP_PRIORITY = 20_000;

export function deadPortFlows(ofport: number) {
  return [
    flow({
      table: IntTable.localSwitching,
      priority: DROP_PRIORITY,
      match: entryMatch({ in_port: ofport }),
      actions: [],
    }),
  ];
}

export const deadPorts: Feature = {
  name: "dead-ports",
  summary: "a drop flow at br-int's entry for every VIF parked on the dead VLAN",
  ownerClass: 0x04,
  tables: [],
  bands: [{ bridge: "int", table: 0, min: 20_000, max: 20_999, purpose: "entry: dead VIFs' frames dropped" }],

  vif(vif, { host }) {
    if (vif.state !== "dead") return undefined;
    return { flows: on(host.integrationBridge, deadPortFlows(vif.ofport)) };
  },

  examples: ({ host }) => [
    {
      title: "a VIF parked on the dead VLAN (unknown to the server, admin-down, odd `external_ids`)",
      flows: on(host.integrationBridge, deadPortFlows(DocPort.tap)),
    },
  ],
};
