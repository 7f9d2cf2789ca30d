/**
 * One consistent look at the replicated OVSDB tables, indexed by name, taken at the start of each agent
 * pass (the cache changes underneath as updates arrive; a pass works on what it saw).
 */
import type { BridgeRow, InterfaceRow, OvsdbCache, PortRow, VswitchTables } from "../ovsdb/index.ts";
import type { InterfaceView } from "./vifs.ts";

export type VswitchCache = OvsdbCache<VswitchTables>;

/** The columns the agent replicates: enough for bridges, ports, VIFs and tunnels, nothing chatty. */
export const replicaSpec = {
  Open_vSwitch: ["bridges", "external_ids"],
  Bridge: ["name", "ports", "fail_mode", "datapath_type", "external_ids", "other_config", "controller"],
  Port: ["name", "interfaces", "tag", "other_config", "external_ids"],
  Interface: ["name", "type", "ofport", "external_ids", "options", "error"],
} as const;

export interface PortEntry {
  readonly port: PortRow;
  readonly iface: InterfaceRow | undefined;
}

export class OvsSnapshot {
  readonly #bridges = new Map<string, BridgeRow>();
  /** bridge name → port name → entry */
  readonly #ports = new Map<string, Map<string, PortEntry>>();

  constructor(cache: VswitchCache) {
    const portsByUuid = new Map<string, PortRow>();
    for (const port of cache.rows("Port")) portsByUuid.set(port._uuid, port);
    for (const bridge of cache.rows("Bridge")) {
      this.#bridges.set(bridge.name, bridge);
      const ports = new Map<string, PortEntry>();
      for (const uuid of bridge.ports) {
        const port = portsByUuid.get(uuid);
        if (port === undefined) continue;
        const iface = port.interfaces.length === 1 ? cache.get("Interface", port.interfaces[0]!) : undefined;
        ports.set(port.name, { port, iface });
      }
      this.#ports.set(bridge.name, ports);
    }
  }

  bridge(name: string): BridgeRow | undefined {
    return this.#bridges.get(name);
  }

  ports(bridge: string): ReadonlyMap<string, PortEntry> {
    return this.#ports.get(bridge) ?? new Map();
  }

  /** The port's OpenFlow number, if OVS has assigned a usable one. */
  ofport(bridge: string, port: string): number | undefined {
    const ofport = this.#ports.get(bridge)?.get(port)?.iface?.ofport;
    return ofport !== null && ofport !== undefined && ofport > 0 ? ofport : undefined;
  }

  /** The interfaces on a bridge as VIF classification sees them. */
  interfaceViews(bridge: string): InterfaceView[] {
    const views: InterfaceView[] = [];
    for (const { port, iface } of this.ports(bridge).values()) {
      if (iface === undefined) continue;
      views.push({
        name: iface.name,
        uuid: iface._uuid,
        portName: port.name,
        type: iface.type,
        ofport: iface.ofport,
        externalIds: iface.external_ids,
        tag: port.tag,
        portOtherConfig: port.other_config,
      });
    }
    return views;
  }
}
