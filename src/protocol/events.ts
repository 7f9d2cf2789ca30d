/**
 * Change events on the agent stream (GET /agent/v1/stream, Server-Sent Events). Every event carries the
 * revision it was committed at; an agent resumes with Last-Event-ID and misses nothing, or is told to
 * resync when the server no longer holds the events it missed.
 */
import { z } from "zod";
import { DeviceDetails, FdbEntry, NetworkEndpoints, NetworkInfo } from "./agent-messages.ts";

export const PortUpdated = z.object({ kind: z.literal("port.updated"), port: DeviceDetails }).strict();
export const PortDeleted = z
  .object({ kind: z.literal("port.deleted"), port_id: z.string(), network_id: z.string(), host: z.string() })
  .strict();
/** A port that was bound to this host is now bound elsewhere (or unbound): unwire it. */
export const PortUnbound = z
  .object({ kind: z.literal("port.unbound"), port_id: z.string(), network_id: z.string(), host: z.string() })
  .strict();
export const NetworkUpdated = z.object({ kind: z.literal("network.updated"), network: NetworkInfo }).strict();
export const NetworkDeleted = z
  .object({ kind: z.literal("network.deleted"), network_id: z.string() })
  .strict();
/** A bound port appeared or changed (any host): its MAC and IPs, for ARP responders. */
export const FdbUpdated = z.object({ kind: z.literal("fdb.updated"), entry: FdbEntry }).strict();
export const FdbRemoved = z
  .object({ kind: z.literal("fdb.removed"), port_id: z.string(), network_id: z.string() })
  .strict();
export const EndpointsChanged = z
  .object({ kind: z.literal("endpoints.changed"), endpoints: NetworkEndpoints })
  .strict();

export const EventPayload = z.discriminatedUnion("kind", [
  PortUpdated,
  PortDeleted,
  PortUnbound,
  NetworkUpdated,
  NetworkDeleted,
  EndpointsChanged,
  FdbUpdated,
  FdbRemoved,
]);
export type EventPayload = z.infer<typeof EventPayload>;

/** An event as streamed: the payload plus its revision (also the SSE id). */
export const StreamEvent = z.object({ revision: z.number().int().positive(), event: EventPayload }).strict();
export type StreamEvent = z.infer<typeof StreamEvent>;

/** Sent instead of events when the agent is too far behind: it must POST /agent/v1/sync and reconnect. */
export const ResyncNotice = z
  .object({ kind: z.literal("resync"), revision: z.number().int().min(0) })
  .strict();
export type ResyncNotice = z.infer<typeof ResyncNotice>;
