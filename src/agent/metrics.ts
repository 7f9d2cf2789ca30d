/**
 * Prometheus metrics of one agent ([weir] metrics_listen): ports by state, flows per bridge and owner
 * class, how long convergence took, reconnects, out-of-band repairs and start-up disruptions, and the
 * process's own (memory, CPU, event loop). Gauges are
 * read from the agent's state at scrape time, so they are never stale.
 */
import { createServer, type Server } from "node:http";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export interface AgentGaugeSource {
  portsByState(): Record<string, number>;
  /** bridge → feature that owns the flows ("l2-base", "qos", …) → flows */
  flowsByFeature(): Record<string, Record<string, number>>;
  /** Every feature of the pipeline, and whether it is failing now. */
  features(): Record<string, boolean>;
  serverOnline(): boolean;
  generation(): number;
  localVlans(): number;
  /** Packets the meters of each feature dropped on br-int (their band counts, read from the switch). */
  meterDrops(): Promise<Record<string, number>>;
}

export class AgentMetrics {
  readonly registry = new Registry();
  readonly reconnects: Counter<"peer">;
  readonly repairs: Counter<"bridge" | "kind">;
  readonly disruptions: Counter<"bridge" | "cause">;
  readonly resyncSeconds: Histogram<"kind">;
  readonly passes: Counter<"result">;
  readonly featureErrors: Counter<"feature">;
  readonly punted: Counter<"feature" | "outcome">;
  readonly puntSeconds: Histogram<"feature">;
  readonly unsolicited: Counter<"feature">;
  #source: AgentGaugeSource | undefined;

  constructor() {
    const registers = [this.registry];
    // The process's own (memory by kind, CPU, event-loop delay, GC), read at scrape time, under the
    // names every Node.js dashboard knows.
    collectDefaultMetrics({ register: this.registry });
    this.reconnects = new Counter({
      name: "weir_agent_reconnects_total",
      help: "Sessions re-established after a loss, by peer (ovsdb, openflow, server)",
      labelNames: ["peer"],
      registers,
    });
    this.repairs = new Counter({
      name: "weir_agent_repairs_total",
      help: "Out-of-band changes detected and repaired (flows changed by others, switch restarts, bridge drift)",
      labelNames: ["bridge", "kind"],
      registers,
    });
    this.disruptions = new Counter({
      name: "weir_agent_disruptions_total",
      help: "Changes the agent had to make that clear a bridge's flow table (fail_mode changes, drop_flows_on_start)",
      labelNames: ["bridge", "cause"],
      registers,
    });
    this.resyncSeconds = new Histogram({
      name: "weir_agent_resync_duration_seconds",
      help: "Time from a full sync's start to every bridge matching it (start-up, resync)",
      labelNames: ["kind"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.passes = new Counter({
      name: "weir_agent_passes_total",
      help: "Convergence passes: changed (looked at something), idle (found the echo of its own writes only)",
      labelNames: ["result"],
      registers,
    });
    this.featureErrors = new Counter({
      name: "weir_agent_feature_errors_total",
      help: "Times a feature (core or extension) threw or returned flows outside its tables; its flows stayed as they were",
      labelNames: ["feature"],
      registers,
    });
    this.punted = new Counter({
      name: "weir_agent_punted_packets_total",
      help: "Packets features' flows sent to the agent (DHCP), by feature and what became of them (offer, ack, nak, malformed, …)",
      labelNames: ["feature", "outcome"],
      registers,
    });
    this.unsolicited = new Counter({
      name: "weir_agent_unsolicited_frames_total",
      help: "Frames features sent unasked (unsolicited router advertisements), by feature",
      labelNames: ["feature"],
      registers,
    });
    this.puntSeconds = new Histogram({
      name: "weir_agent_punt_answer_seconds",
      help: "Time from a punted packet's arrival to its answer being written, by feature",
      labelNames: ["feature"],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
      registers,
    });
    const source = () => this.#source;
    new Gauge({
      name: "weir_agent_ports",
      help: "VIFs on the integration bridge by state (wired, kept: restored and waiting for the server, dead)",
      labelNames: ["state"],
      registers,
      collect() {
        this.reset();
        for (const [state, n] of Object.entries(source()?.portsByState() ?? {})) this.set({ state }, n);
      },
    });
    new Gauge({
      name: "weir_agent_flows",
      help: "Flows the agent keeps installed, per bridge and the feature that owns them",
      labelNames: ["bridge", "feature"],
      registers,
      collect() {
        this.reset();
        for (const [bridge, features] of Object.entries(source()?.flowsByFeature() ?? {})) {
          for (const [feature, n] of Object.entries(features)) this.set({ bridge, feature }, n);
        }
      },
    });
    new Gauge({
      name: "weir_agent_feature_failed",
      help: "1 while a feature of the pipeline is failing (its flows stay as they were), 0 otherwise",
      labelNames: ["feature"],
      registers,
      collect() {
        this.reset();
        for (const [feature, failed] of Object.entries(source()?.features() ?? {}))
          this.set({ feature }, failed ? 1 : 0);
      },
    });
    new Gauge({
      name: "weir_agent_meter_dropped_packets",
      help: "Packets dropped by the meters of each feature on the integration bridge (DHCP's per-port rate limit, QoS's egress limits), as the switch counts them since it installed each meter",
      labelNames: ["feature"],
      registers,
      async collect() {
        this.reset();
        const drops: Record<string, number> =
          (await source()
            ?.meterDrops()
            .catch(() => undefined)) ?? {};
        for (const [feature, n] of Object.entries(drops)) this.set({ feature }, n);
      },
    });
    new Gauge({
      name: "weir_agent_server_online",
      help: "1 while the server is reachable",
      registers,
      collect() {
        this.set(source()?.serverOnline() ? 1 : 0);
      },
    });
    new Gauge({
      name: "weir_agent_flow_generation",
      help: "This run's cookie generation",
      registers,
      collect() {
        this.set(source()?.generation() ?? 0);
      },
    });
    new Gauge({
      name: "weir_agent_local_vlans",
      help: "Local VLANs in use (networks with ports on this host)",
      registers,
      collect() {
        this.set(source()?.localVlans() ?? 0);
      },
    });
  }

  attach(source: AgentGaugeSource): void {
    this.#source = source;
  }

  /** Serves GET /metrics on host:port; resolves once listening. */
  async listen(address: string): Promise<Server> {
    const at = address.lastIndexOf(":");
    const host = address.slice(0, at).replace(/^\[|\]$/g, "");
    const port = Number(address.slice(at + 1));
    const server = createServer((req, res) => {
      if (req.method === "GET" && req.url?.split("?")[0] === "/metrics") {
        this.registry.metrics().then(
          (text) => {
            res.writeHead(200, { "content-type": this.registry.contentType });
            res.end(text);
          },
          (error: Error) => {
            res.writeHead(500, { "content-type": "text/plain" });
            res.end(error.message);
          },
        );
        return;
      }
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("GET /metrics\n");
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    return server;
  }
}
