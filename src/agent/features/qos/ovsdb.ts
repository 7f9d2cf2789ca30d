/**
 * QoS in OVSDB, as operation builders from the rows as they are (Neutron's OVS QoS driver, ovs_lib.py):
 *   - from the VM (egress), kernel datapath: Interface.ingress_policing_rate (kbit/s) and _burst (kbit);
 *   - towards the VM (ingress): a QoS row on the VIF's Port — linux-htb with queue 0 limited to the rate
 *     (bit/s; burst in bits) for Linux devices, egress-policer (cir in bytes/s, cbs in bytes) for DPDK
 *     ports, the only QoS types those devices have (netdev-linux.c, netdev-dpdk.c).
 * The QoS and Queue rows the agent makes carry external_ids weir-interface=<iface>; rows without it are
 * someone else's, which it replaces on a port whose policy says otherwise but never edits. Its own rows
 * it deletes when they go (QoS and Queue are root tables: OVSDB keeps unreferenced rows). Policing it
 * set carries Interface external_ids weir-policing=<rate>/<burst>, so that a VIF gone dead, or a host
 * whose agent no longer runs qos, loses the agent's limits and keeps anyone else's.
 */

import { WeirKeys } from "../../../ovs/index.ts";
import type { Operation, OperationBuilder, VswitchTables } from "../../../ovsdb/index.ts";
import type { VifRows } from "../../pipeline/feature.ts";
import type { Limit } from "./rules.ts";

type Ops = OperationBuilder<VswitchTables>;

const dpdkTypes = new Set(["dpdk", "dpdkvhostuser", "dpdkvhostuserclient"]);

export interface QosRowWant {
  readonly type: string;
  readonly otherConfig: Readonly<Record<string, string>>;
  /** Queue 0's other_config, for types with queues. */
  readonly queue?: Readonly<Record<string, string>>;
}

/** The QoS row that limits traffic towards a VIF to `limit` on this interface type. */
export function ingressQos(ifaceType: string, limit: Limit): QosRowWant {
  if (dpdkTypes.has(ifaceType)) {
    return {
      type: "egress-policer",
      otherConfig: {
        cir: String(Math.floor((limit.kbps * 1000) / 8)),
        ...(limit.burstKb > 0 ? { cbs: String(Math.floor((limit.burstKb * 1000) / 8)) } : {}),
      },
    };
  }
  const rate = String(limit.kbps * 1000);
  return {
    type: "linux-htb",
    otherConfig: { "max-rate": rate },
    queue: { "max-rate": rate, ...(limit.burstKb > 0 ? { burst: String(limit.burstKb * 1000) } : {}) },
  };
}

/**
 * Interface.ingress_policing_rate/burst as wanted (0/0: no limit), tagged WeirKeys.qosPolicing while the
 * agent's limit is set; [] when they already are. A VIF's policing is the agent's while QoS applies to it
 * (as in Neutron): a limit of someone else's goes when the policy has none. Policing set before the tag
 * existed gets the tag here, once, without being rewritten.
 */
export function policingOperations(ops: Ops, rows: VifRows, limit: Limit | undefined): Operation[] {
  const rate = limit?.kbps ?? 0;
  const burst = limit?.burstKb ?? 0;
  const tag = limit === undefined ? undefined : policingTag(rate, burst);
  const { iface } = rows;
  const where = [["_uuid", "==", iface._uuid]] as const;
  const operations: Operation[] = [];
  if (iface.ingress_policing_rate !== rate || iface.ingress_policing_burst !== burst)
    operations.push(
      ops.update("Interface", where, { ingress_policing_rate: rate, ingress_policing_burst: burst }),
    );
  if (iface.external_ids[WeirKeys.qosPolicing] !== tag)
    operations.push(
      ops.mutate("Interface", where, [
        ["external_ids", "delete", [WeirKeys.qosPolicing]],
        ...(tag === undefined ? [] : [["external_ids", "insert", { [WeirKeys.qosPolicing]: tag }] as const]),
      ]),
    );
  return operations;
}

/**
 * The policing the agent set on an interface (tagged), cleared for a VIF that QoS no longer applies to
 * (dead, or QoS removed): the values only if they are still the agent's, the tag always; [] when untagged.
 */
export function policingClearOperations(ops: Ops, iface: VswitchTables["Interface"]): Operation[] {
  const tag = iface.external_ids[WeirKeys.qosPolicing];
  if (tag === undefined) return [];
  const where = [["_uuid", "==", iface._uuid]] as const;
  const ours = tag === policingTag(iface.ingress_policing_rate, iface.ingress_policing_burst);
  return [
    ...(ours
      ? [ops.update("Interface", where, { ingress_policing_rate: 0, ingress_policing_burst: 0 })]
      : []),
    ops.mutate("Interface", where, [["external_ids", "delete", [WeirKeys.qosPolicing]]]),
  ];
}

const policingTag = (rate: number, burst: number) => `${rate}/${burst}`;

/** A VIF that QoS no longer applies to (dead): the agent's QoS row and policing gone; [] when they are. */
export function vifQosClearOperations(ops: Ops, rows: VifRows): Operation[] {
  return [...policingClearOperations(ops, rows.iface), ...portQosOperations(ops, rows, undefined)];
}

/** The Port's QoS row as wanted (undefined: none of the agent's); [] when it already is. */
export function portQosOperations(ops: Ops, rows: VifRows, want: QosRowWant | undefined): Operation[] {
  const { port, iface } = rows;
  const current = port.qos ? rows.get("QoS", port.qos) : undefined;
  const ours = current !== undefined && current.external_ids[WeirKeys.qosInterface] === iface.name;
  const portWhere = [["_uuid", "==", port._uuid]] as const;
  // QoS and Queue are root tables (vswitch.ovsschema): rows nothing refers to stay unless deleted.
  const ownQueues = ours
    ? [...current.queues.values()].filter((u) => isOurs(rows.get("Queue", u), iface.name))
    : [];
  if (want === undefined)
    return ours
      ? [
          ops.update("Port", portWhere, { qos: null }),
          ops.delete("QoS", [["_uuid", "==", current._uuid]]),
          ...ownQueues.map((u) => ops.delete("Queue", [["_uuid", "==", u]])),
        ]
      : [];
  const queueUuid = ours ? current.queues.get(0) : undefined;
  const queue = queueUuid === undefined ? undefined : rows.get("Queue", queueUuid);
  if (ours && current.type === want.type && sameMap(current.other_config, want.otherConfig)) {
    if (
      want.queue === undefined
        ? current.queues.size === 0
        : queue !== undefined && sameMap(queue.other_config, want.queue)
    )
      return [];
  }
  const tag = { [WeirKeys.qosInterface]: iface.name };
  // Named uuids are per transaction, and one transaction carries every port's changes.
  const suffix = port._uuid.replace(/-/g, "_");
  const newQueue = `weir_queue_${suffix}`;
  const newQos = `weir_qos_${suffix}`;
  if (ours) {
    // Changed in place: the port keeps its row, OVS reconfigures the qdisc once.
    const qosWhere = [["_uuid", "==", current._uuid]] as const;
    const operations: Operation[] = [];
    if (want.queue !== undefined && queue !== undefined)
      operations.push(
        ops.update("Queue", [["_uuid", "==", queue._uuid]], { other_config: { ...want.queue } }),
      );
    else if (want.queue !== undefined)
      operations.push(ops.insert("Queue", { other_config: { ...want.queue }, external_ids: tag }, newQueue));
    const queues = want.queue === undefined ? new Map() : new Map([[0, queue?._uuid ?? newQueue]]);
    operations.push(
      ops.update("QoS", qosWhere, { type: want.type, other_config: { ...want.otherConfig }, queues }),
    );
    // Queues the row no longer lists (linux-htb became egress-policer, say).
    for (const u of ownQueues)
      if (![...queues.values()].includes(u)) operations.push(ops.delete("Queue", [["_uuid", "==", u]]));
    return operations;
  }
  return [
    ...(want.queue === undefined
      ? []
      : [ops.insert("Queue", { other_config: { ...want.queue }, external_ids: tag }, newQueue)]),
    ops.insert(
      "QoS",
      {
        type: want.type,
        other_config: { ...want.otherConfig },
        queues: want.queue === undefined ? new Map() : new Map([[0, newQueue]]),
        external_ids: tag,
      },
      newQos,
    ),
    ops.update("Port", portWhere, { qos: newQos }),
  ];
}

/** What the cleanup reads: the QoS, Queue, Port and Interface rows (the columns qos uses). */
export interface QosLeftoverRows {
  readonly qos: readonly VswitchTables["QoS"][];
  readonly queues: readonly VswitchTables["Queue"][];
  readonly ports: readonly VswitchTables["Port"][];
  readonly interfaces: readonly VswitchTables["Interface"][];
}

/**
 * Everything qos made, removed, for after qos left the configuration: its QoS rows (and the Port.qos
 * references to them), its Queue rows that no other QoS row uses, and the policing it set. [] when clean.
 */
export function leftoverOperations(ops: Ops, rows: QosLeftoverRows): Operation[] {
  const tagged = (row: { external_ids: Record<string, string> }) =>
    row.external_ids[WeirKeys.qosInterface] !== undefined;
  const ours = new Set(rows.qos.filter(tagged).map((q) => q._uuid));
  const othersQueues = new Set(
    rows.qos.filter((q) => !ours.has(q._uuid)).flatMap((q) => [...q.queues.values()]),
  );
  return [
    ...rows.ports
      .filter((p) => p.qos !== null && ours.has(p.qos))
      .map((p) => ops.update("Port", [["_uuid", "==", p._uuid]], { qos: null })),
    ...[...ours].map((u) => ops.delete("QoS", [["_uuid", "==", u]])),
    ...rows.queues
      .filter((q) => tagged(q) && !othersQueues.has(q._uuid))
      .map((q) => ops.delete("Queue", [["_uuid", "==", q._uuid]])),
    ...rows.interfaces.flatMap((i) => policingClearOperations(ops, i)),
  ];
}

function isOurs(row: VswitchTables["Queue"] | undefined, iface: string): boolean {
  return row?.external_ids[WeirKeys.qosInterface] === iface;
}

function sameMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
