/**
 * What the server has told this agent: its ports' details, the networks they are on, which hosts have
 * ports on each network (tunnel endpoints) and the other hosts' ports (fdb). Filled by a sync snapshot,
 * kept current by stream events; pure data, no I/O.
 */
import type { DeviceDetails, EventPayload, FdbEntry, NetworkInfo, SyncResponse } from "../protocol/index.ts";

export interface RemoteEndpoint {
  readonly host: string;
  readonly ip: string;
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
  /** The revision everything here is current to; 0 before the first sync. */
  revision = 0;
  /** True once a sync snapshot was applied: the maps are authoritative, not guesses from OVSDB. */
  synced = false;

  constructor(host: string) {
    this.host = host;
  }

  applySync(snapshot: SyncResponse): void {
    this.details.clear();
    this.unknown.clear();
    this.networks.clear();
    this.endpoints.clear();
    this.fdb.clear();
    for (const port of snapshot.ports) this.details.set(port.port_id, port);
    for (const network of snapshot.networks) this.networks.set(network.network_id, network);
    for (const { network_id, endpoints } of snapshot.endpoints)
      this.endpoints.set(network_id, toRemotes(endpoints));
    for (const entry of snapshot.fdb) this.fdb.set(entry.port_id, entry);
    this.revision = snapshot.revision;
    this.synced = true;
  }

  /** Seeds endpoints from what OVSDB remembers (tunnel ports' networks), until the first sync. */
  seedEndpoint(networkId: string, endpoint: RemoteEndpoint): void {
    if (this.synced) return;
    const list = this.endpoints.get(networkId) ?? [];
    if (!list.some((e) => e.ip === endpoint.ip)) list.push(endpoint);
    this.endpoints.set(networkId, list);
  }

  /** Applies one stream event (the converger's next pass works out what it changes). */
  applyEvent(event: EventPayload, revision: number): void {
    this.revision = Math.max(this.revision, revision);
    switch (event.kind) {
      case "port.updated":
        if (event.port.host === this.host) {
          this.details.set(event.port.port_id, event.port);
          this.unknown.delete(event.port.port_id);
        } else {
          this.#forget(event.port.port_id, `port is bound to host ${event.port.host}`);
        }
        return;
      case "port.deleted":
        this.#forget(event.port_id, "port was deleted");
        this.fdb.delete(event.port_id);
        return;
      case "port.unbound":
        this.#forget(event.port_id, "port is no longer bound to this host");
        return;
      case "network.updated":
        this.networks.set(event.network.network_id, event.network);
        return;
      case "network.deleted":
        this.networks.delete(event.network_id);
        this.endpoints.delete(event.network_id);
        return;
      case "endpoints.changed":
        this.endpoints.set(event.endpoints.network_id, toRemotes(event.endpoints.endpoints));
        return;
      case "fdb.updated":
        this.fdb.set(event.entry.port_id, event.entry);
        return;
      case "fdb.removed":
        this.fdb.delete(event.port_id);
        return;
    }
  }

  /** Records a details reply for ports this agent asked about. */
  applyDetails(
    devices: readonly DeviceDetails[],
    failed: readonly { port_id: string; reason: string }[],
  ): void {
    for (const port of devices) {
      this.details.set(port.port_id, port);
      this.unknown.delete(port.port_id);
    }
    for (const { port_id, reason } of failed) {
      this.details.delete(port_id);
      this.unknown.set(port_id, reason);
    }
  }

  #forget(portId: string, reason: string): void {
    this.details.delete(portId);
    this.unknown.set(portId, reason);
  }
}

function toRemotes(endpoints: readonly { host: string; tunneling_ip: string | null }[]): RemoteEndpoint[] {
  return endpoints.flatMap((e) => (e.tunneling_ip === null ? [] : [{ host: e.host, ip: e.tunneling_ip }]));
}
