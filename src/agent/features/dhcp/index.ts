// The DHCP extension, as the extension loader takes it (extensions/load.ts ExtensionModule). It leaves
// nothing in OVSDB: its flows and meters go with the swap that follows its removal.
import type { ExtensionApi } from "../../extensions/api.ts";
import type { Feature } from "../../pipeline/feature.ts";
import { dhcpFeature } from "./feature.ts";

export function createFeature(_api: ExtensionApi): Feature {
  return dhcpFeature();
}

export { DHCP_METER_BASE, DHCP_TABLE } from "./flows.ts";
