/**
 * Asking the server for the details of ports it did not tell about yet (a VIF plugged before its port
 * was bound here, or bound while the agent was away): once per port while a request is in flight; the
 * answer comes back as a server change like any other.
 */
import { describeError, type Log } from "../../base/index.ts";
import type { DeviceDetailsResponse } from "../../protocol/index.ts";
import type { ControlChange, ControlState } from "../control/state.ts";
import type { VifDecision } from "../ports/decisions.ts";
import type { Decided } from "./decide.ts";

export interface DetailsSource {
  deviceDetails(ids: readonly string[]): Promise<DeviceDetailsResponse>;
}

export class DetailsRequests {
  readonly #inFlight = new Set<string>();
  readonly #server: DetailsSource;
  readonly #control: ControlState;
  readonly #log: Log;
  readonly #onChange: (change: ControlChange) => void;

  constructor(
    server: DetailsSource,
    control: ControlState,
    log: Log,
    onChange: (change: ControlChange) => void,
  ) {
    this.#server = server;
    this.#control = control;
    this.#log = log;
    this.#onChange = onChange;
  }

  /** Asks for the ports of VIFs parked dead while waiting for their details. */
  request(decided: ReadonlyMap<string, Decided>, decisions: ReadonlyMap<string, VifDecision>): void {
    if (!this.#control.synced) return;
    const wanted: string[] = [];
    for (const d of decided.values()) {
      const decision = decisions.get(d.iface)!;
      if (decision.kind !== "dead" || !decision.waiting || d.observation.kind !== "vif") continue;
      if (this.#inFlight.has(d.observation.portId)) continue;
      wanted.push(d.observation.portId);
    }
    if (wanted.length === 0) return;
    for (const id of wanted) this.#inFlight.add(id);
    void this.#server
      .deviceDetails(wanted)
      .then(
        (reply) => this.#onChange(this.#control.applyDetails(reply.devices, reply.failed, reply)),
        (error) =>
          this.#log.warn(
            { error: describeError(error), ports: wanted.length },
            "port details request failed",
          ),
      )
      .finally(() => {
        for (const id of wanted) this.#inFlight.delete(id);
      });
  }
}
