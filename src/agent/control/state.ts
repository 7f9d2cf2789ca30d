/**
 * What the server has told this agent: its ports' details, the networks they are on, which hosts have
 * ports on each network (tunnel endpoints), the other hosts' ports (fdb) and the sections its features
 * read (QoS policies). Filled by a sync snapshot, kept current by stream events; pure data, no I/O. Every
 * change says what it changed — and only what the agent's forwarding reads, so that a port going ACTIVE
 * (its status, its revision) or an event repeating what is known triggers nothing.
 */
import type {
  DeviceDetails,
  DeviceDetailsResponse,
  DhcpSection,
  EventPayload,
  FdbEntry,
  GroupMember,
  NetworkInfo,
  SecurityGroupsSection,
  SyncResponse,
} from "../../protocol/index.ts";
import { Section } from "../../protocol/index.ts";

export interface RemoteEndpoint {
  readonly host: string;
  readonly ip: string;
}

/** What a change touched. `full`: everything may have (a sync replaced the state). */
export interface ControlChange {
  readonly full: boolean;
  /** Ports bound here whose details (as wiring reads them) or verdict changed. */
  readonly ports: ReadonlySet<string>;
  readonly networks: ReadonlySet<string>;
  /** Networks whose endpoint list changed. */
  readonly endpoints: ReadonlySet<string>;
  /** Other hosts' ports (fdb entries) that appeared, changed or went. */
  readonly remotePorts: ReadonlySet<string>;
  /** "<section>/<key>" of section objects that changed ("qos/<policy id>"). */
  readonly sections: ReadonlySet<string>;
}

export const noChange: ControlChange = {
  full: false,
  ports: new Set(),
  networks: new Set(),
  endpoints: new Set(),
  remotePorts: new Set(),
  sections: new Set(),
};

export function isEmptyChange(c: ControlChange): boolean {
  return (
    !c.full && c.ports.size + c.networks.size + c.endpoints.size + c.remotePorts.size + c.sections.size === 0
  );
}

export class ControlState {
  readonly host: string;
  /** Ports bound to this host, by port id. */
  readonly details = new Map<string, DeviceDetails>();
  /** Ports the server says are not bound here (or do not exist), with its reason. */
  readonly unknown = new Map<string, string>();
  readonly networks = new Map<string, NetworkInfo>();
  /** network → hosts with ports on it and their tunnel endpoints. */
  readonly endpoints = new Map<string, RemoteEndpoint[]>();
  readonly fdb = new Map<string, FdbEntry>();
  readonly #fdbByNetwork = new Map<string, Set<string>>();
  readonly #sections = new Map<string, Map<string, unknown>>();
  /** The revision everything here is current to; 0 before the first sync. */
  revision = 0;
  /** True once a sync snapshot was applied: the maps are authoritative, not guesses from OVSDB. */
  synced = false;

  constructor(host: string) {
    this.host = host;
  }

  /** Other hosts' ports on a network. */
  remotePortsOf(networkId: string): ReadonlySet<string> {
    return this.#fdbByNetwork.get(networkId) ?? new Set();
  }

  section<T>(name: string, key: string): T | undefined {
    return this.#sections.get(name)?.get(key) as T | undefined;
  }

  applySync(snapshot: SyncResponse): ControlChange {
    this.details.clear();
    this.unknown.clear();
    this.networks.clear();
    this.endpoints.clear();
    this.fdb.clear();
    this.#fdbByNetwork.clear();
    this.#sections.clear();
    for (const port of snapshot.ports) this.details.set(port.port_id, port);
    for (const network of snapshot.networks) this.networks.set(network.network_id, network);
    for (const { network_id, endpoints } of snapshot.endpoints)
      this.endpoints.set(network_id, toRemotes(endpoints));
    for (const entry of snapshot.fdb) this.#setFdb(entry);
    for (const policy of snapshot.qos?.policies ?? [])
      this.#setSection(Section.qos, policy.policy_id, policy);
    this.#setSecurityGroups(snapshot.security_groups);
    this.#setDhcp(snapshot.dhcp);
    this.revision = snapshot.revision;
    this.synced = true;
    return { ...noChange, full: true };
  }

  /** Seeds endpoints from what OVSDB remembers (tunnel ports' networks), until the first sync. */
  seedEndpoint(networkId: string, endpoint: RemoteEndpoint): void {
    if (this.synced) return;
    const list = this.endpoints.get(networkId) ?? [];
    if (!list.some((e) => e.ip === endpoint.ip)) list.push(endpoint);
    this.endpoints.set(networkId, list);
  }

  /** Applies one stream event; says what it changed (nothing, if it repeats what is known). */
  applyEvent(event: EventPayload, revision: number): ControlChange {
    this.revision = Math.max(this.revision, revision);
    switch (event.kind) {
      case "port.updated":
        if (event.port.host !== this.host)
          return this.#forget(event.port.port_id, `port is bound to host ${event.port.host}`);
        return this.#setDetails(event.port);
      case "port.deleted": {
        const change = this.#forget(event.port_id, "port was deleted");
        return this.#deleteFdb(event.port_id) ? { ...change, remotePorts: new Set([event.port_id]) } : change;
      }
      case "port.unbound":
        return this.#forget(event.port_id, "port is no longer bound to this host");
      case "network.updated": {
        const before = this.networks.get(event.network.network_id);
        this.networks.set(event.network.network_id, event.network);
        return sameJson(before, event.network)
          ? noChange
          : { ...noChange, networks: new Set([event.network.network_id]) };
      }
      case "network.deleted":
        this.networks.delete(event.network_id);
        this.endpoints.delete(event.network_id);
        return { ...noChange, networks: new Set([event.network_id]), endpoints: new Set([event.network_id]) };
      case "endpoints.changed": {
        const id = event.endpoints.network_id;
        const next = toRemotes(event.endpoints.endpoints);
        const before = this.endpoints.get(id);
        this.endpoints.set(id, next);
        return sameJson(before, next) ? noChange : { ...noChange, endpoints: new Set([id]) };
      }
      case "fdb.updated": {
        const before = this.fdb.get(event.entry.port_id);
        this.#setFdb(event.entry);
        return sameJson(before, event.entry)
          ? noChange
          : { ...noChange, remotePorts: new Set([event.entry.port_id]) };
      }
      case "fdb.removed":
        return this.#deleteFdb(event.port_id)
          ? { ...noChange, remotePorts: new Set([event.port_id]) }
          : noChange;
      case "qos.policy.updated":
        return this.#setSection(Section.qos, event.policy.policy_id, event.policy);
      case "qos.policy.deleted":
        return this.#deleteSection(Section.qos, event.policy_id);
      case "security_group.updated":
        return this.#setSection(Section.securityGroup, event.group.group_id, event.group);
      case "security_group.deleted":
        return this.#deleteSection(Section.securityGroup, event.group_id);
      case "group_members.set":
        return this.#setSection(Section.groupMembers, event.group_id, sortedMembers(event.members));
      case "group_members.changed": {
        const held = this.section<readonly GroupMember[]>(Section.groupMembers, event.group_id);
        // A delta for a group this agent does not hold (it holds every group its ports' rules name):
        // nothing to apply it to; the next set or sync brings the list.
        if (held === undefined) return noChange;
        // A delta touches a few members of a list of thousands: apply it without re-sorting or
        // comparing the whole list (issue 11's member change is measured per address).
        // The list is sorted by key: presence, removal and insertion are binary searches.
        const has = (list: readonly GroupMember[], k: string) => {
          const i = insertionPoint(list, k);
          return i < list.length && memberKey(list[i]!) === k;
        };
        const gone = new Set(event.removed.map(memberKey).filter((k) => has(held, k)));
        const added = event.added.filter((m, i, all) => {
          const k = memberKey(m);
          return (!has(held, k) || gone.has(k)) && all.findIndex((x) => memberKey(x) === k) === i;
        });
        if (gone.size === 0 && added.length === 0) return noChange;
        const next = [...held];
        for (const k of gone) while (has(next, k)) next.splice(insertionPoint(next, k), 1);
        for (const m of added) next.splice(insertionPoint(next, memberKey(m)), 0, m);
        return this.#putSection(Section.groupMembers, event.group_id, next);
      }
      case "address_group.updated":
        return this.#setSection(
          Section.addressGroup,
          event.address_group.address_group_id,
          event.address_group,
        );
      case "dhcp.subnet.updated":
        return this.#setSection(Section.dhcpSubnet, event.subnet.subnet_id, event.subnet);
      case "dhcp.subnet.deleted":
        return this.#deleteSection(Section.dhcpSubnet, event.subnet_id);
    }
  }

  /** Records a details reply for ports this agent asked about (its sections before its ports). */
  applyDetails(
    devices: readonly DeviceDetails[],
    failed: readonly { port_id: string; reason: string }[],
    reply: Pick<DeviceDetailsResponse, "qos" | "security_groups" | "dhcp"> = {},
  ): ControlChange {
    const sections = new Set<string>();
    for (const policy of reply.qos?.policies ?? [])
      for (const key of this.#setSection(Section.qos, policy.policy_id, policy).sections) sections.add(key);
    for (const key of this.#setSecurityGroups(reply.security_groups)) sections.add(key);
    for (const key of this.#setDhcp(reply.dhcp)) sections.add(key);
    const ports = new Set<string>();
    for (const port of devices) for (const id of this.#setDetails(port).ports) ports.add(id);
    for (const { port_id, reason } of failed)
      for (const id of this.#forget(port_id, reason).ports) ports.add(id);
    return { ...noChange, ports, sections };
  }

  /** Forgets "not bound here" verdicts about ports no VIF here claims (they would only grow). */
  pruneUnknown(claimed: (portId: string) => boolean): void {
    for (const id of [...this.unknown.keys()]) if (!claimed(id)) this.unknown.delete(id);
  }

  #setDetails(port: DeviceDetails): ControlChange {
    const before = this.details.get(port.port_id);
    this.details.set(port.port_id, port);
    const wasUnknown = this.unknown.delete(port.port_id);
    return !wasUnknown && before !== undefined && sameWiring(before, port)
      ? noChange
      : { ...noChange, ports: new Set([port.port_id]) };
  }

  #forget(portId: string, reason: string): ControlChange {
    const had = this.details.delete(portId);
    const before = this.unknown.get(portId);
    this.unknown.set(portId, reason);
    return !had && before === reason ? noChange : { ...noChange, ports: new Set([portId]) };
  }

  #setFdb(entry: FdbEntry): void {
    const before = this.fdb.get(entry.port_id);
    if (before !== undefined && before.network_id !== entry.network_id)
      this.#fdbByNetwork.get(before.network_id)?.delete(entry.port_id);
    this.fdb.set(entry.port_id, entry);
    const set = this.#fdbByNetwork.get(entry.network_id) ?? new Set<string>();
    set.add(entry.port_id);
    this.#fdbByNetwork.set(entry.network_id, set);
  }

  #deleteFdb(portId: string): boolean {
    const before = this.fdb.get(portId);
    if (before === undefined) return false;
    this.fdb.delete(portId);
    this.#fdbByNetwork.get(before.network_id)?.delete(portId);
    return true;
  }

  #setSection(name: string, key: string, value: unknown): ControlChange {
    const section = this.#sections.get(name) ?? new Map<string, unknown>();
    this.#sections.set(name, section);
    const before = section.get(key);
    section.set(key, value);
    return sameJson(before, value) ? noChange : { ...noChange, sections: new Set([`${name}/${key}`]) };
  }

  /** Records a security_groups section (sync or details); says which section objects changed. */
  #setSecurityGroups(section: SecurityGroupsSection | undefined): Set<string> {
    const changed = new Set<string>();
    if (section === undefined) return changed;
    const put = (name: string, key: string, value: unknown) => {
      for (const k of this.#setSection(name, key, value).sections) changed.add(k);
    };
    for (const group of section.groups) put(Section.securityGroup, group.group_id, group);
    for (const { group_id, members } of section.members)
      put(Section.groupMembers, group_id, sortedMembers(members));
    for (const ag of section.address_groups) put(Section.addressGroup, ag.address_group_id, ag);
    return changed;
  }

  /** Records a dhcp section (sync or details); says which subnets changed. */
  #setDhcp(section: DhcpSection | undefined): Set<string> {
    const changed = new Set<string>();
    for (const subnet of section?.subnets ?? [])
      for (const k of this.#setSection(Section.dhcpSubnet, subnet.subnet_id, subnet).sections) changed.add(k);
    return changed;
  }

  /** The keys held in a section ("security_group": the group ids). */
  sectionKeys(name: string): string[] {
    return [...(this.#sections.get(name)?.keys() ?? [])];
  }

  /** Sets a section object known to differ from what is held (no comparison). */
  #putSection(name: string, key: string, value: unknown): ControlChange {
    const section = this.#sections.get(name) ?? new Map<string, unknown>();
    this.#sections.set(name, section);
    section.set(key, value);
    return { ...noChange, sections: new Set([`${name}/${key}`]) };
  }

  #deleteSection(name: string, key: string): ControlChange {
    return this.#sections.get(name)?.delete(key)
      ? { ...noChange, sections: new Set([`${name}/${key}`]) }
      : noChange;
  }
}

/** The fields of a port's details that wiring and features read: all but its status and revision. */
function sameWiring(a: DeviceDetails, b: DeviceDetails): boolean {
  const { status: _s1, revision_number: _r1, ...x } = a;
  const { status: _s2, revision_number: _r2, ...y } = b;
  return sameJson(x, y);
}

const memberKey = (m: GroupMember) => `${m.ip_address} ${m.mac_address}`;

/** Where a member with this key goes in a list sorted by key (binary search). */
function insertionPoint(sorted: readonly GroupMember[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (memberKey(sorted[mid]!) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Members in one order, whatever order the server sent them in: equal lists compare equal. */
function sortedMembers(members: readonly GroupMember[]): GroupMember[] {
  return [...members].sort((a, b) =>
    memberKey(a) < memberKey(b) ? -1 : memberKey(a) > memberKey(b) ? 1 : 0,
  );
}

function sameJson(a: unknown, b: unknown): boolean {
  return a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

function toRemotes(endpoints: readonly { host: string; tunneling_ip: string | null }[]): RemoteEndpoint[] {
  return endpoints.flatMap((e) => (e.tunneling_ip === null ? [] : [{ host: e.host, ip: e.tunneling_ip }]));
}
