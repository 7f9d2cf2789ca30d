import { randomUUID } from "node:crypto";
import { conflict, invalidInput, notFound } from "../api-errors.ts";
import { type NetworkRow, timestamp } from "../rows.ts";
import { networkInfo } from "../views.ts";
import type { Caller, ServiceContext, WriteTx } from "./context.ts";
import { ROUTER_GATEWAY } from "./device-owners.ts";
import { emitNetworkPolicyChange } from "./events.ts";
import { dropFloatingIpsOn } from "./floating-ips.ts";
import { network as findNetwork } from "./lookups.ts";
import { allow, allowAttributes, allowOn, projectFor } from "./ownership.ts";
import { defaultPolicyOf, policyBinding } from "./qos-bindings.ts";
import { checkQuota } from "./quotas.ts";
import { dropRbacOf, setWildcard } from "./rbac.ts";
import { ensureDefaultGroup } from "./security-groups.ts";
import { chooseSegment, type ProviderInput, segmentMtu } from "./segments.ts";
import { dropTags } from "./tags.ts";
import { networkTarget } from "./targets.ts";

export interface NetworkCreate {
  readonly name?: string;
  readonly description?: string;
  readonly projectId?: string;
  readonly adminStateUp?: boolean;
  readonly shared?: boolean;
  /** router:external: a wildcard access_as_external entry (services/rbac.ts). */
  readonly external?: boolean;
  readonly mtu?: number;
  readonly portSecurityEnabled?: boolean;
  readonly provider?: ProviderInput;
  /** null or absent: the project's default policy, if it has one. */
  readonly qosPolicyId?: string | null;
}

/** Neutron's InvalidSharedSetting (409). */
const sharingInUse = (id: string) =>
  conflict(
    "InvalidSharedSetting",
    `Unable to reconfigure sharing settings for network ${id}. Multiple tenants are using it.`,
  );

export type NetworkUpdate = Omit<NetworkCreate, "projectId"> & { readonly providerGiven?: boolean };

export async function createNetwork(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  input: NetworkCreate,
): Promise<NetworkRow> {
  const projectId = projectFor(caller, input.projectId);
  const target = networkTarget(caller, { id: "", project_id: projectId, shared: input.shared ? 1 : 0 });
  allow(caller, "create_network", target);
  allowAttributes(caller, "create_network", givenAttributes(input), target);
  await checkQuota(tx, ctx.config, projectId, "network", 1);
  const segment = await chooseSegment(tx, ctx.config, input.provider);
  const maxMtu = segmentMtu(ctx.config, segment.networkType);
  const mtu = input.mtu ?? maxMtu;
  if (mtu < 68 || mtu > maxMtu) throw invalidInput(`Requested MTU is too big, maximum is ${maxMtu}.`);
  const now = timestamp(ctx.now());
  // Neutron makes sure the project has its default security group whenever it creates a network.
  await ensureDefaultGroup(tx, ctx, caller, projectId);
  // Neutron's _create_network_policy: a falsy qos_policy_id means the project's default.
  const qosPolicyId = input.qosPolicyId
    ? await policyBinding(tx, caller, null, input.qosPolicyId)
    : await defaultPolicyOf(tx, projectId);
  const row: NetworkRow = {
    id: randomUUID(),
    name: input.name ?? "",
    description: input.description ?? "",
    project_id: projectId,
    admin_state_up: input.adminStateUp === false ? 0 : 1,
    shared: input.shared ? 1 : 0,
    mtu,
    status: "ACTIVE",
    port_security_enabled: input.portSecurityEnabled === false ? 0 : 1,
    network_type: segment.networkType,
    physical_network: segment.physicalNetwork,
    segmentation_id: segment.segmentationId,
    qos_policy_id: qosPolicyId,
    revision_number: 1,
    created_at: now,
    updated_at: now,
  };
  await tx.run(
    `INSERT INTO networks (id, name, description, project_id, admin_state_up, shared, mtu, status, port_security_enabled,
      network_type, physical_network, segmentation_id, qos_policy_id, revision_number, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      row.id,
      row.name,
      row.description,
      row.project_id,
      row.admin_state_up,
      row.shared,
      row.mtu,
      row.status,
      row.port_security_enabled,
      row.network_type,
      row.physical_network,
      row.segmentation_id,
      row.qos_policy_id,
      row.revision_number,
      row.created_at,
      row.updated_at,
    ],
  );
  if (row.shared) await setWildcard(tx, "network", row, "access_as_shared", true, () => sharingInUse(row.id));
  if (input.external) await setWildcard(tx, "network", row, "access_as_external", true);
  tx.emit({ kind: "network.updated", network: networkInfo(row) }, null);
  return row;
}

export async function updateNetwork(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  id: string,
  input: NetworkUpdate,
) {
  const current = await findNetwork(tx, id);
  const target = networkTarget(caller, current);
  allowOn(caller, "update_network", "get_network", target, () => notFound("Network", id));
  allowAttributes(caller, "update_network", givenAttributes(input), target);
  if (input.providerGiven) throw invalidInput("Plugin does not support updating provider attributes");
  const maxMtu = segmentMtu(ctx.config, current.network_type as never);
  if (input.mtu !== undefined && (input.mtu < 68 || input.mtu > maxMtu)) {
    throw invalidInput(`Requested MTU is too big, maximum is ${maxMtu}.`);
  }
  // The wildcard entries first: unsharing is refused while other projects have ports on the network.
  if (input.shared !== undefined)
    await setWildcard(tx, "network", current, "access_as_shared", input.shared, () => sharingInUse(id));
  if (input.external !== undefined) {
    // Not external any more: refused while any router has its gateway there (Neutron's external_net_db).
    const gateway =
      input.external === false
        ? await tx.get("SELECT id FROM ports WHERE network_id = ? AND device_owner = ? LIMIT 1", [
            id,
            ROUTER_GATEWAY,
          ])
        : undefined;
    if (gateway !== undefined) throw externalInUse(id);
    await setWildcard(tx, "network", current, "access_as_external", input.external, () => externalInUse(id));
  }
  const next: NetworkRow = {
    ...current,
    name: input.name ?? current.name,
    description: input.description ?? current.description,
    admin_state_up: input.adminStateUp === undefined ? current.admin_state_up : input.adminStateUp ? 1 : 0,
    shared: input.shared === undefined ? current.shared : input.shared ? 1 : 0,
    mtu: input.mtu ?? current.mtu,
    qos_policy_id: await policyBinding(tx, caller, current.qos_policy_id, input.qosPolicyId),
    port_security_enabled:
      input.portSecurityEnabled === undefined
        ? current.port_security_enabled
        : input.portSecurityEnabled
          ? 1
          : 0,
    revision_number: current.revision_number + 1,
    updated_at: timestamp(ctx.now()),
  };
  await tx.run(
    "UPDATE networks SET name = ?, description = ?, admin_state_up = ?, shared = ?, mtu = ?, port_security_enabled = ?, qos_policy_id = ?, revision_number = ?, updated_at = ? WHERE id = ?",
    [
      next.name,
      next.description,
      next.admin_state_up,
      next.shared,
      next.mtu,
      next.port_security_enabled,
      next.qos_policy_id,
      next.revision_number,
      next.updated_at,
      id,
    ],
  );
  tx.emit({ kind: "network.updated", network: networkInfo(next) }, null);
  await emitNetworkPolicyChange(tx, current, next);
  return next;
}

export async function deleteNetwork(tx: WriteTx, caller: Caller, id: string): Promise<void> {
  const current = await findNetwork(tx, id);
  allowOn(caller, "delete_network", "get_network", networkTarget(caller, current), () =>
    notFound("Network", id),
  );
  await dropFloatingIpsOn(tx, caller, id);
  const ports = await tx.get<{ n: number }>("SELECT COUNT(*) AS n FROM ports WHERE network_id = ?", [id]);
  if (Number(ports?.n ?? 0) > 0) {
    throw conflict(
      "NetworkInUse",
      `Unable to complete operation on network ${id}. There are one or more ports still in use on the network.`,
    );
  }
  // Deleting the network frees its segment (the row that held it is gone).
  for (const s of await tx.all<{ id: string }>("SELECT id FROM subnets WHERE network_id = ?", [id]))
    await dropTags(tx, "subnets", s.id);
  await tx.run("DELETE FROM subnets WHERE network_id = ?", [id]);
  await tx.run("DELETE FROM networks WHERE id = ?", [id]);
  await dropTags(tx, "networks", id);
  await dropRbacOf(tx, "network", id);
  tx.emit({ kind: "network.deleted", network_id: id }, null);
}

/** The attributes a create or update sets that have rules of their own (create_network:shared…). */
function givenAttributes(input: NetworkUpdate & { readonly provider?: ProviderInput }): string[] {
  const out: string[] = [];
  if (input.shared !== undefined) out.push("shared");
  if (input.external !== undefined) out.push("router:external");
  if (input.portSecurityEnabled !== undefined) out.push("port_security_enabled");
  if (input.provider?.networkType !== undefined) out.push("provider:network_type");
  if (input.provider?.physicalNetwork !== undefined) out.push("provider:physical_network");
  if (input.provider?.segmentationId !== undefined) out.push("provider:segmentation_id");
  if (input.providerGiven) out.push("provider:network_type");
  return out;
}

const externalInUse = (id: string) =>
  conflict(
    "ExternalNetworkInUse",
    `External network ${id} cannot be updated to be made non-external, since it has existing gateway ports.`,
  );
