/**
 * Addresses of auto-address subnets (ipv6-modes.ts isAutoAddress: SLAAC, DHCPv6 stateless), as Neutron's
 * IPAM gives them: every port of the network except router interfaces gets the EUI-64 address of its MAC
 * on each of them, whatever it asked for — when it is created, when its fixed IPs or MAC change, and when
 * such a subnet is created on its network; a port may not ask for another address there. Deleting such a
 * subnet takes these addresses away instead of being refused.
 */
import { ApiError, conflict } from "../api-errors.ts";
import { eui64Address, subnetCidr } from "../ipam.ts";
import type { PortRow, SubnetRow } from "../rows.ts";
import type { Queryable, WriteTx } from "./context.ts";
import { ROUTER_INTERFACE_OWNERS } from "./device-owners.ts";
import { isAutoAddress } from "./ipv6-modes.ts";
import { marks } from "./lookups.ts";

// Router interfaces (ROUTER_INTERFACE_OWNERS) may be given any address of an auto-address subnet.
/** ROUTER_INTERFACE_OWNERS_SNAT: pool addresses on auto-address subnets, no EUI-64 ones. */
const ROUTER_INTERFACE_OWNERS_SNAT = [...ROUTER_INTERFACE_OWNERS, "network:router_centralized_snat"];

type AddressedPort = Pick<PortRow, "id" | "network_id" | "mac_address" | "device_owner">;

export const autoAddressSubnet = (s: SubnetRow) => s.ip_version === 6 && isAutoAddress(s);

/** Whether the port gets EUI-64 addresses (and only those) on auto-address subnets. */
export const takesAutoAddresses = (deviceOwner: string) =>
  !ROUTER_INTERFACE_OWNERS_SNAT.includes(deviceOwner);

/** An address asked for on an auto-address subnet: its EUI-64 one, unless a router interface asks. */
export function checkAutoAddressRequest(subnet: SubnetRow, port: AddressedPort, address: string): void {
  if (ROUTER_INTERFACE_OWNERS.includes(port.device_owner)) return;
  if (address === eui64Address(subnetCidr(subnet), port.mac_address)) return;
  throw new ApiError(
    400,
    "AllocationOnAutoAddressSubnet",
    `IPv6 address ${address} cannot be directly assigned to a port on subnet ${subnet.id} as the subnet is configured for automatic addresses`,
  );
}

/** The port's EUI-64 address on each of these subnets that is an auto-address one (if it takes them). */
export async function addAutoAddresses(
  tx: WriteTx,
  port: AddressedPort,
  subnets: readonly SubnetRow[],
): Promise<void> {
  if (!takesAutoAddresses(port.device_owner)) return;
  for (const subnet of subnets.filter(autoAddressSubnet)) {
    const address = eui64Address(subnetCidr(subnet), port.mac_address);
    const taken = await tx.get("SELECT port_id FROM ip_allocations WHERE subnet_id = ? AND ip_address = ?", [
      subnet.id,
      address,
    ]);
    if (taken !== undefined)
      throw conflict(
        "IpAddressAlreadyAllocated",
        `IP address ${address} already allocated in subnet ${subnet.id}`,
      );
    await tx.run(
      "INSERT INTO ip_allocations (port_id, subnet_id, network_id, ip_address) VALUES (?, ?, ?, ?)",
      [port.id, subnet.id, port.network_id, address],
    );
  }
}

/** The port's MAC changed: its EUI-64 addresses follow it. */
export async function followMac(
  tx: WriteTx,
  port: AddressedPort,
  subnets: readonly SubnetRow[],
): Promise<void> {
  const auto = subnets.filter(autoAddressSubnet);
  if (auto.length === 0 || !takesAutoAddresses(port.device_owner)) return;
  await tx.run(`DELETE FROM ip_allocations WHERE port_id = ? AND subnet_id IN (${marks(auto)})`, [
    port.id,
    ...auto.map((s) => s.id),
  ]);
  await addAutoAddresses(tx, port, auto);
}

/** The ports of the network that take auto addresses, by id. */
export async function portsTakingAutoAddresses(q: Queryable, networkId: string): Promise<PortRow[]> {
  const ports = await q.all<PortRow>("SELECT * FROM ports WHERE network_id = ? ORDER BY id", [networkId]);
  return ports.filter((p) => takesAutoAddresses(p.device_owner));
}
