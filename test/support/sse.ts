// A small Server-Sent Events reader for tests: connects, collects events, can be dropped and resumed.
import { SseParser } from "../../src/protocol/index.ts";
export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: any;
}

export interface SseStream {
  readonly events: SseEvent[];
  /** Resolves when `count` events have arrived (or rejects after timeoutMs). */
  waitFor(count: number, timeoutMs?: number): Promise<SseEvent[]>;
  readonly ended: Promise<void>;
  close(): void;
}

export function openSse(url: string, headers: Record<string, string> = {}): SseStream {
  const controller = new AbortController();
  const events: SseEvent[] = [];
  const waiters: (() => void)[] = [];
  const ended = (async () => {
    try {
      const response = await fetch(url, {
        headers: { accept: "text/event-stream", ...headers },
        signal: controller.signal,
      });
      if (!response.ok || response.body === null)
        throw new Error(`stream answered ${response.status}: ${await response.text()}`);
      const decoder = new TextDecoder();
      const parser = new SseParser();
      for await (const chunk of response.body) {
        for (const m of parser.push(decoder.decode(chunk, { stream: true }))) {
          events.push({ id: m.id, event: m.event, data: JSON.parse(m.data) });
          for (const w of waiters.splice(0)) w();
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      for (const w of waiters.splice(0)) w();
    }
  })();
  ended.catch(() => {});
  return {
    events,
    ended,
    close: () => controller.abort(),
    waitFor: async (count, timeoutMs = 5_000) => {
      const deadline = Date.now() + timeoutMs;
      while (events.length < count) {
        if (Date.now() > deadline)
          throw new Error(
            `only ${events.length} of ${count} events arrived: ${JSON.stringify(events.map((e) => e.event))}`,
          );
        await Promise.race([
          new Promise<void>((r) => waiters.push(r)),
          new Promise((r) => setTimeout(r, 50)),
        ]);
      }
      return events.slice(0, count);
    },
  };
}
