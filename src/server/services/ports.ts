import { randomBytes, randomUUID } from "node:crypto";
import { ApiError, conflict, invalidInput, notFound } from "../api-errors.ts";
import { canonicalIp, contains, firstFree, type Pool, parseIp, subnetCidr } from "../ipam.ts";
import { type IpAllocationRow, type NetworkRow, type PortRow, type SubnetRow, timestamp } from "../rows.ts";
import {
  addAutoAddresses,
  autoAddressSubnet,
  checkAutoAddressRequest,
  followMac,
  takesAutoAddresses,
} from "./auto-addresses.ts";
import { bindPort } from "./binding.ts";
import type { Caller, ServiceContext, WriteTx } from "./context.ts";
import { ROUTER_INTERFACE_OWNERS } from "./device-owners.ts";
import { emitEndpointsIfChanged, emitPortChange, endpointsOf } from "./events.ts";
import {
  dropExtraDhcpOpts,
  type ExtraDhcpOptRequest,
  extraDhcpOptsOf,
  mergeExtraDhcpOpts,
  writeExtraDhcpOpts,
} from "./extra-dhcp-opts.ts";
import { allocationsOf, network as findNetwork, port as findPort, subnetsOf } from "./lookups.ts";
import { allow, allowAttributes, allowOn, projectFor, sees } from "./ownership.ts";
import {
  type AddressPair,
  checkAddressPairs,
  groupsForNewPort,
  groupsForUpdatedPort,
  groupsOfPort,
  portSecurityFor,
  setGroupsOfPort,
} from "./port-security.ts";
import { policyBinding } from "./qos-bindings.ts";
import { checkQuota } from "./quotas.ts";
import { emitMembershipChange, membership } from "./security-group-agents.ts";
import { ensureDefaultGroup } from "./security-groups.ts";
import { dropTags } from "./tags.ts";
import { networkTarget, onNetworkTarget } from "./targets.ts";

export interface FixedIpRequest {
  readonly subnetId?: string;
  readonly ipAddress?: string;
}

export interface PortCreate {
  readonly networkId: string;
  readonly name?: string;
  readonly description?: string;
  readonly projectId?: string;
  readonly macAddress?: string;
  readonly fixedIps?: readonly FixedIpRequest[];
  readonly adminStateUp?: boolean;
  readonly deviceId?: string;
  readonly deviceOwner?: string;
  readonly portSecurityEnabled?: boolean;
  readonly allowedAddressPairs?: readonly AddressPair[];
  /** Undefined: not given (the project's default group when port security is on); []: none. */
  readonly securityGroups?: readonly string[];
  readonly hostId?: string;
  readonly vnicType?: string;
  readonly profile?: Record<string, unknown>;
  /** null detaches the port's own policy (its network's may still apply). */
  readonly qosPolicyId?: string | null;
  /** Options set, changed or (value null) removed, by name and IP version; the others stay. */
  readonly extraDhcpOpts?: readonly ExtraDhcpOptRequest[];
}

export type PortUpdate = Omit<PortCreate, "networkId" | "projectId">;

const macPattern = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const vnicTypes = [
  "normal",
  "direct",
  "macvtap",
  "baremetal",
  "direct-physical",
  "virtio-forwarder",
  "smart-nic",
];

export async function createPort(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  input: PortCreate,
): Promise<PortRow> {
  const network = await findNetwork(tx, input.networkId);
  if (!sees(caller, "get_network", networkTarget(caller, network)))
    throw new ApiError(404, "NetworkNotFound", `Network ${input.networkId} could not be found.`);
  {
    const target = onNetworkTarget(
      caller,
      { project_id: projectFor(caller, input.projectId), device_owner: input.deviceOwner ?? "" },
      network,
    );
    allow(caller, "create_port", target);
    allowAttributes(caller, "create_port", givenAttributes(input), target);
    // Ports of no project (routers' gateways, floating IPs' own) are the cloud's, counted against none.
    if (projectFor(caller, input.projectId) !== "")
      await checkQuota(tx, ctx.config, projectFor(caller, input.projectId), "port", 1);
  }
  const mac =
    input.macAddress === undefined
      ? await generateMac(tx, network.id)
      : await checkMac(tx, network.id, input.macAddress);
  const id = randomUUID();
  const now = timestamp(ctx.now());
  const vnicType = checkVnicType(input.vnicType ?? "normal");
  const opts = mergeExtraDhcpOpts(id, [], input.extraDhcpOpts ?? []);
  const endpointsBefore = await endpointsOf(tx, network.id);
  const projectId = projectFor(caller, input.projectId);
  const deviceOwner = input.deviceOwner ?? "";
  const security = portSecurityFor(network, deviceOwner, input.portSecurityEnabled);
  const pairs = checkAddressPairs(input.allowedAddressPairs ?? [], mac, ctx.config.maxAllowedAddressPairs);
  const groups = await groupsForNewPort(
    tx,
    ctx,
    caller,
    { project_id: projectId, device_owner: deviceOwner },
    security,
    input.securityGroups,
    pairs,
  );
  const binding = await bindPort(
    tx,
    network,
    input.hostId ?? "",
    vnicType,
    ctx.config.agentDownTime,
    ctx.now(),
  );
  const row: PortRow = {
    id,
    network_id: network.id,
    name: input.name ?? "",
    description: input.description ?? "",
    project_id: projectId,
    mac_address: mac,
    admin_state_up: input.adminStateUp === false ? 0 : 1,
    status: "DOWN",
    device_id: input.deviceId ?? "",
    device_owner: deviceOwner,
    port_security_enabled: security ? 1 : 0,
    allowed_address_pairs: JSON.stringify(pairs),
    binding_host_id: input.hostId ?? "",
    binding_vnic_type: vnicType,
    binding_profile: JSON.stringify(input.profile ?? {}),
    binding_vif_type: binding.vifType,
    binding_vif_details: JSON.stringify(binding.vifDetails),
    qos_policy_id: await policyBinding(tx, caller, null, input.qosPolicyId),
    revision_number: 1,
    created_at: now,
    updated_at: now,
  };
  await tx.run(
    `INSERT INTO ports (id, network_id, name, description, project_id, mac_address, admin_state_up, status, device_id,
      device_owner, port_security_enabled, allowed_address_pairs, binding_host_id, binding_vnic_type, binding_profile,
      binding_vif_type, binding_vif_details, qos_policy_id, revision_number, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      row.id,
      row.network_id,
      row.name,
      row.description,
      row.project_id,
      row.mac_address,
      row.admin_state_up,
      row.status,
      row.device_id,
      row.device_owner,
      row.port_security_enabled,
      row.allowed_address_pairs,
      row.binding_host_id,
      row.binding_vnic_type,
      row.binding_profile,
      row.binding_vif_type,
      row.binding_vif_details,
      row.qos_policy_id,
      row.revision_number,
      row.created_at,
      row.updated_at,
    ],
  );
  await setGroupsOfPort(tx, id, groups);
  await writeExtraDhcpOpts(tx, id, [], opts);
  await allocate(tx, network, row, input.fixedIps, []);
  const allocations = await allocationsOf(tx, id);
  await emitPortChange(tx, { after: row, network, allocations, groups });
  const ips = allocations.map((a) => a.ip_address);
  await emitMembershipChange(tx, id, undefined, membership(row, groups, ips));
  await emitEndpointsIfChanged(tx, endpointsBefore);
  return row;
}

export async function updatePort(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  id: string,
  input: PortUpdate,
): Promise<PortRow> {
  const current = await findPort(tx, id);
  const network = await findNetwork(tx, current.network_id);
  {
    const target = onNetworkTarget(caller, current, network);
    allowOn(caller, "update_port", "get_port", target, () => notFound("Port", id));
    allowAttributes(caller, "update_port", givenAttributes(input), target);
  }
  const optsBefore = await extraDhcpOptsOf(tx, id);
  const opts = mergeExtraDhcpOpts(id, optsBefore, input.extraDhcpOpts ?? []);
  await ensureDefaultGroup(tx, ctx, caller, current.project_id);
  const endpointsBefore = await endpointsOf(tx, network.id);
  let mac = current.mac_address;
  if (input.macAddress !== undefined && input.macAddress.toLowerCase() !== current.mac_address) {
    if (current.binding_vif_type === "ovs") {
      throw conflict(
        "PortBound",
        `Unable to complete operation on port ${id}, port is already bound, port type: ovs, old_mac ${current.mac_address}, new_mac ${input.macAddress}.`,
      );
    }
    mac = await checkMac(tx, network.id, input.macAddress);
  }
  const addressed = {
    id,
    network_id: network.id,
    mac_address: mac,
    device_owner: input.deviceOwner ?? current.device_owner,
  };
  let beforeIps: string[] | undefined;
  if (input.fixedIps !== undefined || mac !== current.mac_address) {
    const existing = await allocationsOf(tx, id);
    beforeIps = existing.map((a) => a.ip_address);
    if (input.fixedIps !== undefined) {
      await tx.run("DELETE FROM ip_allocations WHERE port_id = ?", [id]);
      await allocate(tx, network, addressed, input.fixedIps, existing);
      await keepFloatingIpAddress(tx, id);
    } else await followMac(tx, addressed, await subnetsOf(tx, network.id));
  }
  const host = input.hostId ?? current.binding_host_id;
  const vnicType = input.vnicType === undefined ? current.binding_vnic_type : checkVnicType(input.vnicType);
  // Rebind when the host or vnic type changes, and retry a failed binding on any update (as ML2 does).
  const rebind =
    host !== current.binding_host_id ||
    vnicType !== current.binding_vnic_type ||
    current.binding_vif_type === "binding_failed";
  const binding = rebind
    ? await bindPort(tx, network, host, vnicType, ctx.config.agentDownTime, ctx.now())
    : { vifType: current.binding_vif_type, vifDetails: JSON.parse(current.binding_vif_details) };
  const pairs =
    input.allowedAddressPairs === undefined
      ? current.allowed_address_pairs
      : JSON.stringify(checkAddressPairs(input.allowedAddressPairs, mac, ctx.config.maxAllowedAddressPairs));
  const security =
    input.portSecurityEnabled === undefined ? current.port_security_enabled !== 0 : input.portSecurityEnabled;
  const groups = await groupsForUpdatedPort(
    tx,
    caller,
    current,
    security,
    input.securityGroups,
    input.allowedAddressPairs,
  );
  // What makes the port a group member: its groups, port security, addresses, MAC.
  const memberChange =
    groups !== undefined ||
    input.portSecurityEnabled !== undefined ||
    input.fixedIps !== undefined ||
    input.allowedAddressPairs !== undefined ||
    mac !== current.mac_address;
  const beforeGroups = memberChange ? await groupsOfPort(tx, id) : undefined;
  const next: PortRow = {
    ...current,
    name: input.name ?? current.name,
    description: input.description ?? current.description,
    mac_address: mac,
    admin_state_up: input.adminStateUp === undefined ? current.admin_state_up : input.adminStateUp ? 1 : 0,
    device_id: input.deviceId ?? current.device_id,
    device_owner: input.deviceOwner ?? current.device_owner,
    port_security_enabled: security ? 1 : 0,
    allowed_address_pairs: pairs,
    binding_host_id: host,
    binding_vnic_type: vnicType,
    binding_profile: input.profile === undefined ? current.binding_profile : JSON.stringify(input.profile),
    binding_vif_type: binding.vifType,
    binding_vif_details: JSON.stringify(binding.vifDetails),
    qos_policy_id: await policyBinding(tx, caller, current.qos_policy_id, input.qosPolicyId),
    // A port leaving its host is no longer wired anywhere.
    status: host !== current.binding_host_id ? "DOWN" : current.status,
    revision_number: current.revision_number + 1,
    updated_at: timestamp(ctx.now()),
  };
  await writePort(tx, next);
  if (groups !== undefined) await setGroupsOfPort(tx, id, groups);
  await writeExtraDhcpOpts(tx, id, optsBefore, opts);
  const allocations = await allocationsOf(tx, id);
  const afterGroups = groups ?? beforeGroups;
  await emitPortChange(tx, {
    before: current,
    after: next,
    network,
    beforeIps,
    allocations,
    ...(beforeGroups && { beforeGroups }),
    ...(afterGroups && { groups: afterGroups }),
  });
  if (beforeGroups !== undefined) {
    const ips = allocations.map((a) => a.ip_address);
    await emitMembershipChange(
      tx,
      id,
      membership(current, beforeGroups, beforeIps ?? ips),
      membership(next, afterGroups!, ips),
    );
  }
  await emitEndpointsIfChanged(tx, endpointsBefore);
  return next;
}

export async function deletePort(tx: WriteTx, caller: Caller, id: string): Promise<void> {
  const current = await findPort(tx, id);
  const network = await findNetwork(tx, current.network_id);
  allowOn(caller, "delete_port", "get_port", onNetworkTarget(caller, current, network), () =>
    notFound("Port", id),
  );
  const endpointsBefore = await endpointsOf(tx, network.id);
  const groups = await groupsOfPort(tx, id);
  const ips = groups.length === 0 ? [] : (await allocationsOf(tx, id)).map((a) => a.ip_address);
  // Its floating IPs stay, unassociated (Neutron's disassociate_floatingips).
  await tx.run(
    "UPDATE floatingips SET port_id = NULL, fixed_ip_address = NULL, router_id = NULL, revision_number = revision_number + 1 WHERE port_id = ?",
    [id],
  );
  await tx.run("DELETE FROM ip_allocations WHERE port_id = ?", [id]);
  await tx.run("DELETE FROM port_security_groups WHERE port_id = ?", [id]);
  await dropExtraDhcpOpts(tx, id);
  await tx.run("DELETE FROM ports WHERE id = ?", [id]);
  await dropTags(tx, "ports", id);
  await emitPortChange(tx, { before: current, network });
  await emitMembershipChange(tx, id, membership(current, groups, ips), undefined);
  await emitEndpointsIfChanged(tx, endpointsBefore);
}

/**
 * Something else changed the port's addresses (an auto-address subnet created or deleted on its network):
 * a new revision of the port, and the events of a fixed-IP change.
 */
export async function addressesChanged(
  tx: WriteTx,
  ctx: ServiceContext,
  port: PortRow,
  network: NetworkRow,
  beforeIps: readonly string[],
): Promise<void> {
  const next = { ...port, revision_number: port.revision_number + 1, updated_at: timestamp(ctx.now()) };
  await writePort(tx, next);
  const allocations = await allocationsOf(tx, port.id);
  const groups = await groupsOfPort(tx, port.id);
  await emitPortChange(tx, { before: port, after: next, network, beforeIps, allocations, groups });
  const ips = allocations.map((a) => a.ip_address);
  await emitMembershipChange(tx, port.id, membership(port, groups, beforeIps), membership(next, groups, ips));
}

export async function writePort(tx: WriteTx, p: PortRow): Promise<void> {
  await tx.run(
    `UPDATE ports SET name = ?, description = ?, mac_address = ?, admin_state_up = ?, status = ?, device_id = ?,
      device_owner = ?, port_security_enabled = ?, allowed_address_pairs = ?, binding_host_id = ?, binding_vnic_type = ?,
      binding_profile = ?, binding_vif_type = ?, binding_vif_details = ?, qos_policy_id = ?, revision_number = ?,
      updated_at = ? WHERE id = ?`,
    [
      p.name,
      p.description,
      p.mac_address,
      p.admin_state_up,
      p.status,
      p.device_id,
      p.device_owner,
      p.port_security_enabled,
      p.allowed_address_pairs,
      p.binding_host_id,
      p.binding_vnic_type,
      p.binding_profile,
      p.binding_vif_type,
      p.binding_vif_details,
      p.qos_policy_id,
      p.revision_number,
      p.updated_at,
      p.id,
    ],
  );
}

/**
 * Allocates fixed IPs: each request names a subnet, an address, or both; with no request, one address
 * from the first IPv4 subnet and one from the first IPv6 subnet whose addresses are not automatic.
 * `previous` addresses may be kept. Then the port's EUI-64 address on every auto-address subnet
 * (auto-addresses.ts), which is all a request for such a subnet gets.
 */
async function allocate(
  tx: WriteTx,
  network: NetworkRow,
  port: Pick<PortRow, "id" | "network_id" | "mac_address" | "device_owner">,
  requests: readonly FixedIpRequest[] | undefined,
  previous: readonly IpAllocationRow[],
): Promise<void> {
  const subnets = await subnetsOf(tx, network.id);
  const automatic = takesAutoAddresses(port.device_owner);
  const wanted: FixedIpRequest[] =
    requests !== undefined
      ? [...requests]
      : [4, 6].flatMap((v) => {
          const first = subnets.find((s) => s.ip_version === v && !autoAddressSubnet(s));
          return first ? [{ subnetId: first.id }] : [];
        });
  for (const request of wanted) {
    const subnet = subnetFor(subnets, network, request);
    const pools = JSON.parse(subnet.allocation_pools) as Pool[];
    const auto = autoAddressSubnet(subnet);
    let address: string;
    if (request.ipAddress !== undefined) {
      const canonical = canonicalIp(request.ipAddress);
      const ip = canonical === undefined ? undefined : parseIp(canonical);
      if (ip === undefined || !contains(subnetCidr(subnet), ip.value)) {
        throw new ApiError(
          400,
          "InvalidIpForSubnet",
          `IP address ${request.ipAddress} is not a valid IP for the specified subnet.`,
        );
      }
      if (auto) checkAutoAddressRequest(subnet, port, canonical!);
      if (auto && automatic) continue;
      if (
        canonical === subnet.gateway_ip &&
        !ROUTER_INTERFACE_OWNERS.includes(port.device_owner) &&
        !previous.some((p) => p.ip_address === canonical)
      ) {
        throw conflict(
          "IpAddressAlreadyAllocated",
          `IP address ${canonical} already allocated in subnet ${subnet.id}`,
        );
      }
      address = canonical!;
      const taken = await tx.get(
        "SELECT port_id FROM ip_allocations WHERE subnet_id = ? AND ip_address = ?",
        [subnet.id, address],
      );
      if (taken !== undefined)
        throw conflict(
          "IpAddressAlreadyAllocated",
          `IP address ${address} already allocated in subnet ${subnet.id}`,
        );
    } else {
      if (auto && automatic) continue;
      const used = new Set(
        (
          await tx.all<{ ip_address: string }>("SELECT ip_address FROM ip_allocations WHERE subnet_id = ?", [
            subnet.id,
          ])
        ).map((r) => r.ip_address),
      );
      const free = firstFree(pools, subnet.ip_version as 4 | 6, used);
      if (free === undefined) {
        throw conflict(
          "IpAddressGenerationFailure",
          `No more IP addresses available on network ${network.id}.`,
        );
      }
      address = free;
    }
    await tx.run(
      "INSERT INTO ip_allocations (port_id, subnet_id, network_id, ip_address) VALUES (?, ?, ?, ?)",
      [port.id, subnet.id, network.id, address],
    );
  }
  await addAutoAddresses(tx, port, subnets);
}

function subnetFor(subnets: readonly SubnetRow[], network: NetworkRow, request: FixedIpRequest): SubnetRow {
  if (request.subnetId !== undefined) {
    const found = subnets.find((s) => s.id === request.subnetId);
    if (found === undefined)
      throw invalidInput(
        `Failed to create port on network ${network.id}, because fixed_ips included invalid subnet ${request.subnetId}`,
      );
    return found;
  }
  const ip = request.ipAddress === undefined ? undefined : parseIp(request.ipAddress);
  const found =
    ip === undefined
      ? undefined
      : subnets.find((s) => contains(subnetCidr(s), ip.value) && s.ip_version === ip.version);
  if (found === undefined) {
    throw new ApiError(
      400,
      "InvalidIpForNetwork",
      `IP address ${request.ipAddress} is not a valid IP for any of the subnets on the specified network.`,
    );
  }
  return found;
}

async function generateMac(tx: WriteTx, networkId: string): Promise<string> {
  for (let attempt = 0; attempt < 16; attempt++) {
    const mac = `fa:16:3e:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, "0")).join(":")}`;
    if (
      (await tx.get("SELECT id FROM ports WHERE network_id = ? AND mac_address = ?", [networkId, mac])) ===
      undefined
    )
      return mac;
  }
  throw conflict("MacAddressGenerationFailure", `Unable to generate unique mac on network ${networkId}.`);
}

async function checkMac(tx: WriteTx, networkId: string, requested: string): Promise<string> {
  const mac = requested.toLowerCase();
  if (
    !macPattern.test(mac) ||
    (Number.parseInt(mac.slice(0, 2), 16) & 1) === 1 ||
    mac === "00:00:00:00:00:00"
  ) {
    throw invalidInput(`'${requested}' is not a valid MAC address`);
  }
  if (
    (await tx.get("SELECT id FROM ports WHERE network_id = ? AND mac_address = ?", [networkId, mac])) !==
    undefined
  ) {
    throw conflict(
      "MacAddressInUse",
      `Unable to complete operation for network ${networkId}. The mac address ${mac} is in use.`,
    );
  }
  return mac;
}

function checkVnicType(vnicType: string): string {
  if (!vnicTypes.includes(vnicType))
    throw invalidInput(`'${vnicType}' is not in ${JSON.stringify(vnicTypes)}`);
  return vnicType;
}

/** The attributes a create or update sets that have rules of their own (create_port:binding:host_id…). */
function givenAttributes(input: PortUpdate): string[] {
  const given: [string, unknown][] = [
    ["device_owner", input.deviceOwner],
    ["mac_address", input.macAddress],
    ["fixed_ips", input.fixedIps],
    ["port_security_enabled", input.portSecurityEnabled],
    ["allowed_address_pairs", input.allowedAddressPairs],
    ["binding:host_id", input.hostId],
    ["binding:vnic_type", input.vnicType],
    ["binding:profile", input.profile],
  ];
  return given.filter(([, value]) => value !== undefined).map(([name]) => name);
}

/**
 * A port's new fixed IPs must keep the one its floating IP forwards to (Neutron's
 * prevent_internal_ip_change_for_fip): 400, and the transaction changes nothing.
 */
async function keepFloatingIpAddress(tx: WriteTx, portId: string): Promise<void> {
  const fip = await tx.get<{ fixed_ip_address: string }>(
    "SELECT fixed_ip_address FROM floatingips WHERE port_id = ? AND fixed_ip_address IS NOT NULL LIMIT 1",
    [portId],
  );
  if (fip === undefined) return;
  const kept = await tx.get("SELECT 1 AS x FROM ip_allocations WHERE port_id = ? AND ip_address = ?", [
    portId,
    fip.fixed_ip_address,
  ]);
  if (kept === undefined)
    throw new ApiError(
      400,
      "BadRequest",
      `Bad port request: Cannot update the fixed_ips of the port ${portId}, because its original fixed_ip has been associated to a floating ip.`,
    );
}
