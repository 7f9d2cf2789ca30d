/**
 * Punted packets: a second OpenFlow session with br-int, with packet-ins turned on (missSendLength), for
 * the features that answer packets themselves (DHCP). It is separate from the session that carries the
 * flows, so a packet-in never queues behind a large bundle nor a reconcile's dump, and a DHCP answer
 * is not held up by a pass. The feature is found by the cookie class of the flow that punted the packet;
 * its answer is sent at once as packet-outs. Nothing here blocks: a packet the feature cannot answer is
 * counted and dropped, and the session goes on.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { describeError, type Log } from "../../base/index.ts";
import {
  actions as A,
  cookieParts,
  OpenFlowConnection,
  type PacketIn,
  packetInPort,
} from "../../openflow/index.ts";
import type { AgentMetrics } from "../metrics.ts";
import type { Feature, PuntReply } from "../pipeline/feature.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";

/** OFPP_CONTROLLER: a packet-out's in_port when the packet comes from the agent itself. */
const FROM_CONTROLLER = 0xfffffffd;

/** Where the OpenFlow layer reports packet-ins it could not read (connection.ts). */
const PACKET_IN_ERRORS = "weir:openflow:packet-in-error";

/** How often one kind of refusal is logged at most (a flood of malformed packets is a metric, not a log). */
const LOG_EVERY_MS = 10_000;

export interface PuntChannelOptions {
  readonly bridge: string;
  readonly endpoint: string;
  readonly pipeline: Pipeline;
  readonly metrics: AgentMetrics;
  readonly log: Log;
}

/** The features of the pipeline that answer punted packets; none means no channel is needed. */
export function puntingFeatures(pipeline: Pipeline): Feature[] {
  return pipeline.features.flatMap((f) => (f.feature.punt === undefined ? [] : [f.feature]));
}

export class PuntChannel {
  readonly connection: OpenFlowConnection;
  readonly #options: PuntChannelOptions;
  readonly #lastLogged = new Map<string, number>();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #onUnreadable = (message: unknown) => {
    if ((message as { endpoint?: string }).endpoint !== this.#options.endpoint) return;
    this.#options.metrics.punted.inc({ feature: "none", outcome: "unreadable" });
    this.#rateLimitedLog("unreadable", "a packet-in could not be read", {
      error: describeError((message as { error?: unknown }).error),
    });
  };

  private constructor(options: PuntChannelOptions) {
    this.#options = options;
    // The whole packet: DHCP messages can be long, and a cut one cannot be answered.
    this.connection = new OpenFlowConnection({ endpoint: options.endpoint, missSendLength: 0xffff });
    this.connection.onPacketIn((p) => this.#receive(p));
    subscribe(PACKET_IN_ERRORS, this.#onUnreadable);
  }

  /** Opens the session; resolves once packet-ins are on (the switch may hold some for a while before). */
  static async open(options: PuntChannelOptions, waitMs: number): Promise<PuntChannel> {
    const punts = new PuntChannel(options);
    await punts.connection.start(waitMs);
    punts.#startUnsolicited();
    return punts;
  }

  close(): void {
    for (const timer of this.#timers) clearInterval(timer);
    unsubscribe(PACKET_IN_ERRORS, this.#onUnreadable);
    this.connection.close();
  }

  #receive(p: PacketIn): void {
    const started = performance.now();
    const { pipeline, metrics, bridge } = this.#options;
    const parts = cookieParts(p.cookie);
    const loaded = parts === undefined ? undefined : pipeline.featureOfClass(parts.ownerClass);
    const feature = loaded?.feature;
    const inPort = packetInPort(p);
    if (feature?.punt === undefined || p.userdata === undefined || inPort === undefined) {
      // A packet-in of a flow that is not a punting feature's (someone's controller action, a newer
      // run's feature this run does not have): not ours to answer.
      metrics.punted.inc({ feature: feature?.name ?? "none", outcome: "unowned" });
      this.#rateLimitedLog("unowned", "packet-in from a flow no punting feature owns", {
        cookie: `0x${p.cookie.toString(16)}`,
        table: p.tableId,
      });
      return;
    }
    let answer: ReturnType<NonNullable<Feature["punt"]>>;
    try {
      answer = feature.punt({ bridge, inPort, frame: p.data, userdata: p.userdata });
    } catch (error) {
      metrics.punted.inc({ feature: feature.name, outcome: "error" });
      metrics.featureErrors.inc({ feature: feature.name });
      this.#rateLimitedLog(`${feature.name} error`, `${feature.name} failed on a punted packet`, {
        error: describeError(error),
      });
      return;
    }
    metrics.punted.inc({ feature: feature.name, outcome: answer.outcome });
    // One line per feature and outcome every LOG_EVERY_MS at most: a VM sending junk is a metric.
    if (answer.log !== undefined && this.#due(`${feature.name} ${answer.outcome}`))
      this.#options.log.info({ feature: feature.name, ...answer.log.fields }, answer.log.message);
    this.#send(feature, answer.replies);
    metrics.puntSeconds.observe({ feature: feature.name }, (performance.now() - started) / 1000);
  }

  #send(feature: Feature, replies: readonly PuntReply[]): void {
    for (const reply of replies) {
      this.connection
        .packetOut({ inPort: FROM_CONTROLLER, actions: [A.output(reply.outPort)], data: reply.frame })
        .catch((error: unknown) =>
          this.#rateLimitedLog("packet-out", "a feature's packet-out was not sent", {
            feature: feature.name,
            error: describeError(error),
          }),
        );
    }
  }

  /** Each punting feature's unsolicited frames, on its timer (unref'd: it never keeps the agent up). */
  #startUnsolicited(): void {
    for (const feature of puntingFeatures(this.#options.pipeline)) {
      const unsolicited = feature.unsolicited;
      if (unsolicited === undefined) continue;
      const timer = setInterval(() => {
        let frames: readonly PuntReply[];
        try {
          frames = unsolicited.frames(this.#options.bridge);
        } catch (error) {
          this.#options.metrics.featureErrors.inc({ feature: feature.name });
          this.#rateLimitedLog(`${feature.name} unsolicited`, `${feature.name} failed to make its frames`, {
            error: describeError(error),
          });
          return;
        }
        if (frames.length > 0)
          this.#options.metrics.unsolicited.inc({ feature: feature.name }, frames.length);
        this.#send(feature, frames);
      }, unsolicited.everyMs);
      timer.unref();
      this.#timers.push(timer);
    }
  }

  #rateLimitedLog(kind: string, message: string, fields: Record<string, unknown>): void {
    if (this.#due(kind)) this.#options.log.warn({ bridge: this.#options.bridge, ...fields }, message);
  }

  /** Whether a line of this kind may be logged now (and if so, notes that it was). */
  #due(kind: string): boolean {
    const now = Date.now();
    if (now - (this.#lastLogged.get(kind) ?? Number.NEGATIVE_INFINITY) < LOG_EVERY_MS) return false;
    this.#lastLogged.set(kind, now);
    return true;
  }
}
