/**
 * The agent's conversation with its server, kept alive for the agent's whole life: register and
 * heartbeat (report-state), a full sync, then the event stream — resumed from the last revision after a
 * break, and a full sync again when the server says the agent fell too far behind. While the server is
 * away nothing here blocks forwarding: the agent keeps what it has and this loop retries with backoff.
 */
import { backoffDelay, describeError, type Log, sleep } from "../../base/index.ts";
import {
  AGENT_TYPE_OVS,
  type AgentConfigurations,
  type EventPayload,
  type SyncResponse,
} from "../../protocol/index.ts";

import { type ServerClient, ServerRejectedError, ServerUnavailableError } from "./client.ts";

export interface SessionHandlers {
  /** A full snapshot arrived (first contact, after a gap, or after a resync notice). */
  onSync(snapshot: SyncResponse): Promise<void>;
  onEvent(event: EventPayload, revision: number): void;
  /** The server became reachable or unreachable. */
  onReachability(online: boolean): void;
  configurations(): AgentConfigurations;
}

const backoff = { initialMs: 200, maxMs: 10_000, factor: 2 };

export class ServerSession {
  readonly #client: ServerClient;
  readonly #handlers: SessionHandlers;
  readonly #log: Log;
  readonly #reportIntervalMs: number;
  readonly #stop = new AbortController();
  #registered = false;
  #online: boolean | undefined;
  #revision = 0;
  #heartbeat: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  reconnects = 0;

  constructor(client: ServerClient, handlers: SessionHandlers, log: Log, reportIntervalSeconds: number) {
    this.#client = client;
    this.#handlers = handlers;
    this.#log = log;
    this.#reportIntervalMs = reportIntervalSeconds * 1000;
  }

  get online(): boolean {
    return this.#online === true;
  }

  /**
   * One attempt at register + sync, for start-up: true if the snapshot was applied. Then (either way) the
   * long-lived loop takes over.
   */
  async first(): Promise<boolean> {
    try {
      await this.#syncOnce();
      return true;
    } catch (error) {
      this.#setOnline(false, error);
      return false;
    }
  }

  /** Starts the loop: stream (if the first sync worked) or retry sync, forever; heartbeats. */
  run(): void {
    this.#heartbeat = setInterval(() => void this.#beat(), this.#reportIntervalMs);
    this.#heartbeat.unref();
    this.#loop = this.#runLoop();
  }

  async close(): Promise<void> {
    this.#stop.abort();
    clearInterval(this.#heartbeat);
    await this.#loop?.catch(() => {});
  }

  async #runLoop(): Promise<void> {
    let attempt = 0;
    let needSync = !this.online;
    while (!this.#stop.signal.aborted) {
      try {
        if (needSync) {
          await this.#syncOnce();
          needSync = false;
        }
        const resync = await this.#follow(() => {
          attempt = 0;
        });
        if (resync) {
          this.#log.info({ revision: this.#revision }, "server asks for a full resync (events were pruned)");
          needSync = true;
        }
      } catch (error) {
        if (this.#stop.signal.aborted) return;
        this.#setOnline(false, error);
        // A break in the stream is resumed from the last revision; if the server was gone long enough
        // to prune those events, it will say "resync".
        if (error instanceof ServerRejectedError && error.status === 404) needSync = true;
        this.reconnects++;
        await sleep(backoffDelay(backoff, attempt++), undefined, { signal: this.#stop.signal }).catch(
          () => {},
        );
      }
    }
  }

  async #syncOnce(): Promise<void> {
    await this.#report();
    const snapshot = await this.#client.sync();
    this.#revision = snapshot.revision;
    this.#setOnline(true);
    await this.#handlers.onSync(snapshot);
  }

  /** Follows the stream until it ends; true if it ended with a resync notice. */
  async #follow(connected: () => void): Promise<boolean> {
    for await (const item of this.#client.stream(this.#revision, this.#stop.signal)) {
      connected();
      this.#setOnline(true);
      if (item.kind === "resync") return true;
      if (item.kind === "skipped") {
        this.#revision = item.revision;
        this.#log.debug(
          { kind: item.eventKind, revision: item.revision },
          "event of a kind this agent does not know: skipped",
        );
        continue;
      }
      this.#revision = item.event.revision;
      this.#handlers.onEvent(item.event.event, item.event.revision);
    }
    if (!this.#stop.signal.aborted)
      throw new ServerUnavailableError(this.#client.url, new Error("the server closed the event stream"));
    return false;
  }

  async #report(): Promise<void> {
    await this.#client.reportState({
      agent_type: AGENT_TYPE_OVS,
      binary: "weir-agent",
      configurations: this.#handlers.configurations(),
      start_flag: !this.#registered,
    });
    this.#registered = true;
  }

  async #beat(): Promise<void> {
    try {
      await this.#report();
    } catch (error) {
      this.#log.debug({ error: describeError(error) }, "heartbeat failed");
    }
  }

  #setOnline(online: boolean, error?: unknown): void {
    if (this.#online === online) return;
    this.#online = online;
    if (online) this.#log.info({ server: this.#client.url }, "server reachable");
    else
      this.#log.warn(
        { server: this.#client.url, error: describeError(error) },
        "server unreachable: forwarding continues with what OVS holds; retrying",
      );
    this.#handlers.onReachability(online);
  }
}
