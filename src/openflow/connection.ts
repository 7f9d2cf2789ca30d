import { channel } from "node:diagnostics_channel";
import { createConnection, type Socket } from "node:net";
import {
  type BackoffPolicy,
  backoffDelay,
  type Deferred,
  deferred,
  describeError,
  InvalidArgumentError,
  TimeoutError,
  withTimeout,
} from "../base/index.ts";
import {
  BundleError,
  MeterModError,
  OpenFlowDecodeError,
  OpenFlowError,
  OpenFlowTransportError,
} from "./errors.ts";
import type { Flow } from "./model/flow.ts";
import type { Meter } from "./model/meter.ts";
import { type Reader, Writer } from "./wire/buffer.ts";
import {
  BundleControlType,
  BundleFlags,
  ErrorType,
  MessageType,
  MeterModCommand,
  MultipartType,
  OFP_VERSION,
} from "./wire/constants.ts";
import { MessageFramer } from "./wire/framer.ts";
import {
  aggregateRequest,
  bundleControlMessage,
  decodeMessage,
  deleteByCookieMessage,
  type FlowModOptions,
  type FlowStats,
  type FlowUpdate,
  flowModMessage,
  flowMonitorRequest,
  flowStatsRequest,
  helloMessage,
  type Incoming,
  readAggregate,
  readFlowStats,
  readFlowUpdates,
  simpleMessage,
  writeBundleAdd,
  writeFlowMod,
} from "./wire/messages.ts";
import {
  type MeterFeatures,
  type MeterStats,
  meterConfigRequest,
  meterFeaturesRequest,
  meterModMessage,
  meterStatsRequest,
  readMeterConfigs,
  readMeterFeatures,
  readMeterStats,
} from "./wire/meter-messages.ts";
import {
  type PacketIn,
  PacketInFormat,
  type PacketOut,
  packetOutMessage,
  readPacketIn,
  readPacketIn2,
  setConfigMessage,
  setPacketInFormatMessage,
} from "./wire/packet-messages.ts";

/** The connection's life. `restarted` is true when this session follows an earlier one: the switch (or
 * the socket) went away and came back, and its flow tables may have been lost. */
export type SwitchStatus =
  | { readonly state: "connecting"; readonly attempt: number }
  | { readonly state: "connected"; readonly datapathId: bigint; readonly restarted: boolean }
  | { readonly state: "disconnected"; readonly error: Error; readonly retryInMs: number }
  | { readonly state: "closed" };

export interface OpenFlowConnectionOptions {
  /** The bridge's management socket, `unix:<rundir>/<bridge>.mgmt` (or a plain path). */
  readonly endpoint: string;
  readonly probeIntervalMs?: number;
  readonly backoff?: BackoffPolicy;
  readonly connectTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /**
   * Bytes of each packet-in OVS may send (1..65535), set with OFPT_SET_CONFIG at every session: a
   * connection for punted packets. 0 (the default): no packet-ins, as OVS has it for service connections.
   */
  readonly missSendLength?: number;
}

/** One flow_mod of a bundle or batch. */
export interface FlowModRequest {
  readonly flow: Flow;
  readonly options: FlowModOptions;
}

interface Pending {
  readonly what: string;
  readonly reply: Deferred<Incoming>;
  readonly parts?: Incoming[];
  timer?: NodeJS.Timeout;
}

interface MonitorState {
  readonly id: number;
  readonly flags: number;
  readonly listener: (updates: readonly FlowUpdate[]) => void;
}

const statusChannel = channel("weir:openflow:status");
const bundleChannel = channel("weir:openflow:bundle");
/** Packet-ins that could not be read, or whose listener threw: dropped, the session goes on. */
const packetInErrorChannel = channel("weir:openflow:packet-in-error");

const CHUNK_MESSAGES = 2000;

/**
 * A native OpenFlow 1.5 session with one bridge over its management socket — never a Bridge.controller,
 * whose first addition flushes the flow table (ovs-vswitchd: connmgr_set_controllers). Reconnects with
 * backoff; after a reconnect it re-creates its flow monitors and reports `restarted`.
 */
export class OpenFlowConnection {
  readonly endpoint: string;
  readonly #path: string;
  readonly #probeIntervalMs: number;
  readonly #backoff: BackoffPolicy;
  readonly #connectTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #missSendLength: number;
  readonly #packetInListeners = new Set<(packetIn: PacketIn) => void>();
  readonly #statusListeners = new Set<(status: SwitchStatus) => void>();
  readonly #errorListeners = new Set<(error: OpenFlowError, xid: number) => void>();
  readonly #pending = new Map<number, Pending>();
  readonly #monitors = new Map<number, MonitorState>();
  readonly #stop = new AbortController();
  /** Errors for xids of bundle messages in flight, collected for the bundle's BundleError. */
  readonly #bundleErrors = new Map<number, OpenFlowError[]>();
  #socket: Socket | undefined;
  #status: SwitchStatus = { state: "connecting", attempt: 0 };
  #nextXid = 1;
  #nextBundleId = 1;
  #nextMonitorId = 1;
  #sessions = 0;
  #lastReceived = 0;
  #probeTimer: NodeJS.Timeout | undefined;
  #probing = false;
  #sessionEnded: Deferred<Error> | undefined;

  constructor(options: OpenFlowConnectionOptions) {
    this.endpoint = options.endpoint.startsWith("unix:") ? options.endpoint : `unix:${options.endpoint}`;
    this.#path = this.endpoint.slice(5);
    this.#probeIntervalMs = options.probeIntervalMs ?? 5_000;
    this.#backoff = options.backoff ?? { initialMs: 50, maxMs: 2_000, factor: 2 };
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.#missSendLength = options.missSendLength ?? 0;
    if (!Number.isInteger(this.#missSendLength) || this.#missSendLength < 0 || this.#missSendLength > 0xffff)
      throw new InvalidArgumentError("missSendLength", `${options.missSendLength} is not 0..65535`);
  }

  /** Connects and waits for the first session (hello + features), or throws after `waitMs`. */
  static async connect(
    options: OpenFlowConnectionOptions & { readonly waitMs?: number },
  ): Promise<OpenFlowConnection> {
    const connection = new OpenFlowConnection(options);
    try {
      await connection.start(options.waitMs ?? 10_000);
      return connection;
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  get status(): SwitchStatus {
    return this.#status;
  }

  get datapathId(): bigint | undefined {
    return this.#status.state === "connected" ? this.#status.datapathId : undefined;
  }

  /** Starts connecting (and reconnecting, for as long as it lives); resolves at the first session, or
   * throws after `waitMs` (Infinity: waits as long as it takes). */
  async start(waitMs: number): Promise<void> {
    const connected = new Promise<void>((resolve) => {
      const off = this.onStatus((s) => {
        if (s.state === "connected") {
          off();
          resolve();
        }
      });
    });
    void this.#run();
    if (!Number.isFinite(waitMs)) return connected;
    try {
      await withTimeout(connected, waitMs, `OpenFlow session with ${this.endpoint}`);
    } catch (cause) {
      const last = this.#status.state === "disconnected" ? `: ${this.#status.error.message}` : "";
      throw new OpenFlowTransportError(this.endpoint, `no session after ${waitMs} ms${last}`, { cause });
    }
  }

  onStatus(listener: (status: SwitchStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  /** Errors the switch sent for messages that expect no reply (a lone flow_mod) and no one awaits. */
  onAsyncError(listener: (error: OpenFlowError, xid: number) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /** Packets a flow sent to the controller; only with `missSendLength` > 0. */
  onPacketIn(listener: (packetIn: PacketIn) => void): () => void {
    this.#packetInListeners.add(listener);
    return () => this.#packetInListeners.delete(listener);
  }

  /**
   * Injects a packet with actions (OFPT_PACKET_OUT). Not confirmed: a refusal comes to onAsyncError, and
   * a packet-out is lost with the session like any packet on a wire.
   */
  async packetOut(out: PacketOut): Promise<void> {
    if (this.#status.state !== "connected")
      throw new OpenFlowTransportError(this.endpoint, "not connected (packet-out)");
    await this.#write(packetOutMessage(this.#xid(), out));
  }

  close(): void {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort();
    this.#socket?.destroy();
    this.#setStatus({ state: "closed" });
  }

  // ── requests ──────────────────────────────────────────────────────────────────────────────────────

  async barrier(): Promise<void> {
    const xid = this.#xid();
    await this.#request(xid, "barrier", simpleMessage(MessageType.barrierRequest, xid));
  }

  async echo(): Promise<void> {
    const xid = this.#xid();
    await this.#request(xid, "echo", simpleMessage(MessageType.echoRequest, xid));
  }

  /** Every flow whose cookie matches cookie/mask (all flows by default), across all tables. */
  async dumpFlows(cookie = 0n, cookieMask = 0n): Promise<FlowStats[]> {
    const xid = this.#xid();
    const reply = await this.#request(xid, "dump-flows", flowStatsRequest(xid, cookie, cookieMask), true);
    return reply.flatMap((part) => (part.type === "multipart_reply" ? readFlowStats(part.body) : []));
  }

  /** How many flows (all tables) have a cookie matching cookie/mask; cheap next to a dump. */
  async countFlows(cookie: bigint, cookieMask: bigint): Promise<number> {
    const xid = this.#xid();
    const reply = await this.#request(xid, "aggregate", aggregateRequest(xid, cookie, cookieMask), true);
    const part = reply.find((p) => p.type === "multipart_reply");
    if (part === undefined || part.type !== "multipart_reply")
      throw new OpenFlowDecodeError("aggregate request not answered");
    return readAggregate(part.body).flows;
  }

  /** Sends flow_mods without a bundle and waits for a barrier: applied one by one, not atomically. */
  async sendFlowMods(mods: readonly FlowModRequest[]): Promise<void> {
    const first = this.#nextXid;
    const errors: OpenFlowError[] = [];
    const xids = new Set<number>();
    for (let i = 0; i < mods.length; i += CHUNK_MESSAGES) {
      const w = new Writer(64 * 1024);
      for (const mod of mods.slice(i, i + CHUNK_MESSAGES)) {
        const xid = this.#xid();
        xids.add(xid);
        this.#bundleErrors.set(xid, errors);
        writeFlowMod(w, xid, mod.flow, mod.options);
      }
      await this.#write(w.view());
    }
    try {
      await this.barrier();
    } finally {
      for (const xid of xids) this.#bundleErrors.delete(xid);
    }
    if (errors.length > 0)
      throw new BundleError(`${errors.length} of ${mods.length} flow_mods from xid ${first} failed`, errors);
  }

  /** A delete by cookie/mask across all tables (one flow_mod), confirmed by a barrier. */
  async deleteByCookie(cookie: bigint, mask: bigint): Promise<void> {
    const xid = this.#xid();
    const errors: OpenFlowError[] = [];
    this.#bundleErrors.set(xid, errors);
    try {
      await this.#write(deleteByCookieMessage(xid, cookie, mask));
      await this.barrier();
    } finally {
      this.#bundleErrors.delete(xid);
    }
    if (errors.length > 0) throw new BundleError("delete by cookie failed", errors);
  }

  /**
   * One OFPT_METER_MOD, confirmed by a barrier: when it resolves the switch has applied it; a refusal is
   * a MeterModError naming the meter. `meter` may be an id for a delete. Not part of any bundle: OVS
   * refuses meter mods inside OFPT_BUNDLE_ADD_MESSAGE with BUNDLE_FAILED/MSG_UNSUP (lib/ofp-bundle.c
   * ofputil_is_bundlable lists METER_MOD as "nice to have later"), so a caller adds or modifies meters
   * before the bundle whose flows use them and deletes them after the bundle that removed those flows.
   * Deleting a meter deletes every flow that uses it (ofproto.c meter_destroy); deleting one that does
   * not exist is no error (handle_delete_meter).
   */
  async meterMod(command: MeterModCommand, meter: Meter | number): Promise<void> {
    const id = typeof meter === "number" ? meter : meter.id;
    const name = meterCommandName(command);
    if (typeof meter === "number" && command !== MeterModCommand.delete) {
      throw new InvalidArgumentError(`meter ${id}`, `${name} needs a Meter, not an id`);
    }
    const xid = this.#xid();
    const errors: OpenFlowError[] = [];
    this.#bundleErrors.set(xid, errors);
    try {
      await this.#write(meterModMessage(xid, command, meter));
      await this.barrier();
    } finally {
      this.#bundleErrors.delete(xid);
    }
    if (errors[0] !== undefined) throw new MeterModError(name, id, errors[0]);
  }

  /** Every meter's configuration (OFPMP_METER_DESC for OFPM_ALL), as canonical Meter values. */
  async dumpMeters(): Promise<Meter[]> {
    const xid = this.#xid();
    const reply = await this.#request(xid, "dump-meters", meterConfigRequest(xid), true);
    return reply.flatMap((part) => (part.type === "multipart_reply" ? readMeterConfigs(part.body) : []));
  }

  /** Every meter's counters (OFPMP_METER_STATS for OFPM_ALL). */
  async meterStats(): Promise<MeterStats[]> {
    const xid = this.#xid();
    const reply = await this.#request(xid, "meter-stats", meterStatsRequest(xid), true);
    return reply.flatMap((part) => (part.type === "multipart_reply" ? readMeterStats(part.body) : []));
  }

  /** What the switch's meter table supports (OFPMP_METER_FEATURES). */
  async meterFeatures(): Promise<MeterFeatures> {
    const xid = this.#xid();
    const reply = await this.#request(xid, "meter-features", meterFeaturesRequest(xid), true);
    const part = reply.find((p) => p.type === "multipart_reply");
    if (part === undefined || part.type !== "multipart_reply")
      throw new OpenFlowDecodeError("meter features request not answered");
    return readMeterFeatures(part.body);
  }

  /**
   * Applies flow_mods as one atomic, ordered bundle (OF 1.5 §6.8): the datapath sees the tables either
   * before or after all of them. If the switch refuses any message, nothing is applied and BundleError
   * carries its errors. A TimeoutError means the outcome is unknown: re-read the switch, never assume.
   */
  async bundle(mods: readonly FlowModRequest[]): Promise<void> {
    const started = performance.now();
    const bundleId = this.#nextBundleId++;
    const flags = BundleFlags.atomic | BundleFlags.ordered;
    const errors: OpenFlowError[] = [];
    const xids: number[] = [];
    const open = this.#xid();
    await this.#request(
      open,
      "bundle open",
      bundleControlMessage(open, bundleId, BundleControlType.openRequest, flags),
    );
    try {
      for (let i = 0; i < mods.length; i += CHUNK_MESSAGES) {
        const w = new Writer(128 * 1024);
        for (const mod of mods.slice(i, i + CHUNK_MESSAGES)) {
          const xid = this.#xid();
          xids.push(xid);
          this.#bundleErrors.set(xid, errors);
          writeBundleAdd(w, xid, bundleId, flags, (inner) => writeFlowMod(inner, xid, mod.flow, mod.options));
        }
        await this.#write(w.view());
      }
      // OVS checks each message when it is added and drops a bad one from the bundle, so a commit would
      // apply the rest. Closing first flushes those errors out (replies come in order); with any error
      // the bundle is discarded and nothing is applied.
      const close = this.#xid();
      xids.push(close);
      this.#bundleErrors.set(close, errors);
      await this.#request(
        close,
        "bundle close",
        bundleControlMessage(close, bundleId, BundleControlType.closeRequest, flags),
      );
      if (errors.length > 0) {
        const discard = this.#xid();
        await this.#request(
          discard,
          "bundle discard",
          bundleControlMessage(discard, bundleId, BundleControlType.discardRequest, flags),
        );
        throw new BundleError(`bundle of ${mods.length} flow_mods refused, nothing applied`, errors);
      }
      const commit = this.#xid();
      this.#bundleErrors.set(commit, errors);
      xids.push(commit);
      try {
        await this.#request(
          commit,
          "bundle commit",
          bundleControlMessage(commit, bundleId, BundleControlType.commitRequest, flags),
        );
      } catch (error) {
        if (error instanceof OpenFlowError) {
          // The commit's own error (BUNDLE_FAILED/MSG_FAILED) comes last; the refused messages' errors first.
          const reasons = errors.filter((e) => !(e.type === ErrorType.bundleFailed));
          throw new BundleError(
            `bundle of ${mods.length} flow_mods refused, nothing applied`,
            reasons.length > 0 ? reasons : [error],
          );
        }
        throw error;
      }
      if (errors.length > 0) throw new BundleError(`bundle of ${mods.length} flow_mods refused`, errors);
    } finally {
      for (const xid of xids) this.#bundleErrors.delete(xid);
      if (bundleChannel.hasSubscribers) {
        bundleChannel.publish({
          endpoint: this.endpoint,
          messages: mods.length,
          durationMs: performance.now() - started,
          errors: errors.length,
        });
      }
    }
  }

  /**
   * Watches every table for flow changes (OFPMP_FLOW_MONITOR). Changes made through this connection come
   * as "abbrev" updates; others' changes in full, with table, priority, cookie and match. Re-created after
   * a reconnect. "paused"/"resumed" mean OVS's queue overflowed (128 KiB) and changes may have been missed.
   */
  async monitorFlows(
    listener: (updates: readonly FlowUpdate[]) => void,
    flags = 2 | 4 | 8,
  ): Promise<() => Promise<void>> {
    const state: MonitorState = { id: this.#nextMonitorId++, flags, listener };
    this.#monitors.set(state.id, state);
    await this.#startMonitor(state);
    return async () => {
      this.#monitors.delete(state.id);
    };
  }

  async #startMonitor(state: MonitorState): Promise<void> {
    const xid = this.#xid();
    // The request's xid also tags the asynchronous updates, which arrive as multipart replies.
    this.#monitorXids.set(xid, state);
    await this.#request(xid, "flow monitor", flowMonitorRequest(xid, state.id, state.flags), true);
  }

  readonly #monitorXids = new Map<number, MonitorState>();

  flowModMessage(flow: Flow, options: FlowModOptions): Buffer {
    return flowModMessage(this.#xid(), flow, options);
  }

  #xid(): number {
    const xid = this.#nextXid;
    this.#nextXid = this.#nextXid >= 0x7fffffff ? 1 : this.#nextXid + 1;
    return xid;
  }

  async #request(xid: number, what: string, message: Buffer, multipart = false): Promise<Incoming[]> {
    if (this.#status.state !== "connected" && !what.startsWith("session")) {
      throw new OpenFlowTransportError(this.endpoint, `not connected (${what})`);
    }
    const pending: Pending = { what, reply: deferred<Incoming>(), ...(multipart ? { parts: [] } : {}) };
    pending.timer = setTimeout(() => {
      this.#pending.delete(xid);
      pending.reply.reject(new TimeoutError(`${what} on ${this.endpoint}`, this.#requestTimeoutMs));
    }, this.#requestTimeoutMs);
    pending.timer.unref();
    this.#pending.set(xid, pending);
    await this.#write(message);
    await pending.reply.promise;
    return pending.parts ?? [];
  }

  async #write(data: Uint8Array): Promise<void> {
    const socket = this.#socket;
    if (socket === undefined || socket.destroyed)
      throw new OpenFlowTransportError(this.endpoint, "not connected");
    if (!socket.write(data)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          socket.off("close", onClose);
          resolve();
        };
        const onClose = () => {
          socket.off("drain", onDrain);
          reject(new OpenFlowTransportError(this.endpoint, "connection lost while sending"));
        };
        socket.once("drain", onDrain);
        socket.once("close", onClose);
      });
    }
  }

  // ── session ───────────────────────────────────────────────────────────────────────────────────────

  async #run(): Promise<void> {
    let attempt = 0;
    while (!this.#stop.signal.aborted) {
      this.#setStatus({ state: "connecting", attempt });
      let reason: Error;
      try {
        const ended = await this.#openSession();
        attempt = 0;
        reason = await ended;
      } catch (error) {
        reason = error instanceof Error ? error : new Error(describeError(error));
        this.#socket?.destroy();
      }
      this.#failPending(reason);
      if (this.#stop.signal.aborted) break;
      const retryInMs = backoffDelay(this.#backoff, attempt++);
      this.#setStatus({ state: "disconnected", error: reason, retryInMs });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, retryInMs);
        this.#stop.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Connects, says hello, learns the datapath id, re-creates monitors; resolves with the session's end. */
  async #openSession(): Promise<Promise<Error>> {
    const socket = await this.#connectSocket();
    this.#socket = socket;
    const ended = deferred<Error>();
    this.#sessionEnded = ended;
    const hello = deferred<readonly number[]>();
    const framer = new MessageFramer((message) => this.#receive(message, hello));
    socket.on("data", (chunk) => {
      this.#lastReceived = performance.now();
      this.#probing = false;
      try {
        framer.push(chunk);
      } catch (error) {
        socket.destroy();
        ended.resolve(error instanceof Error ? error : new OpenFlowDecodeError(String(error)));
      }
    });
    socket.on("error", (error) =>
      ended.resolve(new OpenFlowTransportError(this.endpoint, error.message, { cause: error })),
    );
    socket.on("close", () => {
      clearInterval(this.#probeTimer);
      const truncated = framer.pendingBytes;
      ended.resolve(
        truncated > 0
          ? new OpenFlowDecodeError(`connection closed inside a message (${truncated} bytes of it received)`)
          : new OpenFlowTransportError(this.endpoint, "connection closed by the switch"),
      );
      hello.reject(new OpenFlowTransportError(this.endpoint, "connection closed during hello"));
    });
    socket.write(helloMessage(this.#xid()));
    const versions = await this.#duringHandshake(hello.promise, `hello from ${this.endpoint}`);
    if (!versions.includes(OFP_VERSION)) {
      socket.destroy();
      throw new OpenFlowTransportError(
        this.endpoint,
        `the switch does not offer OpenFlow 1.5 (it offers versions ${versions.join(", ")}); check Bridge protocols`,
      );
    }
    const xid = this.#xid();
    const features = this.#sessionRequest(
      xid,
      "session features",
      simpleMessage(MessageType.featuresRequest, xid),
    );
    const reply = await features;
    if (reply.type !== "features_reply")
      throw new OpenFlowDecodeError("features request not answered with features");
    if (this.#missSendLength > 0) {
      // NXT_PACKET_IN2, the one format that carries a controller action's userdata; neither message has
      // a reply, so the barrier after them says both were taken (a refusal comes to onAsyncError) before
      // we say connected.
      socket.write(setPacketInFormatMessage(this.#xid(), PacketInFormat.nxt2));
      socket.write(setConfigMessage(this.#xid(), this.#missSendLength));
      const barrier = this.#xid();
      await this.#sessionRequest(
        barrier,
        "session set-config",
        simpleMessage(MessageType.barrierRequest, barrier),
      );
    }
    for (const monitor of this.#monitors.values()) {
      const monitorXid = this.#xid();
      this.#monitorXids.set(monitorXid, monitor);
      await this.#sessionRequest(
        monitorXid,
        "session flow monitor",
        flowMonitorRequest(monitorXid, monitor.id, monitor.flags),
        true,
      );
    }
    this.#armProbe(socket);
    this.#setStatus({ state: "connected", datapathId: reply.datapathId, restarted: this.#sessions++ > 0 });
    return ended.promise;
  }

  #sessionRequest(xid: number, what: string, message: Buffer, multipart = false): Promise<Incoming> {
    const pending: Pending = { what, reply: deferred<Incoming>(), ...(multipart ? { parts: [] } : {}) };
    this.#pending.set(xid, pending);
    this.#socket!.write(message);
    return this.#duringHandshake(pending.reply.promise, `${what} on ${this.endpoint}`);
  }

  /** Waits for a handshake step, failing at once with the session's end reason if it ends first. */
  #duringHandshake<T>(step: Promise<T>, what: string): Promise<T> {
    const ended = this.#sessionEnded!.promise.then((reason) => Promise.reject(reason));
    ended.catch(() => {});
    return withTimeout(Promise.race([step, ended]), this.#connectTimeoutMs, what);
  }

  #connectSocket(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ path: this.#path });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new OpenFlowTransportError(this.endpoint, `connect timed out after ${this.#connectTimeoutMs} ms`),
        );
      }, this.#connectTimeoutMs);
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(
          new OpenFlowTransportError(this.endpoint, `cannot connect: ${error.message}`, { cause: error }),
        );
      });
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(socket);
      });
    });
  }

  #armProbe(socket: Socket): void {
    if (this.#probeIntervalMs <= 0) return;
    this.#lastReceived = performance.now();
    this.#probeTimer = setInterval(
      () => {
        const idle = performance.now() - this.#lastReceived;
        if (idle < this.#probeIntervalMs) return;
        if (!this.#probing) {
          this.#probing = true;
          socket.write(simpleMessage(MessageType.echoRequest, this.#xid()));
        } else if (idle >= 2 * this.#probeIntervalMs) {
          socket.destroy();
          this.#sessionEnded?.resolve(
            new OpenFlowTransportError(
              this.endpoint,
              `no message for ${Math.round(idle)} ms, echo unanswered: connection is dead`,
            ),
          );
        }
      },
      Math.max(10, this.#probeIntervalMs / 4),
    );
    this.#probeTimer.unref();
  }

  #receive(data: Buffer, hello: Deferred<readonly number[]>): void {
    const message = decodeMessage(data);
    switch (message.type) {
      case "hello":
        hello.resolve(message.versions);
        return;
      case "echo_request":
        this.#socket?.write(simpleMessage(MessageType.echoReply, message.xid, message.data));
        return;
      case "error":
        this.#receiveError(message.xid, message.error);
        return;
      case "multipart_reply":
        this.#receiveMultipart(message);
        return;
      case "packet_in":
        this.#receivePacketIn(message.format, message.body);
        return;
      default:
        this.#settle(message.xid, message);
    }
  }

  #receiveMultipart(message: Extract<Incoming, { type: "multipart_reply" }>): void {
    if (message.multipartType === MultipartType.flowMonitor) {
      // The request's own reply carries its xid; later, asynchronous updates carry xid 0 (OVS
      // ofmonitor_flush), so they go to every monitor of this connection.
      const updates = readFlowUpdates(message.body);
      const owner = this.#monitorXids.get(message.xid);
      const targets = owner !== undefined ? [owner] : [...this.#monitors.values()];
      if (updates.length > 0)
        for (const monitor of targets) if (this.#monitors.has(monitor.id)) monitor.listener(updates);
      if (!message.more) this.#settle(message.xid, message);
      return;
    }
    const pending = this.#pending.get(message.xid);
    if (pending === undefined) return;
    pending.parts?.push(message);
    if (!message.more) this.#settle(message.xid, message);
  }

  #receivePacketIn(format: "standard" | "nxt2", body: Reader): void {
    let packetIn: PacketIn;
    try {
      packetIn = format === "nxt2" ? readPacketIn2(body) : readPacketIn(body);
    } catch (error) {
      if (packetInErrorChannel.hasSubscribers)
        packetInErrorChannel.publish({ endpoint: this.endpoint, error });
      return;
    }
    for (const listener of this.#packetInListeners) {
      try {
        listener(packetIn);
      } catch (error) {
        if (packetInErrorChannel.hasSubscribers)
          packetInErrorChannel.publish({ endpoint: this.endpoint, error });
      }
    }
  }

  #receiveError(xid: number, error: OpenFlowError): void {
    const collected = this.#bundleErrors.get(xid);
    if (collected !== undefined) collected.push(error);
    const pending = this.#pending.get(xid);
    if (pending !== undefined) {
      this.#pending.delete(xid);
      clearTimeout(pending.timer);
      pending.reply.reject(
        new OpenFlowError(error.type, error.errorCode, error.offending, error.experimenter, pending.what),
      );
      return;
    }
    if (collected === undefined) for (const listener of this.#errorListeners) listener(error, xid);
  }

  #settle(xid: number, message: Incoming): void {
    const pending = this.#pending.get(xid);
    if (pending === undefined) return;
    this.#pending.delete(xid);
    clearTimeout(pending.timer);
    pending.reply.resolve(message);
  }

  #failPending(reason: Error): void {
    const failure =
      reason instanceof OpenFlowTransportError
        ? reason
        : new OpenFlowTransportError(this.endpoint, reason.message, { cause: reason });
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reply.reject(failure);
    }
    this.#pending.clear();
    this.#monitorXids.clear();
  }

  #setStatus(status: SwitchStatus): void {
    if (this.#status.state === "closed") return;
    this.#status = status;
    if (statusChannel.hasSubscribers) statusChannel.publish({ endpoint: this.endpoint, status });
    for (const listener of this.#statusListeners) listener(status);
  }
}

function meterCommandName(command: MeterModCommand): "add" | "modify" | "delete" {
  switch (command) {
    case MeterModCommand.add:
      return "add";
    case MeterModCommand.modify:
      return "modify";
    case MeterModCommand.delete:
      return "delete";
  }
}
