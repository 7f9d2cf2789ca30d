/**
 * QoS, the first extension (`[agent] extensions = qos`): Neutron's QoS rules on the ports that a policy
 * names (the port's own, else its network's — the server says which).
 *   - dscp_marking: the IP packets a VM sends get the DSCP mark, by flows in this feature's own table;
 *   - bandwidth_limit, egress (from the VM): on the kernel datapath the VIF's ingress policing, as Neutron
 *     does; on the userspace datapath an OpenFlow meter on the VIF's frames in the same table, because
 *     there ingress policing (a tc filter on the device) never sees what OVS reads from the device;
 *   - bandwidth_limit, ingress (towards the VM): a QoS row on the VIF's port (ovsdb.ts).
 * A restart keeps all of it: the OVSDB state is compared, not rewritten, and the flows and meters are the
 * same values again. A VIF gone dead loses its QoS row and policing; an agent started without qos removes
 * what qos left (index.ts cleanup; its meters go with the swap that sweeps its flows).
 */
import { actions as A, type Action, type Flow, flow, meter } from "../../../openflow/index.ts";
import { type QosPolicyInfo, Section } from "../../../protocol/index.ts";
import { DocPort } from "../../pipeline/doc-ports.ts";
import {
  type Feature,
  type FeatureContext,
  on,
  type VifContext,
  type VifPlan,
} from "../../pipeline/feature.ts";
import { ingressQos, policingOperations, portQosOperations, vifQosClearOperations } from "./ovsdb.ts";
import { type PortQos, portQos } from "./rules.ts";

/** Neutron's BANDWIDTH_RATE_LIMIT table number: per-port meters of bandwidth limits live there. */
export const QOS_TABLE = 59;
/** Meter ids of VIFs' egress limits: this base plus the VIF's ofport. */
export const METER_BASE = 0x10000;
const METER_IDS = { min: METER_BASE, max: METER_BASE + 0xffff } as const;

const Priority = { ip: 20, any: 10 } as const;

/** The VIF's flows in QoS_TABLE: mark (and meter) its IP packets, meter its other frames. */
export function qosFlows(ofport: number, want: PortQos, metered: boolean, next: readonly Action[]): Flow[] {
  const metering: Action[] = metered ? [A.meter(METER_BASE + ofport)] : [];
  const flows: Flow[] = [];
  if (want.dscp !== undefined) {
    for (const ethType of [0x0800, 0x86dd]) {
      flows.push(
        flow({
          table: QOS_TABLE,
          priority: Priority.ip,
          match: { in_port: ofport, eth_type: ethType },
          actions: [...metering, A.setField("ip_dscp", want.dscp), ...next],
        }),
      );
    }
  }
  if (metered)
    flows.push(
      flow({
        table: QOS_TABLE,
        priority: Priority.any,
        match: { in_port: ofport },
        actions: [...metering, ...next],
      }),
    );
  return flows;
}

/** A dead VIF (unbound, say) loses the agent's QoS row and policing; one kept as it was keeps them. */
const deadPlan: VifPlan = { ovsdb: (rows, ops) => vifQosClearOperations(ops, rows) };

function plan(vif: VifContext, ctx: FeatureContext): VifPlan | undefined {
  if (vif.state === "dead") return deadPlan;
  if (vif.state !== "wired" || vif.details === undefined) return undefined;
  const policyId = vif.details.qos_policy_id;
  const policy = policyId ? ctx.section<QosPolicyInfo>(Section.qos, policyId) : undefined;
  const want = portQos(policy);
  const { host } = ctx;
  const metered = host.datapath === "netdev" && want.egress !== undefined;
  return {
    flows: on(host.integrationBridge, qosFlows(vif.ofport, want, metered, ctx.next())),
    meters: new Map([
      [
        host.integrationBridge,
        metered
          ? [
              meter({
                id: METER_BASE + vif.ofport,
                unit: "kbps",
                burst: true,
                bands: [{ rate: want.egress!.kbps, burstSize: want.egress!.burstKb }],
              }),
            ]
          : [],
      ],
    ]),
    ovsdb: (rows, ops) => [
      ...(host.datapath === "system" ? policingOperations(ops, rows, want.egress) : []),
      ...portQosOperations(
        ops,
        rows,
        want.ingress === undefined ? undefined : ingressQos(rows.iface.type, want.ingress),
      ),
    ],
  };
}

export const qos: Feature = {
  name: "qos",
  summary: "Neutron's QoS rules: DSCP marking, bandwidth limits in both directions",
  tables: [
    {
      bridge: "int",
      number: QOS_TABLE,
      name: "BANDWIDTH_RATE_LIMIT",
      purpose:
        "QoS of frames from VMs: DSCP marking of their IP packets, and the meter of an egress bandwidth limit (userspace datapath), per VIF by in_port.",
      miss: (ctx) => ctx.next(),
    },
  ],
  stage: { kind: "modify", table: QOS_TABLE },
  meterIds: METER_IDS,
  sections: [Section.qos],
  replica: {
    Interface: ["ingress_policing_rate", "ingress_policing_burst"],
    Port: ["qos"],
    QoS: ["type", "other_config", "queues", "external_ids"],
    Queue: ["other_config", "external_ids"],
  },
  vif: plan,
  examples: (ctx) => [
    {
      title: "a VIF whose policy marks DSCP 26 and limits egress (userspace datapath: meter 65536 + ofport)",
      flows: on(
        ctx.host.integrationBridge,
        qosFlows(DocPort.tap, { dscp: 26, egress: { kbps: 10_000, burstKb: 8_000 } }, true, ctx.next()),
      ),
    },
  ],
};
