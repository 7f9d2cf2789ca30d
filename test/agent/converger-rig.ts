// The converger without OVS, for its unit tests: a scripted switch database (test/support/fake-switch.ts)
// whose transactions echo back through the replica as ovsdb-server's would, flow sinks that keep the
// desired flows and record each bundle, and meter sinks over the real BridgeMeters with a scripted
// connection. The switch can be made to refuse bundles or meters, and the bridges to be out of sync.
import type { Feature } from "../../src/agent/index.ts";
import { parseAgentConfig } from "../../src/agent/index.ts";
import {
  ControlState,
  Converger,
  coreFeatures,
  type FlowSink,
  type LoadedFeature,
  LocalVlans,
  type MeterSink,
  OvsView,
  Pipeline,
  replicaSpec,
  StatusReports,
  TUNNEL_NETWORKS_KEY,
  TUNNEL_REMOTE_HOST_KEY,
} from "../../src/agent/internal.ts";
import { silentLog } from "../../src/base/index.ts";
import {
  actions as A,
  BridgeMeters,
  BundleError,
  DesiredFlows,
  type Flow,
  type FlowOwner,
  flow,
  type Meter,
  MeterModError,
  meter,
  OpenFlowError,
  ownerId,
} from "../../src/openflow/index.ts";
import { FakeSwitch, type Step } from "../support/fake-switch.ts";
import { details, HOST, uuid } from "./fixtures.ts";

export const N1 = uuid(0x100);

/** This host's agent configuration: tunnelling (vxlan, l2-population, ARP responder), plus `ovs` lines. */
function hostConfig(ovs: readonly string[] = [], firewall: "noop" | "openvswitch" = "noop") {
  return parseAgentConfig(
    [
      "[DEFAULT]",
      `host = ${HOST}`,
      "[ovs]",
      "local_ip = 198.18.0.1",
      "datapath_type = netdev",
      ...ovs,
      "[agent]",
      "tunnel_types = vxlan",
      "arp_responder = true",
      // The rig's ports have port security off: with noop the firewall adds no flow for them, so these
      // tests see L2's writes alone (firewall-converger.test.ts has the firewall's).
      "[securitygroup]",
      `firewall_driver = ${firewall}`,
    ].join("\n"),
  );
}

export const tunnelConfig = hostConfig();

/** The same host running the firewall (firewall-converger.test.ts). */
export const firewallConfig = hostConfig([], "openvswitch");

/** The same host with a provider network mapped: physnet1 on br-phys. */
export const providerConfig = hostConfig(["bridge_mappings = physnet1:br-phys"]);

export const GUARD_CLASS = 0x80;
export const GUARD_TABLE = 120;
export const GUARD_METER_BASE = 0x20000;

/**
 * An extension with one flow per wired VIF (and a meter per VIF when `metered`); it throws while
 * `broken`. Its owners are {GUARD_CLASS, "vif:<iface>"} when it is the rig's first extension.
 */
export function guard(state: { broken: boolean; metered?: boolean }): Feature {
  return {
    name: "guard",
    summary: "a flow (and a meter) per wired VIF",
    tables: [
      { bridge: "int", number: GUARD_TABLE, name: "GUARD", purpose: "a test's", miss: (ctx) => ctx.next() },
    ],
    stage: { kind: "filter", table: GUARD_TABLE },
    meterIds: { min: GUARD_METER_BASE, max: GUARD_METER_BASE + 0xffff },
    vif(vif, ctx) {
      if (state.broken) throw new Error("transient failure");
      if (vif.state !== "wired") return undefined;
      const id = GUARD_METER_BASE + vif.ofport;
      const actions = state.metered ? [A.meter(id), ...ctx.next()] : ctx.next();
      return {
        flows: new Map([
          [
            ctx.host.integrationBridge,
            [flow({ table: GUARD_TABLE, priority: 10, match: { in_port: vif.ofport }, actions })],
          ],
        ]),
        meters: state.metered
          ? new Map([[ctx.host.integrationBridge, [meter({ id, unit: "kbps", bands: [{ rate: 1000 }] })]]])
          : new Map(),
      };
    },
  };
}

export const guardOwner = (iface: string) => ({ ownerClass: GUARD_CLASS, key: `vif:${iface}` });

export type Recorded =
  | Step
  | { readonly kind: "status"; readonly up: readonly string[]; readonly down: readonly string[] }
  | {
      readonly kind: "meters";
      readonly bridge: string;
      readonly upserts: number[];
      readonly deletes: number[];
    };

/** A bridge's flows as the converger sees them, recording every bundle it would send. */
export class FakeFlows implements FlowSink {
  readonly desired = new DesiredFlows();
  /** Whether the switch holds the desired flows (false: a repair is pending). */
  #inSync = true;
  /** A bundle containing a flow of an owner this says yes to is refused, as OVS refuses a bundle. */
  refuse: ((owner: FlowOwner, flows: readonly Flow[]) => boolean) | undefined;
  readonly #listeners = new Set<() => void>();
  readonly #bridge: string;
  readonly #steps: Recorded[];

  constructor(bridge: string, steps: Recorded[]) {
    this.#bridge = bridge;
    this.#steps = steps;
  }

  get inSync(): boolean {
    return this.#inSync;
  }

  /** Sets whether the bridge is in sync; coming back in sync tells the listeners, as a repair does. */
  setInSync(value: boolean): void {
    this.#inSync = value;
    if (value) for (const l of this.#listeners) l();
  }

  onInSync(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async apply(changes: Iterable<readonly [FlowOwner, readonly Flow[]]>) {
    const list = [...changes].sort(([, a], [, b]) => Number(a.length > 0) - Number(b.length > 0));
    if (list.some(([owner, flows]) => flows.length > 0 && this.refuse?.(owner, flows)))
      throw new BundleError("bundle refused", [
        new OpenFlowError(12, 2, new Uint8Array(0)), // METER_MOD_FAILED/INVALID_METER
      ]);
    for (const [owner, flows] of list) {
      const conflict = this.desired.conflictOf(owner, flows);
      if (
        conflict !== undefined &&
        !list.some(([o, f]) => f.length === 0 && ownerId(o) === ownerId(conflict.owners[0]))
      )
        throw conflict;
    }
    let adds = 0;
    let removes = 0;
    const owners: string[] = [];
    for (const [owner, flows] of list) {
      const delta = this.desired.replace(owner, flows);
      adds += delta.upserts.length;
      removes += delta.removals.length;
      if (delta.upserts.length + delta.removals.length > 0) owners.push(ownerId(owner));
    }
    if (adds + removes > 0) this.#steps.push({ kind: "flows", bridge: this.#bridge, owners, adds, removes });
    return { added: adds, modified: 0, deleted: removes, unchanged: 0, durationMs: 0 };
  }
}

/** A bridge's meters: the real BridgeMeters, over a connection that records meter mods (or refuses them). */
export class FakeMeters implements MeterSink {
  readonly meters = new BridgeMeters();
  /** Meter ids on the "switch". */
  readonly onSwitch = new Map<number, Meter>();
  /** A meter mod for an id this says yes to is refused once per call (BAD_RATE), or throws `transport`. */
  refuse: ((id: number) => "refused" | "transport" | undefined) | undefined;
  readonly #connection: { meterMod(command: number, m: Meter | number): Promise<void> };
  readonly #bridge: string;
  readonly #steps: Recorded[];

  constructor(bridge: string, steps: Recorded[]) {
    this.#bridge = bridge;
    this.#steps = steps;
    this.#connection = {
      meterMod: async (command: number, m: Meter | number) => {
        const id = typeof m === "number" ? m : m.id;
        const refusal = this.refuse?.(id);
        if (refusal === "transport") throw new Error("switch busy");
        if (refusal === "refused")
          throw new MeterModError("add", id, new OpenFlowError(12, 6, new Uint8Array(0))); // METER_MOD_FAILED/BAD_RATE
        if (command === 2 /* delete */) this.onSwitch.delete(id);
        else if (typeof m !== "number") this.onSwitch.set(id, m);
      },
    };
  }

  metersOf(owner: FlowOwner): readonly Meter[] {
    return this.meters.metersOf(ownerId(owner));
  }

  replace(owner: FlowOwner, list: readonly Meter[]) {
    return this.meters.replace(ownerId(owner), list);
  }

  async upsert(delta: Parameters<MeterSink["upsert"]>[0]): Promise<void> {
    await this.meters.applyUpserts(this.#connection as never, delta);
    const ids = [...delta.adds, ...delta.modifies].map((m) => m.id);
    if (ids.length > 0) this.#steps.push({ kind: "meters", bridge: this.#bridge, upserts: ids, deletes: [] });
  }

  async delete(delta: Parameters<MeterSink["delete"]>[0]): Promise<void> {
    await this.meters.applyDeletes(this.#connection as never, delta);
    const ids = delta.deletes.map((m) => m.id);
    if (ids.length > 0) this.#steps.push({ kind: "meters", bridge: this.#bridge, upserts: [], deletes: ids });
  }
}

export interface Rig {
  readonly sw: FakeSwitch;
  readonly converger: Converger;
  readonly control: ControlState;
  readonly steps: Recorded[];
  readonly detailsAsked: string[][];
  readonly flows: { readonly tun: FakeFlows; readonly int: FakeFlows };
  readonly meters: { readonly tun: FakeMeters; readonly int: FakeMeters };
  readonly pipeline: Pipeline;
  /** How often the converger asked for bridges and patch ports to be repaired. */
  readonly repairs: { count: number };
  readonly tunnelPorts: { ensured: string[]; deleted: string[] };
  plug(name: string, portId: string, ofport: number): void;
  setOfport(name: string, ofport: number): void;
}

export function rig(options: { extensions?: Feature[]; config?: typeof tunnelConfig } = {}): Rig {
  const config = options.config ?? tunnelConfig;
  const steps: Recorded[] = [];
  const features: LoadedFeature[] = [
    ...coreFeatures(config).map((feature) => ({
      feature,
      ownerClass: feature.ownerClass!,
      extension: false,
    })),
    ...(options.extensions ?? []).map((feature, i) => ({ feature, ownerClass: 0x80 + i, extension: true })),
  ];
  const pipeline = Pipeline.build(features);
  const sw = new FakeSwitch(
    replicaSpec(features.flatMap((f) => (f.feature.replica ? [f.feature.replica] : []))),
    steps as Step[],
  );
  const o = sw.db.ops;
  sw.transact([
    o.insert(
      "Interface",
      { name: "patch-tun", type: "patch", ofport: 1, options: { peer: "patch-int" } },
      "i1",
    ),
    o.insert("Port", { name: "patch-tun", interfaces: ["i1"] }, "p1"),
    o.insert("Bridge", { name: "br-int", ports: ["p1"], fail_mode: "secure", datapath_type: "netdev" }, "b1"),
    o.insert(
      "Interface",
      { name: "patch-int", type: "patch", ofport: 1, options: { peer: "patch-tun" } },
      "i2",
    ),
    o.insert("Port", { name: "patch-int", interfaces: ["i2"] }, "p2"),
    o.insert("Bridge", { name: "br-tun", ports: ["p2"], fail_mode: "secure", datapath_type: "netdev" }, "b2"),
  ]);
  for (const bridge of Object.values(config.bridgeMappings)) {
    const br = sw.find("Bridge", "br-int")!;
    sw.transact([
      o.insert(
        "Interface",
        { name: `int-${bridge}`, type: "patch", ofport: 2, options: { peer: `phy-${bridge}` } },
        "i3",
      ),
      o.insert("Port", { name: `int-${bridge}`, interfaces: ["i3"] }, "p3"),
      o.mutate("Bridge", [["_uuid", "==", br._uuid]], [["ports", "insert", ["p3"]]]),
      o.insert(
        "Interface",
        { name: `phy-${bridge}`, type: "patch", ofport: 1, options: { peer: `int-${bridge}` } },
        "i4",
      ),
      o.insert("Port", { name: `phy-${bridge}`, interfaces: ["i4"] }, "p4"),
      o.insert("Bridge", { name: bridge, ports: ["p4"], fail_mode: "secure", datapath_type: "netdev" }, "b4"),
    ]);
  }
  const view = new OvsView(sw.cache);
  const control = new ControlState(HOST);
  const detailsAsked: string[][] = [];
  const status = new StatusReports(
    {
      deviceStatus: async (up, down) => {
        steps.push({ kind: "status", up: [...up], down: [...down] });
        return { updated: [...up, ...down], failed: [] };
      },
    },
    silentLog,
    () => true,
  );
  const flows = { tun: new FakeFlows("br-tun", steps), int: new FakeFlows("br-int", steps) };
  const meters = { tun: new FakeMeters("br-tun", steps), int: new FakeMeters("br-int", steps) };
  const physical = Object.values(config.bridgeMappings).map(
    (bridge) => [bridge, new FakeFlows(bridge, steps), new FakeMeters(bridge, steps)] as const,
  );
  const repairs = { count: 0 };
  const tunnelPorts = { ensured: [] as string[], deleted: [] as string[] };
  const converger = new Converger({
    config,
    pipeline,
    log: silentLog,
    db: sw.db,
    view,
    switch: {
      flows: new Map<string, FlowSink>([
        ...physical.map(([bridge, f]) => [bridge, f] as const),
        ["br-tun", flows.tun],
        ["br-int", flows.int],
      ]),
      meters: new Map<string, MeterSink>([
        ...physical.map(([bridge, , m]) => [bridge, m] as const),
        ["br-tun", meters.tun],
        ["br-int", meters.int],
      ]),
      repairBridges: async () => {
        repairs.count++;
        return false;
      },
      // As host/tunnel-ports.ts would, and OVS then gives the port an ofport.
      ensureTunnelPort: async (want) => {
        tunnelPorts.ensured.push(want.name);
        const ids = {
          [TUNNEL_NETWORKS_KEY]: want.networks.join(","),
          [TUNNEL_REMOTE_HOST_KEY]: want.remoteHost,
        };
        const existing = sw.find("Interface", want.name);
        if (existing !== undefined) {
          sw.transact([o.update("Interface", [["_uuid", "==", existing._uuid]], { external_ids: ids })]);
          return;
        }
        const br = sw.find("Bridge", "br-tun")!;
        sw.transact([
          o.insert(
            "Interface",
            { name: want.name, type: want.type, options: { remote_ip: want.remoteIp }, external_ids: ids },
            "ti",
          ),
          o.insert("Port", { name: want.name, interfaces: ["ti"] }, "tp"),
          o.mutate("Bridge", [["_uuid", "==", br._uuid]], [["ports", "insert", ["tp"]]]),
        ]);
        const iface = sw.find("Interface", want.name)!;
        sw.transact([
          o.update("Interface", [["_uuid", "==", iface._uuid]], { ofport: 100 + tunnelPorts.ensured.length }),
        ]);
      },
      deleteTunnelPort: async (name) => {
        tunnelPorts.deleted.push(name);
        const br = sw.find("Bridge", "br-tun")!;
        const port = sw.find("Port", name)!;
        sw.transact([
          o.mutate("Bridge", [["_uuid", "==", br._uuid]], [["ports", "delete", ["uuid", port._uuid]]]),
        ]);
      },
    },
    vlans: new LocalVlans(),
    control,
    server: {
      deviceDetails: async (ids) => {
        detailsAsked.push([...ids]);
        return { devices: ids.map((id) => details(id, N1)), failed: [] };
      },
      status,
      isOnline: () => true,
    },
    isSwapped: () => true,
  });
  sw.cache.subscribe((events) => converger.onOvsdbEvents(events));
  const plug = (name: string, portId: string, ofport: number) => {
    const br = sw.find("Bridge", "br-int")!;
    sw.transact([
      o.insert(
        "Interface",
        {
          name,
          ofport,
          external_ids: {
            "iface-id": portId,
            "attached-mac": "fa:16:3e:00:00:01",
            "iface-status": "active",
            "vm-uuid": uuid(0xdd),
          },
        },
        "vif_i",
      ),
      o.insert("Port", { name, interfaces: ["vif_i"] }, "vif_p"),
      o.mutate("Bridge", [["_uuid", "==", br._uuid]], [["ports", "insert", ["vif_p"]]]),
    ]);
  };
  const setOfport = (name: string, ofport: number) => {
    const iface = sw.find("Interface", name)!;
    sw.transact([o.update("Interface", [["_uuid", "==", iface._uuid]], { ofport })]);
  };
  return {
    sw,
    converger,
    control,
    steps,
    detailsAsked,
    flows,
    meters,
    pipeline,
    repairs,
    tunnelPorts,
    plug,
    setOfport,
  };
}

/** The steps as short labels: "flows br-int +1 -0", "ovsdb Port.update,…", "status up", "meters +65541". */
export function labels(steps: readonly Recorded[]): string[] {
  return steps.map((s) => {
    if (s.kind === "flows") return `flows ${s.bridge} +${s.adds} -${s.removes}`;
    if (s.kind === "status") return `status${s.up.length ? " up" : ""}${s.down.length ? " down" : ""}`;
    if (s.kind === "meters")
      return `meters ${s.bridge}${s.upserts.map((id) => ` +${id}`).join("")}${s.deletes.map((id) => ` -${id}`).join("")}`;
    return `ovsdb ${s.operations.map((op) => `${op.table}.${op.op}`).join(",")}`;
  });
}

/** Lets every pass that is due run (passes are scheduled on setImmediate). */
export async function settle(r: Rig): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await r.converger.idle();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
