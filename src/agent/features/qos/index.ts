// The QoS extension, as the extension loader takes it: a module exporting createFeature(api).
import type { ExtensionApi } from "../../extensions/api.ts";
import type { Feature } from "../../pipeline/feature.ts";
import { qos } from "./feature.ts";

export function createFeature(_api: ExtensionApi): Feature {
  return qos;
}

export { METER_BASE, QOS_TABLE, qosFlows } from "./feature.ts";
