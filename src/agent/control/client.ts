/**
 * The agent's side of the agent channel (docs/PROTOCOL.md): JSON requests, each with a deadline, and the
 * event stream with resumption. Every reply is validated with the protocol's schemas; a reply that does
 * not match is an error, never a guess.
 */
import type { z } from "zod";
import { WeirError } from "../../base/index.ts";
import {
  AgentRoutes,
  type DeviceDetailsResponse,
  DeviceDetailsResponse as DeviceDetailsResponseSchema,
  type DeviceStatusResponse,
  DeviceStatusResponse as DeviceStatusResponseSchema,
  parseStreamEvent,
  type ReportStateRequest,
  type ReportStateResponse,
  ReportStateResponse as ReportStateResponseSchema,
  ResyncNotice,
  SseParser,
  type StreamEvent,
  type SyncResponse,
  SyncResponse as SyncResponseSchema,
} from "../../protocol/index.ts";
import { type Credentials, isKeystoneError } from "./credentials.ts";

/** The server could not be reached, or did not answer in time: try again later. */
export class ServerUnavailableError extends WeirError {
  constructor(url: string, cause: unknown) {
    super("WEIR_SERVER_UNAVAILABLE", `server ${url} is unavailable: ${(cause as Error)?.message ?? cause}`, {
      cause,
    });
  }
}

/** The server answered with an error, or with something the protocol does not allow. */
export class ServerRejectedError extends WeirError {
  readonly status: number;

  constructor(what: string, status: number, detail: string) {
    super("WEIR_SERVER_REJECTED", `${what}: HTTP ${status}: ${detail}`);
    this.status = status;
  }
}

export type StreamItem =
  | { readonly kind: "event"; readonly event: StreamEvent }
  /** An event of a kind this agent does not know (a newer server's): skipped, its revision counted. */
  | { readonly kind: "skipped"; readonly revision: number; readonly eventKind: string }
  | { readonly kind: "resync"; readonly revision: number };

export interface ServerClientOptions {
  readonly url: string;
  readonly host: string;
  /** A static token (or none), or the agent's Keystone credentials (credentials.ts). */
  readonly credentials: Credentials;
  readonly requestTimeoutMs?: number;
}

/** Batches are capped by the protocol (1000 ids per request). */
export const DEVICE_BATCH = 1000;

export class ServerClient {
  readonly url: string;
  readonly host: string;
  readonly #credentials: Credentials;
  readonly #timeoutMs: number;

  constructor(options: ServerClientOptions) {
    this.url = options.url;
    this.host = options.host;
    this.#credentials = options.credentials;
    this.#timeoutMs = options.requestTimeoutMs ?? 10_000;
  }

  reportState(report: Omit<ReportStateRequest, "host">): Promise<ReportStateResponse> {
    return this.#post(AgentRoutes.reportState, { host: this.host, ...report }, ReportStateResponseSchema);
  }

  sync(): Promise<SyncResponse> {
    return this.#post(AgentRoutes.sync, { host: this.host }, SyncResponseSchema);
  }

  /** Details of any number of ports, in protocol-sized batches. */
  async deviceDetails(portIds: readonly string[]): Promise<DeviceDetailsResponse> {
    const devices: DeviceDetailsResponse["devices"] = [];
    const failed: DeviceDetailsResponse["failed"] = [];
    const policies: NonNullable<DeviceDetailsResponse["qos"]>["policies"] = [];
    const security: NonNullable<DeviceDetailsResponse["security_groups"]>[] = [];
    for (let i = 0; i < portIds.length; i += DEVICE_BATCH) {
      const reply = await this.#post(
        AgentRoutes.deviceDetails,
        { host: this.host, devices: portIds.slice(i, i + DEVICE_BATCH) },
        DeviceDetailsResponseSchema,
      );
      devices.push(...reply.devices);
      failed.push(...reply.failed);
      policies.push(...(reply.qos?.policies ?? []));
      if (reply.security_groups !== undefined) security.push(reply.security_groups);
    }
    return {
      devices,
      failed,
      ...(policies.length > 0 ? { qos: { policies } } : {}),
      ...(security.length > 0
        ? {
            security_groups: {
              groups: security.flatMap((s) => s.groups),
              members: security.flatMap((s) => s.members),
              address_groups: security.flatMap((s) => s.address_groups),
            },
          }
        : {}),
    };
  }

  async deviceStatus(up: readonly string[], down: readonly string[]): Promise<DeviceStatusResponse> {
    const updated: string[] = [];
    const failed: DeviceStatusResponse["failed"] = [];
    for (let i = 0; i < Math.max(up.length, down.length); i += DEVICE_BATCH) {
      const reply = await this.#post(
        AgentRoutes.deviceStatus,
        { host: this.host, up: up.slice(i, i + DEVICE_BATCH), down: down.slice(i, i + DEVICE_BATCH) },
        DeviceStatusResponseSchema,
      );
      updated.push(...reply.updated);
      failed.push(...reply.failed);
    }
    return { updated, failed };
  }

  /**
   * Streams events after `since` until the server ends the stream, `signal` aborts, or nothing (not even a
   * keepalive) arrives for `idleMs`. Each item is validated; the caller resumes from the last revision.
   */
  async *stream(since: number, signal: AbortSignal, idleMs = 45_000): AsyncGenerator<StreamItem> {
    const idle = new AbortController();
    const both = AbortSignal.any([signal, idle.signal]);
    let timer = setTimeout(() => idle.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
    };
    try {
      let response: Response;
      // The request timeout bounds the wait for the response headers only. A fetch signal stays attached
      // to the body, so AbortSignal.timeout() here would cut the stream itself after that long — every
      // 10 s, taking the agent offline each time (status reports held back until it reconnected).
      const connect = new AbortController();
      const connectTimer = setTimeout(
        () => connect.abort(new Error(`no response in ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
      try {
        response = await fetch(`${this.url}${AgentRoutes.stream}?host=${encodeURIComponent(this.host)}`, {
          headers: {
            ...(await this.#headers()),
            accept: "text/event-stream",
            "last-event-id": String(since),
          },
          signal: AbortSignal.any([both, connect.signal]),
        });
      } catch (cause) {
        if (signal.aborted) return;
        throw new ServerUnavailableError(this.url, cause);
      } finally {
        clearTimeout(connectTimer);
      }
      if (!response.ok || response.body === null) {
        if (response.status === 401) this.#credentials.refused();
        throw new ServerRejectedError("event stream", response.status, await response.text().catch(() => ""));
      }
      const parser = new SseParser();
      try {
        for await (const chunk of response.body.pipeThrough(new TextDecoderStream(), { signal: both })) {
          touch();
          for (const message of parser.push(chunk)) {
            const data = JSON.parse(message.data) as unknown;
            if (message.event === "resync") {
              yield { kind: "resync", revision: ResyncNotice.parse(data).revision };
              return;
            }
            const received = parseStreamEvent(data);
            yield received.known
              ? { kind: "event", event: received.event }
              : { kind: "skipped", revision: received.revision, eventKind: received.kind };
          }
        }
      } catch (cause) {
        if (signal.aborted) return;
        throw new ServerUnavailableError(this.url, cause);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** The auth header; a token Keystone cannot give now makes the server unavailable to us (retried). */
  async #headers(): Promise<Record<string, string>> {
    let token: string | undefined;
    try {
      token = await this.#credentials.token();
    } catch (cause) {
      if (isKeystoneError(cause)) throw new ServerUnavailableError(this.url, cause);
      throw cause;
    }
    return token === undefined ? {} : { "x-auth-token": token };
  }

  async #post<T>(path: string, body: unknown, schema: z.ZodType<T>): Promise<T> {
    let response: Response;
    for (let attempt = 0; ; attempt++) {
      const headers = await this.#headers();
      try {
        response = await fetch(`${this.url}${path}`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (cause) {
        throw new ServerUnavailableError(this.url, cause);
      }
      // A Keystone token the server refuses (revoked, expired early): a new one, once.
      if (response.status !== 401 || attempt > 0 || this.#credentials.kind !== "keystone") break;
      this.#credentials.refused();
      await response.body?.cancel();
    }
    let text: string;
    try {
      text = await response.text();
    } catch (cause) {
      throw new ServerUnavailableError(this.url, cause);
    }
    if (response.status >= 500)
      throw new ServerUnavailableError(this.url, new Error(`HTTP ${response.status} on ${path}`));
    if (!response.ok) throw new ServerRejectedError(path, response.status, errorDetail(text));
    const parsed = schema.safeParse(safeJson(text));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ServerRejectedError(
        path,
        response.status,
        `reply does not match the protocol: ${issue.path.join(".")}: ${issue.message}`,
      );
    }
    return parsed.data;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorDetail(text: string): string {
  const body = safeJson(text) as { NeutronError?: { message?: string } } | undefined;
  return body?.NeutronError?.message ?? text.slice(0, 200);
}
