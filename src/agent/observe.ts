/**
 * What the agent says about the switch and its sessions: the primitives report status changes and
 * disturbances as values (and on diagnostics channels); this turns them into log lines and metrics.
 */
import { channel } from "node:diagnostics_channel";
import type { Log } from "../base/index.ts";
import type { Disturbance, OpenFlowConnection } from "../openflow/index.ts";
import type { OvsdbClient } from "../ovsdb/index.ts";
import type { AgentMetrics } from "./metrics.ts";
import type { Pipeline } from "./pipeline/pipeline.ts";

/** What weir:openflow:reconcile publishes (bridge-flows.ts). */
interface ReconcileMessage {
  readonly endpoint: string;
  readonly added: number;
  readonly modified: number;
  readonly deleted: number;
  readonly durationMs: number;
}

const reconcileChannel = channel("weir:openflow:reconcile");

export class Observer {
  readonly #log: Log;
  readonly #metrics: AgentMetrics;
  readonly #pipeline: Pipeline;
  readonly #cleanups: (() => void)[] = [];

  constructor(log: Log, metrics: AgentMetrics, pipeline: Pipeline) {
    this.#log = log;
    this.#metrics = metrics;
    this.#pipeline = pipeline;
  }

  close(): void {
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
  }

  /** Someone (or a restart) changed a bridge's flows: say who and what. */
  disturbed(bridge: string, d: Disturbance): void {
    const log = this.#log;
    if (d.kind === "switch-restarted") {
      log.warn(
        { bridge },
        "OpenFlow session re-established (ovs-vswitchd restarted, or the bridge was re-created): reprogramming the bridge from OVSDB and the agent's state",
      );
      this.#metrics.repairs.inc({ bridge, kind: "switch-restarted" });
    } else if (d.kind === "monitor-overflow") {
      log.warn({ bridge }, "flow monitor overflowed: reconciling the bridge by dump");
      this.#metrics.repairs.inc({ bridge, kind: "monitor-overflow" });
    } else if (d.owners.length + d.staleGenerations.length > 0) {
      const owners = d.owners
        .slice(0, 10)
        .map(
          (o) =>
            `${this.#pipeline.featureOfClass(o.ownerClass)?.feature.name ?? `class 0x${o.ownerClass.toString(16)}`} ${o.key || "(base)"}`,
        );
      log.warn(
        { bridge, owners, staleGenerations: d.staleGenerations, changes: d.updates.length },
        "flows changed outside the agent: repairing",
      );
      this.#metrics.repairs.inc({ bridge, kind: "flows-changed" });
    } else if (d.foreign.length > 0) {
      log.info(
        { bridge, flows: d.foreign.length },
        "flows that are not the agent's were changed; left alone",
      );
    }
  }

  watchOvsdb(client: OvsdbClient): void {
    let lost = false;
    this.#cleanups.push(
      client.onStatus((status) => {
        if (status.state === "disconnected" && !lost) {
          lost = true;
          this.#log.warn({ error: status.error.message }, "OVSDB connection lost; reconnecting");
        }
        if (status.state === "connected" && lost) {
          lost = false;
          this.#metrics.reconnects.inc({ peer: "ovsdb" });
          this.#log.info("OVSDB connection re-established");
        }
      }),
    );
  }

  watchConnection(bridge: string, connection: OpenFlowConnection, stopped: () => boolean): void {
    let lost = false;
    this.#cleanups.push(
      connection.onStatus((status) => {
        if (status.state === "disconnected" && !lost && !stopped()) {
          lost = true;
          this.#log.warn({ bridge, error: status.error.message }, "OpenFlow session lost; reconnecting");
        }
        if (status.state === "connected" && status.restarted) {
          lost = false;
          this.#metrics.reconnects.inc({ peer: "openflow" });
        }
      }),
    );
  }

  /** Logs each reconcile that changed something (repairs), by bridge. */
  watchReconciles(bridgeOf: (endpoint: string) => string | undefined): void {
    const listener = (message: unknown) => {
      const m = message as ReconcileMessage;
      const bridge = bridgeOf(m.endpoint);
      if (bridge === undefined || m.added + m.modified + m.deleted === 0) return;
      this.#log.info(
        { bridge, added: m.added, modified: m.modified, deleted: m.deleted, ms: Math.round(m.durationMs) },
        "bridge reprogrammed",
      );
    };
    reconcileChannel.subscribe(listener);
    this.#cleanups.push(() => void reconcileChannel.unsubscribe(listener));
  }
}
