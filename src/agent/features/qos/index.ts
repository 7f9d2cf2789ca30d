// The QoS extension, as the extension loader takes it: a module exporting createFeature(api), and the
// cleanup the agent runs once qos has left the configuration (extensions/load.ts ExtensionModule).
import { selectRows, transact, type VswitchDb } from "../../../ovs/index.ts";
import type { ExtensionApi } from "../../extensions/api.ts";
import type { Feature } from "../../pipeline/feature.ts";
import { qos } from "./feature.ts";
import { leftoverOperations } from "./ovsdb.ts";

export function createFeature(_api: ExtensionApi): Feature {
  return qos;
}

/** Removes the QoS and Queue rows qos made, the Port.qos references to them and the policing it set. */
export async function cleanup(db: VswitchDb): Promise<void> {
  const { ops } = db;
  const operations = leftoverOperations(ops, {
    qos: await selectRows(db, "QoS", ops.select("QoS", [], ["_uuid", "external_ids", "queues"])),
    queues: await selectRows(db, "Queue", ops.select("Queue", [], ["_uuid", "external_ids"])),
    ports: await selectRows(db, "Port", ops.select("Port", [], ["_uuid", "qos"])),
    interfaces: await selectRows(
      db,
      "Interface",
      ops.select(
        "Interface",
        [],
        ["_uuid", "external_ids", "ingress_policing_rate", "ingress_policing_burst"],
      ),
    ),
  });
  if (operations.length > 0) await transact(db, operations);
}

export { METER_BASE, QOS_TABLE, qosFlows } from "./feature.ts";
