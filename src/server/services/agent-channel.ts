/** What agents ask of the server: device details, status reports, a consistent snapshot. */
import type {
  DeviceDetails,
  DeviceDetailsResponse,
  DeviceStatusResponse,
  SyncResponse,
} from "../../protocol/index.ts";
import { type NetworkRow, type PortRow, timestamp } from "../rows.ts";
import { deviceDetails, networkInfo } from "../views.ts";
import type { Queryable, ServiceContext, WriteTx } from "./context.ts";
import { emitPortChange, endpointsOf, fdbEntry } from "./events.ts";
import { allocationsByPort } from "./lookups.ts";
import { writePort } from "./ports.ts";

export async function devicesDetails(
  q: Queryable,
  host: string,
  ids: readonly string[],
): Promise<DeviceDetailsResponse> {
  const devices: DeviceDetails[] = [];
  const failed: { port_id: string; reason: string }[] = [];
  const unique = [...new Set(ids)];
  const ports = new Map<string, PortRow>();
  for (let i = 0; i < unique.length; i += 500) {
    const chunk = unique.slice(i, i + 500);
    for (const p of await q.all<PortRow>(
      `SELECT * FROM ports WHERE id IN (${chunk.map(() => "?").join(",")})`,
      chunk,
    ))
      ports.set(p.id, p);
  }
  const allocations = await allocationsByPort(q, [...ports.keys()]);
  const networks = new Map<string, NetworkRow>();
  for (const id of unique) {
    const port = ports.get(id);
    if (port === undefined) {
      failed.push({ port_id: id, reason: "no such port" });
      continue;
    }
    if (port.binding_host_id !== host || port.binding_vif_type !== "ovs") {
      failed.push({
        port_id: id,
        reason: `not bound to ${host} (host "${port.binding_host_id}", vif_type ${port.binding_vif_type})`,
      });
      continue;
    }
    let network = networks.get(port.network_id);
    if (network === undefined) {
      network = (await q.get<NetworkRow>("SELECT * FROM networks WHERE id = ?", [port.network_id]))!;
      networks.set(network.id, network);
    }
    devices.push(deviceDetails(port, network, allocations.get(id) ?? []));
  }
  return { devices, failed };
}

/** The agent wired (up) or unwired (down) ports: ACTIVE/DOWN, for ports bound to that host only. */
export async function devicesStatus(
  tx: WriteTx,
  ctx: ServiceContext,
  host: string,
  up: readonly string[],
  down: readonly string[],
): Promise<DeviceStatusResponse> {
  const updated: string[] = [];
  const failed: { port_id: string; reason: string }[] = [];
  const now = timestamp(ctx.now());
  for (const [ids, status] of [
    [up, "ACTIVE"],
    [down, "DOWN"],
  ] as const) {
    for (const id of ids) {
      const port = await tx.get<PortRow>("SELECT * FROM ports WHERE id = ?", [id]);
      if (port === undefined || port.binding_host_id !== host) {
        failed.push({ port_id: id, reason: port === undefined ? "no such port" : `not bound to ${host}` });
        continue;
      }
      if (port.status === status) continue;
      const next = { ...port, status, revision_number: port.revision_number + 1, updated_at: now };
      await writePort(tx, next);
      const network = (await tx.get<NetworkRow>("SELECT * FROM networks WHERE id = ?", [port.network_id]))!;
      await emitPortChange(tx, port, next, network);
      updated.push(id);
    }
  }
  return { updated, failed };
}

/** Everything concerning `host`, consistent with `revision`: stream from there to miss nothing. */
export function sync(ctx: ServiceContext, host: string): Promise<SyncResponse> {
  return ctx.store.snapshot(async (q, revision) => {
    const ports = await q.all<PortRow>(
      "SELECT * FROM ports WHERE binding_host_id = ? AND binding_vif_type = 'ovs' ORDER BY id",
      [host],
    );
    const networkIds = [...new Set(ports.map((p) => p.network_id))].sort();
    const networks = new Map<string, NetworkRow>();
    for (const id of networkIds)
      networks.set(id, (await q.get<NetworkRow>("SELECT * FROM networks WHERE id = ?", [id]))!);
    const allocations = await allocationsByPort(
      q,
      ports.map((p) => p.id),
    );
    return {
      revision,
      ports: ports.map((p) => deviceDetails(p, networks.get(p.network_id)!, allocations.get(p.id) ?? [])),
      networks: [...networks.values()].map(networkInfo),
      endpoints: await Promise.all(networkIds.map((id) => endpointsOf(q, id))),
      fdb: await fdbOf(q, networkIds, host),
    };
  });
}

/** Bound ports of other hosts on these networks. */
async function fdbOf(q: Queryable, networkIds: readonly string[], host: string) {
  if (networkIds.length === 0) return [];
  const ports = await q.all<PortRow>(
    `SELECT * FROM ports WHERE network_id IN (${networkIds.map(() => "?").join(",")}) AND binding_vif_type = 'ovs' AND binding_host_id <> ? ORDER BY id`,
    [...networkIds, host],
  );
  const allocations = await allocationsByPort(
    q,
    ports.map((p) => p.id),
  );
  return ports.map((p) => fdbEntry(p, allocations.get(p.id) ?? []));
}
