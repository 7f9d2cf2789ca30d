/**
 * QoS in OVSDB, as operation builders from the rows as they are (Neutron's OVS QoS driver, ovs_lib.py):
 *   - from the VM (egress), kernel datapath: Interface.ingress_policing_rate (kbit/s) and _burst (kbit);
 *   - towards the VM (ingress): a QoS row on the VIF's Port — linux-htb with queue 0 limited to the rate
 *     (bit/s; burst in bits) for Linux devices, egress-policer (cir in bytes/s, cbs in bytes) for DPDK
 *     ports, the only QoS types those devices have (netdev-linux.c, netdev-dpdk.c).
 * The QoS and Queue rows the agent makes carry external_ids weir-interface=<iface>; rows without it are
 * someone else's, which it replaces on a port whose policy says otherwise but never edits.
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

/** Interface.ingress_policing_rate/burst as wanted (0/0: no limit); [] when they already are. */
export function policingOperations(ops: Ops, rows: VifRows, limit: Limit | undefined): Operation[] {
  const rate = limit?.kbps ?? 0;
  const burst = limit?.burstKb ?? 0;
  const { iface } = rows;
  if (iface.ingress_policing_rate === rate && iface.ingress_policing_burst === burst) return [];
  return [
    ops.update("Interface", [["_uuid", "==", iface._uuid]], {
      ingress_policing_rate: rate,
      ingress_policing_burst: burst,
    }),
  ];
}

/** The Port's QoS row as wanted (undefined: none of the agent's); [] when it already is. */
export function portQosOperations(ops: Ops, rows: VifRows, want: QosRowWant | undefined): Operation[] {
  const { port, iface } = rows;
  const current = port.qos ? rows.get("QoS", port.qos) : undefined;
  const ours = current !== undefined && current.external_ids[WeirKeys.qosInterface] === iface.name;
  const portWhere = [["_uuid", "==", port._uuid]] as const;
  if (want === undefined) return ours ? [ops.update("Port", portWhere, { qos: null })] : [];
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

function sameMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
