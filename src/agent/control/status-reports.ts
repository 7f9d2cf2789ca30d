/**
 * Port status reports to the server (ports wired: ACTIVE; unwired: DOWN), queued and sent in batches.
 * A port reported twice before a send is reported once, as its latest state. While the server is away the
 * queue waits; it is sent when the server is back or with the next report — never lost, never hammered.
 */
import { describeError, type Log } from "../../base/index.ts";
import type { ServerClient } from "./client.ts";

export class StatusReports {
  readonly #client: Pick<ServerClient, "deviceStatus">;
  readonly #log: Log;
  readonly #isOnline: () => boolean;
  readonly #up = new Set<string>();
  readonly #down = new Set<string>();
  #sending = false;

  constructor(client: Pick<ServerClient, "deviceStatus">, log: Log, isOnline: () => boolean) {
    this.#client = client;
    this.#log = log;
    this.#isOnline = isOnline;
  }

  queue(portId: string, up: boolean): void {
    (up ? this.#up : this.#down).add(portId);
    (up ? this.#down : this.#up).delete(portId);
  }

  get pending(): number {
    return this.#up.size + this.#down.size;
  }

  /** Sends what is queued, unless a send is in flight or the server is away. */
  async flush(): Promise<void> {
    if (this.#sending || !this.#isOnline() || this.pending === 0) return;
    this.#sending = true;
    const up = [...this.#up];
    const down = [...this.#down];
    this.#up.clear();
    this.#down.clear();
    let sent = false;
    try {
      const reply = await this.#client.deviceStatus(up, down);
      sent = true;
      if (reply.failed.length > 0)
        this.#log.debug({ failed: reply.failed }, "server did not take some port status reports");
    } catch (error) {
      for (const id of up) if (!this.#down.has(id)) this.#up.add(id);
      for (const id of down) if (!this.#up.has(id)) this.#down.add(id);
      this.#log.debug({ error: describeError(error) }, "port status report failed; will retry");
    } finally {
      this.#sending = false;
    }
    // Reports queued while this one was in flight go now, not with some later, unrelated change (a port
    // wired on a quiet host would otherwise wait to show ACTIVE). After a failure they wait for the next
    // flush or the server's return, so an unreachable server is not hammered.
    if (sent && this.pending > 0) await this.flush();
  }
}
