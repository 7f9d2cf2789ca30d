/**
 * The agent's view of its switch's database: the replica (OvsdbCache) plus the indexes it lacks — which
 * bridge a port is on, its interface, ports by name — kept current from the replica's change events, so
 * that a pass looks up what changed instead of re-indexing every row (libovsdb's cache indexes, the same
 * idea). `apply` also says which ports and bridges each batch of events touched.
 */
import type {
  BridgeRow,
  CacheEvent,
  InterfaceRow,
  OvsdbCache,
  PortRow,
  VswitchTables,
} from "../../ovsdb/index.ts";
import type { ReplicaColumns } from "../pipeline/feature.ts";

export type VswitchCache = OvsdbCache<VswitchTables>;

/** The columns the agent itself replicates: bridges, ports, VIFs and tunnels, nothing chatty. */
const agentColumns = {
  Bridge: ["name", "ports", "fail_mode", "datapath_type", "external_ids", "other_config", "controller"],
  Port: ["name", "interfaces", "tag", "other_config"],
  Interface: ["name", "type", "ofport", "external_ids", "options"],
} as const;

/** The replica spec: the agent's columns and every feature's. */
export function replicaSpec(features: readonly ReplicaColumns[]): Record<string, string[]> {
  const spec: Record<string, Set<string>> = {};
  for (const columns of [agentColumns as ReplicaColumns, ...features]) {
    for (const [table, names] of Object.entries(columns)) {
      const set = spec[table] ?? new Set<string>();
      for (const name of names ?? []) set.add(name);
      spec[table] = set;
    }
  }
  return Object.fromEntries(Object.entries(spec).map(([table, names]) => [table, [...names]]));
}

export interface PortEntry {
  readonly port: PortRow;
  readonly iface: InterfaceRow | undefined;
}

export interface PortRef {
  readonly bridge: string;
  readonly name: string;
}

/** What one batch of replica events touched. */
export interface ViewChanges {
  /** Ports whose Port, Interface (or QoS/Queue) rows changed, that appeared, or that went away. */
  readonly ports: readonly PortRef[];
  /** Bridges that appeared, went away, or whose name, fail_mode or datapath changed. */
  readonly bridges: ReadonlySet<string>;
}

export class OvsView {
  readonly cache: VswitchCache;
  readonly #bridgeByName = new Map<string, string>();
  readonly #bridgeOfPort = new Map<string, string>();
  readonly #portsByBridge = new Map<string, Map<string, string>>();
  readonly #portOfIface = new Map<string, string>();
  /** Port names by uuid, also of ports the replica no longer has (a batch deletes before it tells). */
  readonly #portName = new Map<string, string>();
  readonly #portOfQos = new Map<string, string>();
  readonly #qosOfQueue = new Map<string, string>();

  constructor(cache: VswitchCache) {
    this.cache = cache;
    for (const port of cache.rows("Port")) this.#indexPort(undefined, port);
    for (const bridge of cache.rows("Bridge")) this.#indexBridge(undefined, bridge, new Set(), new Map());
    if (this.#replicates("QoS")) for (const qos of cache.rows("QoS")) this.#indexQos(undefined, qos);
  }

  /** Updates the indexes from the replica's events (call from its subscriber); returns what they touched. */
  apply(events: readonly CacheEvent<VswitchTables>[]): ViewChanges {
    const touched = new Set<string>();
    const gone = new Map<string, PortRef>();
    const bridges = new Set<string>();
    const before = (portUuid: string) => {
      const bridge = this.#bridgeOfPort.get(portUuid);
      const name = this.cache.get("Port", portUuid)?.name ?? this.#nameOf(portUuid);
      if (bridge !== undefined && name !== undefined) gone.set(portUuid, { bridge, name });
    };
    // Ports first (names, interfaces), then bridges (membership), then what hangs off ports.
    for (const e of events) {
      if (e.table !== "Port") continue;
      if (e.type !== "insert") before(e.uuid);
      this.#indexPort(e.type === "insert" ? undefined : e.old, e.type === "delete" ? undefined : e.new);
      touched.add(e.uuid);
    }
    for (const e of events) {
      if (e.table !== "Bridge") continue;
      const name = e.type === "delete" ? e.old.name : e.new.name;
      // A bridge's own settings, or its coming and going, concern the agent; its port list is ports' news.
      if (
        e.type !== "modify" ||
        e.old.name !== e.new.name ||
        e.old.fail_mode !== e.new.fail_mode ||
        e.old.datapath_type !== e.new.datapath_type
      ) {
        bridges.add(name);
        if (e.type !== "insert") bridges.add(e.old.name);
      }
      this.#indexBridge(
        e.type === "insert" ? undefined : e.old,
        e.type === "delete" ? undefined : e.new,
        touched,
        gone,
      );
    }
    for (const e of events) {
      if (e.table === "Interface") {
        const port = this.#portOfIface.get(e.uuid);
        if (port !== undefined) touched.add(port);
      } else if (e.table === "QoS") {
        this.#indexQos(e.type === "insert" ? undefined : e.old, e.type === "delete" ? undefined : e.new);
        const port = this.#portOfQos.get(e.uuid);
        if (port !== undefined) touched.add(port);
      } else if (e.table === "Queue") {
        const qos = this.#qosOfQueue.get(e.uuid);
        const port = qos === undefined ? undefined : this.#portOfQos.get(qos);
        if (port !== undefined) touched.add(port);
      }
    }
    const ports: PortRef[] = [];
    for (const uuid of touched) {
      const bridge = this.#bridgeOfPort.get(uuid);
      const name = this.cache.get("Port", uuid)?.name;
      const was = gone.get(uuid);
      if (bridge !== undefined && name !== undefined) ports.push({ bridge, name });
      if (was !== undefined && (was.bridge !== bridge || was.name !== name)) ports.push(was);
    }
    return { ports, bridges };
  }

  bridge(name: string): BridgeRow | undefined {
    const uuid = this.#bridgeByName.get(name);
    return uuid === undefined ? undefined : this.cache.get("Bridge", uuid);
  }

  /** The port of that name on that bridge, with its interface when it has exactly one. */
  port(bridge: string, name: string): PortEntry | undefined {
    const uuid = this.#portsByBridge.get(bridge)?.get(name);
    const port = uuid === undefined ? undefined : this.cache.get("Port", uuid);
    if (port === undefined) return undefined;
    const iface = port.interfaces.length === 1 ? this.cache.get("Interface", port.interfaces[0]!) : undefined;
    return { port, iface };
  }

  /** Every port's name on a bridge. */
  portNames(bridge: string): string[] {
    return [...(this.#portsByBridge.get(bridge)?.keys() ?? [])];
  }

  /** The port's OpenFlow number, if OVS has assigned a usable one. */
  ofport(bridge: string, name: string): number | undefined {
    const ofport = this.port(bridge, name)?.iface?.ofport;
    return ofport !== null && ofport !== undefined && ofport > 0 ? ofport : undefined;
  }

  #nameOf(portUuid: string): string | undefined {
    return this.#portName.get(portUuid);
  }

  #replicates(table: keyof VswitchTables & string): boolean {
    try {
      this.cache.size(table);
      return true;
    } catch {
      return false;
    }
  }

  #indexPort(old: PortRow | undefined, row: PortRow | undefined): void {
    for (const iface of old?.interfaces ?? []) this.#portOfIface.delete(iface);
    if (old?.qos) this.#portOfQos.delete(old.qos);
    const bridge = this.#bridgeOfPort.get((row ?? old)!._uuid);
    if (bridge !== undefined && old !== undefined && old.name !== row?.name) {
      const byName = this.#portsByBridge.get(bridge);
      if (byName?.get(old.name) === old._uuid) byName.delete(old.name);
    }
    if (row === undefined) {
      this.#bridgeOfPort.delete(old!._uuid);
      this.#portName.delete(old!._uuid);
      return;
    }
    this.#portName.set(row._uuid, row.name);
    for (const iface of row.interfaces) this.#portOfIface.set(iface, row._uuid);
    if (row.qos) this.#portOfQos.set(row.qos, row._uuid);
    if (bridge !== undefined) this.#portsByBridge.get(bridge)?.set(row.name, row._uuid);
  }

  /** Membership changes only: a port added to a bridge of 10,000 costs one set difference, no re-index. */
  #indexBridge(
    old: BridgeRow | undefined,
    row: BridgeRow | undefined,
    touched: Set<string>,
    gone: Map<string, PortRef>,
  ): void {
    const renamed = old !== undefined && old.name !== row?.name;
    const kept = renamed || old === undefined ? new Set<string>() : new Set(old.ports);
    const byName =
      (renamed ? undefined : this.#portsByBridge.get(row?.name ?? "")) ?? new Map<string, string>();
    if (old !== undefined) {
      const next = renamed ? new Set<string>() : new Set(row?.ports ?? []);
      for (const uuid of old.ports) {
        if (next.has(uuid)) continue;
        kept.delete(uuid);
        touched.add(uuid);
        const name = this.#portName.get(uuid);
        if (name !== undefined && !gone.has(uuid)) gone.set(uuid, { bridge: old.name, name });
        if (this.#bridgeOfPort.get(uuid) === old.name) this.#bridgeOfPort.delete(uuid);
        if (name !== undefined && byName.get(name) === uuid) byName.delete(name);
      }
      if (renamed || row === undefined) {
        this.#bridgeByName.delete(old.name);
        this.#portsByBridge.delete(old.name);
      }
    }
    if (row === undefined) return;
    this.#bridgeByName.set(row.name, row._uuid);
    for (const uuid of row.ports) {
      if (kept.has(uuid)) continue;
      touched.add(uuid);
      this.#bridgeOfPort.set(uuid, row.name);
      const port = this.cache.get("Port", uuid);
      if (port !== undefined) byName.set(port.name, uuid);
    }
    this.#portsByBridge.set(row.name, byName);
  }

  #indexQos(old: VswitchTables["QoS"] | undefined, row: VswitchTables["QoS"] | undefined): void {
    for (const queue of old?.queues.values() ?? []) this.#qosOfQueue.delete(queue);
    for (const queue of row?.queues.values() ?? []) this.#qosOfQueue.set(queue, row!._uuid);
  }
}
