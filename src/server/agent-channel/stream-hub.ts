/**
 * Fans committed events out to the agents' Server-Sent Event streams. One reader follows the event log
 * for everyone (one query per commit, not one per agent); each connection first catches up on its own
 * from the revision it resumes at, then joins the live set. An agent whose revision was pruned from the
 * log gets a "resync" notice and must re-read its state (POST /agent/v1/sync).
 */
import type { ServerResponse } from "node:http";
import type { AddressedEvent, Store } from "../store/index.ts";

interface Subscriber {
  readonly host: string;
  readonly res: ServerResponse;
  revision: number;
}

const BATCH = 5_000;

export class StreamHub {
  readonly #store: Store;
  readonly #live = new Set<Subscriber>();
  readonly #all = new Set<Subscriber>();
  #followed = 0;
  #closed = false;
  readonly #onError: ((error: unknown) => void) | undefined;
  #pumping = false;
  #again = false;
  readonly #keepalive: NodeJS.Timeout;
  readonly #off: () => void;

  constructor(
    store: Store,
    initialRevision: number,
    keepaliveMs = 15_000,
    onError?: (error: unknown) => void,
  ) {
    this.#store = store;
    this.#onError = onError;
    this.#followed = initialRevision;
    this.#off = store.onCommit(() => this.#pump());
    this.#keepalive = setInterval(() => {
      for (const s of this.#all) s.res.write(": keepalive\n\n");
    }, keepaliveMs);
    this.#keepalive.unref();
  }

  get connected(): number {
    return this.#all.size;
  }

  /** How far the slowest connected agent is behind the newest followed revision. */
  get lag(): number {
    let lag = 0;
    for (const s of this.#all) lag = Math.max(lag, this.#followed - s.revision);
    return lag;
  }

  /** Serves one agent's stream from `since` until the client goes away. */
  async serve(host: string, since: number, res: ServerResponse): Promise<void> {
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write("retry: 1000\n\n");
    const subscriber: Subscriber = { host, res, revision: since };
    this.#all.add(subscriber);
    res.on("close", () => {
      this.#all.delete(subscriber);
      this.#live.delete(subscriber);
    });
    // Catch up alone until level with the shared reader, then join it (a synchronous check, so no
    // event can fall between the two).
    for (;;) {
      const batch = await this.#store.eventsSince(subscriber.revision, host, BATCH);
      if (res.destroyed) return;
      if (batch.gap) {
        res.end(`event: resync\ndata: ${JSON.stringify({ kind: "resync", revision: batch.latest })}\n\n`);
        return;
      }
      for (const event of batch.events) this.#send(subscriber, event);
      // A short batch holds every event for this host up to `latest` (read in one snapshot).
      if (batch.events.length < BATCH) subscriber.revision = Math.max(subscriber.revision, batch.latest);
      if (subscriber.revision >= this.#followed && batch.events.length < BATCH) {
        this.#live.add(subscriber);
        return;
      }
    }
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#keepalive);
    this.#off();
    for (const s of this.#all) s.res.end();
  }

  #send(s: Subscriber, event: AddressedEvent): void {
    if (event.revision <= s.revision) return;
    s.revision = event.revision;
    if (event.host !== null && event.host !== s.host) return;
    s.res.write(
      `id: ${event.revision}\nevent: ${event.event.kind}\ndata: ${JSON.stringify({ revision: event.revision, event: event.event })}\n\n`,
    );
  }

  /** Reads what was committed since the last pump and hands it to every live subscriber. */
  #pump(): void {
    if (this.#closed) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    void (async () => {
      try {
        do {
          this.#again = false;
          for (;;) {
            const batch = await this.#store.eventsSince(this.#followed, "*", BATCH);
            for (const event of batch.events) {
              for (const s of this.#live) this.#send(s, event);
              this.#followed = event.revision;
            }
            if (batch.events.length < BATCH) {
              this.#followed = Math.max(this.#followed, batch.latest);
              break;
            }
          }
        } while (this.#again && !this.#closed);
      } catch (error) {
        // The store went away under us (shutdown) or failed: the next commit pumps again, and agents
        // that missed events resume from their own revision when they reconnect.
        if (!this.#closed) this.#onError?.(error);
      } finally {
        this.#pumping = false;
      }
    })();
  }
}
