/**
 * Change events on the agent stream (GET /agent/v1/stream, Server-Sent Events). Every event carries the
 * revision it was committed at; an agent resumes with Last-Event-ID and misses nothing, or is told to
 * resync when the server no longer holds the events it missed. Events tolerate unknown keys, and an agent
 * skips (but counts as seen) an event of a kind it does not know: a newer server may add kinds.
 */
import { z } from "zod";
import { DeviceDetails, FdbEntry, NetworkEndpoints, NetworkInfo } from "./agent-messages.ts";
import { DhcpSubnetInfo } from "./dhcp.ts";
import { QosPolicyInfo } from "./qos.ts";
import { AddressGroupInfo, GroupMember, SecurityGroupInfo } from "./security-groups.ts";
import { uuid } from "./values.ts";

export const PortUpdated = z.object({ kind: z.literal("port.updated"), port: DeviceDetails });
export const PortDeleted = z.object({
  kind: z.literal("port.deleted"),
  port_id: z.string(),
  network_id: z.string(),
  host: z.string(),
});
/** A port that was bound to this host is now bound elsewhere (or unbound): unwire it. */
export const PortUnbound = z.object({
  kind: z.literal("port.unbound"),
  port_id: z.string(),
  network_id: z.string(),
  host: z.string(),
});
export const NetworkUpdated = z.object({ kind: z.literal("network.updated"), network: NetworkInfo });
export const NetworkDeleted = z.object({ kind: z.literal("network.deleted"), network_id: z.string() });
/** A bound port appeared or its host, MAC or addresses changed (any host): ARP responders, l2-population. */
export const FdbUpdated = z.object({ kind: z.literal("fdb.updated"), entry: FdbEntry });
export const FdbRemoved = z.object({
  kind: z.literal("fdb.removed"),
  port_id: z.string(),
  network_id: z.string(),
});
export const EndpointsChanged = z.object({
  kind: z.literal("endpoints.changed"),
  endpoints: NetworkEndpoints,
});
/** A QoS policy used by this host's ports, new or changed (agents that declared `qos` only). */
export const QosPolicyUpdated = z.object({ kind: z.literal("qos.policy.updated"), policy: QosPolicyInfo });
export const QosPolicyDeleted = z.object({ kind: z.literal("qos.policy.deleted"), policy_id: uuid });

/** A group a local port is in, new to this host or with changed rules or statefulness (firewall agents). */
export const SecurityGroupUpdated = z.object({
  kind: z.literal("security_group.updated"),
  group: SecurityGroupInfo,
});
export const SecurityGroupDeleted = z.object({ kind: z.literal("security_group.deleted"), group_id: uuid });
/** A remote group's full member list, for a host that did not hold it yet (firewall agents). */
export const GroupMembersSet = z.object({
  kind: z.literal("group_members.set"),
  group_id: uuid,
  members: z.array(GroupMember),
});
/** Addresses that joined or left a remote group this host holds (firewall agents). */
export const GroupMembersChanged = z.object({
  kind: z.literal("group_members.changed"),
  group_id: uuid,
  added: z.array(GroupMember),
  removed: z.array(GroupMember),
});
/** An address group a local port's rule names, new to this host or changed (firewall agents). */
export const AddressGroupUpdated = z.object({
  kind: z.literal("address_group.updated"),
  address_group: AddressGroupInfo,
});

/** A subnet of this host's ports, new to it or changed (agents that declared `dhcp` only). */
export const DhcpSubnetUpdated = z.object({ kind: z.literal("dhcp.subnet.updated"), subnet: DhcpSubnetInfo });
/** A subnet this host held is gone (deleted, or none of its ports are on it any more). */
export const DhcpSubnetDeleted = z.object({ kind: z.literal("dhcp.subnet.deleted"), subnet_id: uuid });

export const EventPayload = z.discriminatedUnion("kind", [
  PortUpdated,
  PortDeleted,
  PortUnbound,
  NetworkUpdated,
  NetworkDeleted,
  EndpointsChanged,
  FdbUpdated,
  FdbRemoved,
  QosPolicyUpdated,
  QosPolicyDeleted,
  SecurityGroupUpdated,
  SecurityGroupDeleted,
  GroupMembersSet,
  GroupMembersChanged,
  AddressGroupUpdated,
  DhcpSubnetUpdated,
  DhcpSubnetDeleted,
]);
export type EventPayload = z.infer<typeof EventPayload>;
export type EventKind = EventPayload["kind"];

const eventKinds = new Set<string>(EventPayload.options.map((o) => o.shape.kind.value));

/** An event as streamed: the payload plus its revision (also the SSE id). */
export const StreamEvent = z.object({ revision: z.number().int().positive(), event: EventPayload });
export type StreamEvent = z.infer<typeof StreamEvent>;

/** What an agent makes of one stream message: an event it knows, or one it skips (a newer kind). */
export type ReceivedEvent =
  | { readonly known: true; readonly event: StreamEvent }
  | { readonly known: false; readonly revision: number; readonly kind: string };

const Envelope = z.object({
  revision: z.number().int().positive(),
  event: z.object({ kind: z.string() }).loose(),
});

/** Parses a stream message's data; throws (zod) only if the envelope or a known kind is malformed. */
export function parseStreamEvent(data: unknown): ReceivedEvent {
  const envelope = Envelope.parse(data);
  if (!eventKinds.has(envelope.event.kind))
    return { known: false, revision: envelope.revision, kind: envelope.event.kind };
  return { known: true, event: StreamEvent.parse(data) };
}

/** Sent instead of events when the agent is too far behind: it must POST /agent/v1/sync and reconnect. */
export const ResyncNotice = z.object({ kind: z.literal("resync"), revision: z.number().int().min(0) });
export type ResyncNotice = z.infer<typeof ResyncNotice>;
