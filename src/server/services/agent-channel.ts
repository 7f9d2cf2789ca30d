/**
 * What agents ask of the server: device details, status reports, a consistent snapshot. Replies are
 * tailored to what the asking agent reads (agent-capabilities.ts): the qos section and each port's
 * qos_policy_id only for agents that declared `qos`; the security_groups section and each port's
 * security_groups only for agents that run the openvswitch firewall; the dhcp section and each port's
 * extra_dhcp_opts only for agents that declared `dhcp`.
 */
import type {
  DeviceDetails,
  DeviceDetailsResponse,
  DeviceStatusResponse,
  SyncResponse,
} from "../../protocol/index.ts";
import { type NetworkRow, type PortRow, timestamp } from "../rows.ts";
import { type DeviceExtras, deviceDetails, networkInfo } from "../views.ts";
import { type AgentCapabilities, capabilitiesOf } from "./agent-capabilities.ts";
import type { Queryable, ServiceContext, WriteTx } from "./context.ts";
import { dhcpSection } from "./dhcp-agents.ts";
import { emitPortChange, endpointsOf, fdbEntry } from "./events.ts";
import { extraDhcpOptsByPort } from "./extra-dhcp-opts.ts";
import { allocationsByPort } from "./lookups.ts";
import { effectivePolicy, policyInfos } from "./qos-agents.ts";
import { groupsByPorts, securityGroupsSection } from "./security-group-infos.ts";

export async function devicesDetails(
  q: Queryable,
  host: string,
  ids: readonly string[],
): Promise<DeviceDetailsResponse> {
  const unique = [...new Set(ids)];
  const ports = byId(await rowsByIds<PortRow>(q, "ports", unique));
  const capabilities = await capabilitiesOf(q, host);
  const found: PortRow[] = [];
  const failed: { port_id: string; reason: string }[] = [];
  for (const id of unique) {
    const port = ports.get(id);
    if (port === undefined) failed.push({ port_id: id, reason: "no such port" });
    else if (port.binding_host_id !== host || port.binding_vif_type !== "ovs") {
      failed.push({
        port_id: id,
        reason: `not bound to ${host} (host "${port.binding_host_id}", vif_type ${port.binding_vif_type})`,
      });
    } else found.push(port);
  }
  const { devices, ...sections } = await detailsOf(q, found, capabilities);
  return { devices, failed, ...sections };
}

/**
 * The agent wired (up) or unwired (down) ports: ACTIVE/DOWN, for ports bound to that host only. A few
 * queries whatever the number of ports: the ports, their networks and addresses, then one UPDATE per
 * status.
 */
export async function devicesStatus(
  tx: WriteTx,
  ctx: ServiceContext,
  host: string,
  up: readonly string[],
  down: readonly string[],
): Promise<DeviceStatusResponse> {
  const ports = byId(await rowsByIds<PortRow>(tx, "ports", [...new Set([...up, ...down])]));
  const updated: string[] = [];
  const failed: { port_id: string; reason: string }[] = [];
  const changes: { before: PortRow; after: PortRow }[] = [];
  const now = timestamp(ctx.now());
  for (const [ids, status] of [
    [up, "ACTIVE"],
    [down, "DOWN"],
  ] as const) {
    const changed: string[] = [];
    for (const id of ids) {
      const port = ports.get(id);
      if (port === undefined || port.binding_host_id !== host) {
        failed.push({ port_id: id, reason: port === undefined ? "no such port" : `not bound to ${host}` });
        continue;
      }
      if (port.status === status) continue;
      const next = { ...port, status, revision_number: port.revision_number + 1, updated_at: now };
      ports.set(id, next);
      changes.push({ before: port, after: next });
      changed.push(id);
      updated.push(id);
    }
    for (let i = 0; i < changed.length; i += 500) {
      const chunk = changed.slice(i, i + 500);
      await tx.run(
        `UPDATE ports SET status = ?, revision_number = revision_number + 1, updated_at = ? WHERE id IN (${chunk.map(() => "?").join(",")})`,
        [status, now, ...chunk],
      );
    }
  }
  if (changes.length === 0) return { updated, failed };
  const networks = byId(
    await rowsByIds<NetworkRow>(tx, "networks", [...new Set(changes.map((c) => c.after.network_id))]),
  );
  const allocations = await allocationsByPort(
    tx,
    changes.map((c) => c.after.id),
  );
  const capabilities = await capabilitiesOf(tx, host);
  const groups = capabilities.firewall
    ? await groupsByPorts(
        tx,
        changes.map((c) => c.after.id),
      )
    : undefined;
  for (const { before, after } of changes) {
    await emitPortChange(tx, {
      before,
      after,
      network: networks.get(after.network_id)!,
      allocations: allocations.get(after.id) ?? [],
      capabilities,
      ...(groups && { groups: groups.get(after.id) ?? [] }),
    });
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
    const networks = await rowsByIds<NetworkRow>(q, "networks", networkIds);
    const { devices, ...sections } = await detailsOf(q, ports, await capabilitiesOf(q, host));
    return {
      revision,
      ports: devices,
      networks: networks.map(networkInfo),
      endpoints: await Promise.all(networkIds.map((id) => endpointsOf(q, id))),
      fdb: await fdbOf(q, networkIds, host),
      ...sections,
    };
  });
}

/**
 * DeviceDetails of bound ports; for a qos agent, with their effective policies and those policies; for
 * a firewall agent, with their groups and those groups' section; for a dhcp agent, with their extra DHCP
 * options and their networks' subnets. Nothing else for other agents.
 */
async function detailsOf(
  q: Queryable,
  ports: readonly PortRow[],
  capabilities: AgentCapabilities,
): Promise<{
  devices: DeviceDetails[];
  qos?: SyncResponse["qos"];
  security_groups?: SyncResponse["security_groups"];
  dhcp?: SyncResponse["dhcp"];
}> {
  const networks = byId(
    await rowsByIds<NetworkRow>(q, "networks", [...new Set(ports.map((p) => p.network_id))]),
  );
  const allocations = await allocationsByPort(
    q,
    ports.map((p) => p.id),
  );
  const groups = capabilities.firewall
    ? await groupsByPorts(
        q,
        ports.filter((p) => p.port_security_enabled !== 0).map((p) => p.id),
      )
    : new Map<string, string[]>();
  const opts = capabilities.dhcp
    ? await extraDhcpOptsByPort(
        q,
        ports.map((p) => p.id),
      )
    : undefined;
  const policies = new Set<string>();
  const devices = ports.map((p) => {
    const network = networks.get(p.network_id)!;
    const extras: { -readonly [K in keyof DeviceExtras]: DeviceExtras[K] } = {};
    if (capabilities.qos) {
      const policyId = effectivePolicy(p, network);
      if (policyId !== null) policies.add(policyId);
      extras.qos = { policyId };
    }
    if (capabilities.firewall) extras.securityGroups = groups.get(p.id) ?? [];
    if (opts !== undefined) extras.extraDhcpOpts = opts.get(p.id) ?? [];
    return deviceDetails(p, network, allocations.get(p.id) ?? [], extras);
  });
  return {
    devices,
    ...(capabilities.qos && { qos: { policies: await policyInfos(q, policies) } }),
    ...(capabilities.firewall && {
      security_groups: await securityGroupsSection(q, [...groups.values()].flat()),
    }),
    ...(capabilities.dhcp && { dhcp: await dhcpSection(q, networks.keys()) }),
  };
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

/** Rows of `table` by id, in id order, 500 ids a query. */
async function rowsByIds<T extends { id: string }>(
  q: Queryable,
  table: "ports" | "networks",
  ids: readonly string[],
): Promise<T[]> {
  const rows: T[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    rows.push(
      ...(await q.all<T>(`SELECT * FROM ${table} WHERE id IN (${chunk.map(() => "?").join(",")})`, chunk)),
    );
  }
  return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function byId<T extends { id: string }>(rows: readonly T[]): Map<string, T> {
  return new Map(rows.map((r) => [r.id, r]));
}
