/**
 * What a subnet's create or delete does to the addresses of its network's ports (Neutron's
 * _create_subnet_postcommit and _remove_subnet_ip_allocations_from_ports): an auto-address subnet gives
 * every port that takes such addresses its EUI-64 one, and deleting it takes them back; any other subnet
 * cannot be deleted while a port has an address from it.
 */
import { conflict } from "../api-errors.ts";
import type { NetworkRow, PortRow, SubnetRow } from "../rows.ts";
import { addAutoAddresses, autoAddressSubnet, portsTakingAutoAddresses } from "./auto-addresses.ts";
import type { ServiceContext, WriteTx } from "./context.ts";
import { allocationsByPort, chunked, marks } from "./lookups.ts";
import { addressesChanged } from "./ports.ts";

/** A new subnet: on an auto-address one, the EUI-64 address of every port of the network that takes them. */
export async function addressPortsOnNewSubnet(
  tx: WriteTx,
  ctx: ServiceContext,
  subnet: SubnetRow,
  network: NetworkRow,
): Promise<void> {
  if (!autoAddressSubnet(subnet)) return;
  const ports = await portsTakingAutoAddresses(tx, network.id);
  const before = await allocationsByPort(
    tx,
    ports.map((p) => p.id),
  );
  for (const port of ports) {
    await addAutoAddresses(tx, port, [subnet]);
    await addressesChanged(tx, ctx, port, network, ipsOf(before, port.id));
  }
}

/**
 * Before a subnet is deleted: refused while a port has an address from it — except, on an auto-address
 * subnet, the EUI-64 addresses of ports other than router interfaces, which are taken away.
 */
export async function releaseSubnetAddresses(
  tx: WriteTx,
  ctx: ServiceContext,
  subnet: SubnetRow,
  network: NetworkRow,
): Promise<void> {
  const users = await tx.all<{ port_id: string }>(
    "SELECT DISTINCT port_id FROM ip_allocations WHERE subnet_id = ? ORDER BY port_id",
    [subnet.id],
  );
  if (users.length === 0) return;
  const ports = await chunked(
    users.map((u) => u.port_id),
    (ids) => tx.all<PortRow>(`SELECT * FROM ports WHERE id IN (${marks(ids)}) ORDER BY id`, ids),
  );
  const taking = new Set((await portsTakingAutoAddresses(tx, network.id)).map((p) => p.id));
  if (!autoAddressSubnet(subnet) || ports.some((p) => !taking.has(p.id))) {
    throw conflict(
      "SubnetInUse",
      `Unable to complete operation on subnet ${subnet.id}: One or more ports have an IP allocation from this subnet.`,
    );
  }
  const before = await allocationsByPort(
    tx,
    ports.map((p) => p.id),
  );
  await tx.run("DELETE FROM ip_allocations WHERE subnet_id = ?", [subnet.id]);
  for (const port of ports) await addressesChanged(tx, ctx, port, network, ipsOf(before, port.id));
}

const ipsOf = (byPort: Map<string, { ip_address: string }[]>, portId: string) =>
  (byPort.get(portId) ?? []).map((a) => a.ip_address);
