/**
 * Address groups (Neutron's address-group extension): named sets of prefixes that rules name as their
 * remote. Addresses are stored as networks ("192.168.0.10/24" is kept as "192.168.0.0/24"); adding one
 * already there is 400, removing one not there is 404; a group a rule names cannot be deleted.
 */
import { randomUUID } from "node:crypto";
import { ApiError, conflict } from "../api-errors.ts";
import { type AddressGroupRow, timestamp } from "../rows.ts";
import type { Caller, Queryable, ServiceContext, WriteTx } from "./context.ts";
import { allow, allowOn, sees } from "./ownership.ts";
import { dropRbacOf } from "./rbac.ts";
import { emitAddressGroupChanged } from "./security-group-agents.ts";
import { formatPrefix, networkOf, parsePrefix } from "./sg-rule-values.ts";
import { dropTags } from "./tags.ts";
import { ownedTarget } from "./targets.ts";

export const addressGroupNotFound = (id: string) =>
  new ApiError(404, "AddressGroupNotFound", `Address group ${id} could not be found.`);

export interface AddressGroupCreate {
  readonly name: string;
  readonly description: string;
  readonly projectId: string;
  readonly addresses: readonly string[];
}

export function addressGroupVisible(caller: Caller, group: AddressGroupRow): boolean {
  return sees(caller, "get_address_group", ownedTarget(caller, "address_group", group));
}

/** A group visible to the caller, or AddressGroupNotFound. */
export async function addressGroupFor(q: Queryable, caller: Caller, id: string): Promise<AddressGroupRow> {
  const row = await q.get<AddressGroupRow>("SELECT * FROM address_groups WHERE id = ?", [id]);
  if (row === undefined || !addressGroupVisible(caller, row)) throw addressGroupNotFound(id);
  return row;
}

export async function addressesOf(q: Queryable, id: string): Promise<string[]> {
  return (
    await q.all<{ address: string }>(
      "SELECT address FROM address_group_addresses WHERE address_group_id = ? ORDER BY address",
      [id],
    )
  ).map((r) => r.address);
}

export async function addressesByGroup(q: Queryable): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  for (const row of await q.all<{ address_group_id: string; address: string }>(
    "SELECT address_group_id, address FROM address_group_addresses ORDER BY address",
  )) {
    const list = map.get(row.address_group_id);
    if (list) list.push(row.address);
    else map.set(row.address_group_id, [row.address]);
  }
  return map;
}

export async function createAddressGroup(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  input: AddressGroupCreate,
): Promise<AddressGroupRow> {
  allow(caller, "create_address_group", { project_id: input.projectId });
  const now = timestamp(ctx.now());
  const row: AddressGroupRow = {
    id: randomUUID(),
    name: input.name,
    description: input.description,
    project_id: input.projectId,
    revision_number: 1,
    created_at: now,
    updated_at: now,
  };
  await tx.run(
    "INSERT INTO address_groups (id, name, description, project_id, revision_number, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    [row.id, row.name, row.description, row.project_id, row.revision_number, now, now],
  );
  for (const address of networks(input.addresses))
    await tx.run("INSERT INTO address_group_addresses (address_group_id, address) VALUES (?, ?)", [
      row.id,
      address,
    ]);
  return row;
}

export async function updateAddressGroup(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  id: string,
  input: { name?: string; description?: string },
): Promise<AddressGroupRow> {
  const current = await addressGroupFor(tx, caller, id);
  allowOn(
    caller,
    "update_address_group",
    "get_address_group",
    ownedTarget(caller, "address_group", current),
    () => addressGroupNotFound(id),
  );
  const next = {
    ...current,
    name: input.name ?? current.name,
    description: input.description ?? current.description,
  };
  await revise(tx, ctx, next);
  await emitAddressGroupChanged(tx, id);
  return { ...next, revision_number: next.revision_number + 1 };
}

/** add_addresses / remove_addresses: all or nothing. */
export async function changeAddresses(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  id: string,
  action: "add" | "remove",
  requested: readonly string[],
): Promise<AddressGroupRow> {
  const current = await addressGroupFor(tx, caller, id);
  allowOn(
    caller,
    `${action}_addresses`,
    "get_address_group",
    ownedTarget(caller, "address_group", current),
    () => addressGroupNotFound(id),
  );
  const present = new Set(await addressesOf(tx, id));
  const wanted = networks(requested);
  const pyList = (items: string[]) => `[${items.map((a) => `'${a}'`).join(", ")}]`;
  if (action === "add") {
    const already = wanted.filter((a) => present.has(a));
    if (already.length > 0)
      throw new ApiError(
        400,
        "AddressesAlreadyExist",
        `Addresses ${pyList(already)} already exist in the address group ${id}.`,
      );
    for (const address of wanted)
      await tx.run("INSERT INTO address_group_addresses (address_group_id, address) VALUES (?, ?)", [
        id,
        address,
      ]);
  } else {
    const missing = wanted.filter((a) => !present.has(a));
    if (missing.length > 0)
      throw new ApiError(
        404,
        "AddressesNotFound",
        `Addresses ${pyList(missing)} not found in the address group ${id}.`,
      );
    for (const address of wanted)
      await tx.run("DELETE FROM address_group_addresses WHERE address_group_id = ? AND address = ?", [
        id,
        address,
      ]);
  }
  await revise(tx, ctx, current);
  await emitAddressGroupChanged(tx, id);
  return { ...current, revision_number: current.revision_number + 1 };
}

export async function deleteAddressGroup(tx: WriteTx, caller: Caller, id: string): Promise<void> {
  const current = await addressGroupFor(tx, caller, id);
  allowOn(
    caller,
    "delete_address_group",
    "get_address_group",
    ownedTarget(caller, "address_group", current),
    () => addressGroupNotFound(id),
  );
  const user = await tx.get("SELECT id FROM security_group_rules WHERE remote_address_group_id = ? LIMIT 1", [
    id,
  ]);
  // So no host holds it through a rule: there is no one to tell.
  if (user !== undefined)
    throw conflict("AddressGroupInUse", `Address group ${id} is in use on one or more security group rules.`);
  await tx.run("DELETE FROM address_group_addresses WHERE address_group_id = ?", [id]);
  await tx.run("DELETE FROM address_groups WHERE id = ?", [id]);
  await dropRbacOf(tx, "address_group", id);
  await dropTags(tx, "address-groups", id);
}

/** The requested prefixes as networks, without repeats, in a stable order (validated by the API layer). */
function networks(addresses: readonly string[]): string[] {
  return [...new Set(addresses.map((a) => formatPrefix(networkOf(parsePrefix(a)!))))].sort();
}

async function revise(tx: WriteTx, ctx: ServiceContext, g: AddressGroupRow): Promise<void> {
  await tx.run(
    "UPDATE address_groups SET name = ?, description = ?, revision_number = ?, updated_at = ? WHERE id = ?",
    [g.name, g.description, g.revision_number + 1, timestamp(ctx.now()), g.id],
  );
}
