/**
 * The feature model: every part of the agent's pipeline — the L2 core and each extension — is a Feature.
 * A feature is data (its name, tables, bands in shared tables, stage) plus pure functions from contexts
 * to flows. It never chooses cookies or sends anything: the agent assigns its cookie class, calls it for
 * the objects that changed, checks what it returns, and installs it with everything else in the same
 * bundles, in the converger's one order — so every feature gets hitless restarts and repair for free.
 * docs/EXTENSIONS.md is the guide to this file.
 */
import type { Action, Flow, Meter } from "../../openflow/index.ts";
import type { Operation, OperationBuilder, VswitchTables } from "../../ovsdb/index.ts";
import type { DeviceDetails, FdbEntry, TunnelType } from "../../protocol/index.ts";
import type { Segment } from "../ports/local-vlans.ts";

/** Which bridges a table belongs to: br-int, br-tun, or every physical bridge of bridge_mappings. */
export type BridgeKind = "int" | "tun" | "phys";

export interface TableDecl {
  readonly bridge: BridgeKind;
  /** Pinned: never renumber a table (the previous generation's flows live in the old number). */
  readonly number: number;
  readonly name: string;
  readonly purpose: string;
  /** The actions of the table's miss flow (priority 0), which the pipeline installs as the feature's. */
  miss(ctx: FeatureContext): readonly Action[];
  /** Other features may use priority bands of this table that they declare. */
  readonly shared?: boolean;
  /**
   * Other features' flows may jump here (goto_table, resubmit, ct(table=…)); says what a frame sent here
   * gets. A feature's flows jump only to its own tables, to br-int table 0 by ctx.next(), and to
   * hand-offs: declare one only where the table's function is a service to the others too (tunnels'
   * FLOOD_TO_TUN floods whatever reaches it), never to let another feature into the middle of a stage.
   */
  readonly handOff?: string;
}

/** Priorities a feature may use in a shared table that another feature (or the pipeline) owns. */
export interface BandDecl {
  readonly bridge: BridgeKind;
  readonly table: number;
  readonly min: number;
  readonly max: number;
  readonly purpose: string;
}

/**
 * The order of stages on br-int, by what they do to a frame (seed 004): features that rewrite frames in
 * place run before those that redirect or drop them, and the final L2 forwarding runs last.
 */
export const StageKind = {
  /** Rewrites or meters the frame in place and passes it on (QoS). */
  modify: "modify",
  /** May drop the frame or send it elsewhere (security groups, DHCP, routing). */
  filter: "filter",
  /** Delivers the frame (L2 NORMAL in TRANSIENT): the last stage. */
  forward: "forward",
} as const;
export type StageKind = (typeof StageKind)[keyof typeof StageKind];

/** A feature's place in br-int's pipeline: the dispatcher sends frames to `table` in `kind` order. */
export interface StageDecl {
  readonly kind: StageKind;
  readonly table: number;
}

/** The columns of OVSDB tables a feature reads, replicated for it beyond what the agent reads. */
export type ReplicaColumns = {
  readonly [T in keyof VswitchTables]?: readonly (keyof VswitchTables[T] & string)[];
};

/** Flows by bridge name. */
export type FlowsByBridge = ReadonlyMap<string, readonly Flow[]>;

export interface HostContext {
  readonly host: string;
  readonly integrationBridge: string;
  /** br-tun, when tunnelling is configured. */
  readonly tunnelBridge: string | undefined;
  /** physical network → its bridge */
  readonly physicalBridges: ReadonlyMap<string, string>;
  /** br-int's datapath as OVS reports it. */
  readonly datapath: "system" | "netdev";
  readonly tunnelTypes: readonly TunnelType[];
  readonly l2Population: boolean;
  readonly arpResponder: boolean;
  /** br-int's patch-tun and br-tun's patch-int, when both have an ofport. */
  readonly tunPatch: { readonly intSide: number; readonly tunSide: number } | undefined;
  /** physical network → its patch ports' ofports (int-<br> on br-int, phy-<br> on the bridge). */
  readonly physPatches: ReadonlyMap<string, { readonly intSide: number; readonly physSide: number }>;
}

/** What every call of a feature gets besides the object it is about. */
export interface FeatureContext {
  readonly host: HostContext;
  /** The actions that end this feature's stage: mark it done and go back to the dispatcher. */
  next(): readonly Action[];
  /**
   * What the server said for a section this feature declared (`sections`), by key (a QoS policy by id).
   * Reads are recorded: when that object changes, the agent calls the feature again for what read it.
   */
  section<T>(name: string, key: string): T | undefined;
  /**
   * The keys the server sent for a section this feature declared (every group held, say). Reading the
   * list is reading the whole section: any change to any of its objects calls the feature again.
   */
  sectionKeys(name: string): readonly string[];
}

/** A network with a local VLAN on this host. */
export interface NetworkContext {
  readonly networkId: string;
  readonly lvid: number;
  readonly segment: Segment;
  /** br-tun ofports of the tunnel ports this network's floods go to (sorted). */
  readonly floodOfports: readonly number[];
}

/** The OVSDB rows of one VIF, from the agent's replica (columns: the agent's and the features' `replica`). */
export interface VifRows {
  readonly iface: VswitchTables["Interface"];
  readonly port: VswitchTables["Port"];
  /** A replicated row that these rows refer to (Port.qos → QoS, QoS.queues → Queue). */
  get<T extends keyof VswitchTables & string>(table: T, uuid: string): VswitchTables[T] | undefined;
}

/** A VIF on br-int as the agent decided it. */
export interface VifContext {
  readonly iface: string;
  readonly ofport: number;
  /** wired: forwarding on its network; kept: restored from OVSDB, server not heard yet; dead: VLAN 4095. */
  readonly state: "wired" | "kept" | "dead";
  readonly portId: string | undefined;
  readonly mac: string | undefined;
  readonly network: { readonly id: string; readonly lvid: number; readonly segment: Segment } | undefined;
  /** The server's details of the port (absent while kept, and for ports it does not know). */
  readonly details: DeviceDetails | undefined;
  readonly rows: VifRows;
}

/** What a feature wants for one VIF. */
export interface VifPlan {
  readonly flows?: FlowsByBridge;
  /** OpenFlow meters its flows use, by bridge (ids in the feature's `meterIds`). */
  readonly meters?: ReadonlyMap<string, readonly Meter[]>;
  /**
   * OVSDB operations that make the VIF's rows as the feature wants them, from the rows as they are
   * (none when they already are: the agent also uses this to tell its own writes' echoes from changes).
   */
  readonly ovsdb?: (rows: VifRows, ops: OperationBuilder<VswitchTables>) => Operation[];
}

/** A bound port on another host, on a network with a local VLAN here (l2-population, ARP responder). */
export interface RemotePortContext {
  readonly entry: FdbEntry;
  readonly network: { readonly id: string; readonly lvid: number; readonly segment: Segment };
  /** The br-tun ofport of the tunnel port to the entry's host, for the network's tunnel type. */
  readonly tunnelOfport: number | undefined;
}

/** A tunnel port on br-tun. */
export interface TunnelPortContext {
  readonly name: string;
  readonly type: TunnelType;
  readonly ofport: number;
  readonly remoteHost: string;
  readonly remoteIp: string;
}

/**
 * A packet one of the feature's flows sent to the agent with `actions.controllerWith(userdata)`. The
 * userdata is what the flow knew: the feature puts there everything its answer needs, so the answer
 * never waits on OVSDB or the server — and a restarting agent answers from the previous run's flows
 * before it has heard from either.
 */
export interface PuntedPacket {
  readonly bridge: string;
  readonly inPort: number;
  readonly frame: Buffer;
  readonly userdata: Buffer;
}

/** A frame to send out of one port of a bridge. */
export interface PuntReply {
  readonly outPort: number;
  readonly frame: Uint8Array;
}

/** What a feature makes of a punted packet: frames to send, and a word for metrics and logs. */
export interface PuntAnswer {
  /** The metric label (lower case, a few values: "offer", "ack", "malformed"). */
  readonly outcome: string;
  /** Frames to send, each out of one port of the packet's bridge. */
  readonly replies: readonly PuntReply[];
  /** Something an operator should see (a DECLINE, a packet it refused), logged at info. */
  readonly log?: { readonly message: string; readonly fields?: Readonly<Record<string, unknown>> };
}

export interface FeatureExample {
  readonly title: string;
  readonly flows: FlowsByBridge;
}

export interface Feature {
  /** Lower case, digits, - and _; what `[agent] extensions` names, logs and metrics say. */
  readonly name: string;
  /** One line for docs and --help. */
  readonly summary: string;
  /** Core features pin their cookie class (0x01–0x1f); extensions leave it out and get one assigned. */
  readonly ownerClass?: number;
  readonly tables: readonly TableDecl[];
  readonly bands?: readonly BandDecl[];
  readonly stage?: StageDecl;
  /** Meter ids the feature may use on each bridge (the agent deletes stale ones in this range only). */
  readonly meterIds?: { readonly min: number; readonly max: number };
  readonly replica?: ReplicaColumns;
  /** Sections of the server's replies this feature reads ("qos"); the agent declares them to its server. */
  readonly sections?: readonly string[];

  /** Flows that depend on the host only (config, patch ports): the feature's base. */
  baseFlows?(ctx: FeatureContext): FlowsByBridge;
  vif?(vif: VifContext, ctx: FeatureContext): VifPlan | undefined;
  network?(network: NetworkContext, ctx: FeatureContext): FlowsByBridge | undefined;
  remotePort?(remote: RemotePortContext, ctx: FeatureContext): FlowsByBridge | undefined;
  tunnelPort?(tunnel: TunnelPortContext, ctx: FeatureContext): FlowsByBridge | undefined;

  /**
   * Answers a packet its flows punted (actions.controllerWith). Pure: from the packet and its userdata
   * only. A packet it cannot read is an answer with no replies and an outcome saying why, not a throw
   * (a throw is counted as an error of the feature, and the packet dropped).
   */
  punt?(packet: PuntedPacket): PuntAnswer;
  /**
   * Frames the feature sends unasked every `everyMs` (unsolicited router advertisements) on the punt
   * session of `bridge`, from what its vif() calls last planned. Only features that punt have one.
   */
  readonly unsolicited?: { readonly everyMs: number; frames(bridge: string): readonly PuntReply[] };

  /** Called with the feature's own config section ([<name>] in the agent's file); throw to refuse it. */
  onConfigLoaded?(section: Readonly<Record<string, string>> | undefined): void;
  onPortAdded?(vif: VifContext): void;
  onPortUpdated?(vif: VifContext): void;
  onPortRemoved?(iface: string): void;
  /** ovs-vswitchd restarted (its flows are being put back by the agent, the feature's with them). */
  onSwitchRestarted?(bridge: string): void;

  /** Sample flows for docs/PIPELINE.md (ports named as in the document's symbol table). */
  examples?(ctx: FeatureContext): readonly FeatureExample[];
}

/** Flows on one bridge, as a FlowsByBridge. */
export const on = (bridge: string | undefined, flows: readonly Flow[]): FlowsByBridge =>
  bridge === undefined || flows.length === 0 ? new Map() : new Map([[bridge, flows]]);
