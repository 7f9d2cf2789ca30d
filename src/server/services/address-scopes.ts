/**
 * Address scopes (Neutron's address-scope extension): a named IPv4 or IPv6 address space whose subnet
 * pools may not overlap one another (subnet-pools.ts checks that). Sharing is the wildcard RBAC entry
 * behind `shared`, and a shared scope cannot be unshared; a scope that pools use cannot be deleted.
 */
import { randomUUID } from "node:crypto";
import { ApiError, conflict } from "../api-errors.ts";
import type { AddressScopeRow } from "../rows.ts";
import type { Caller, Queryable, WriteTx } from "./context.ts";
import { allow, allowAttributes, allowOn, sees } from "./ownership.ts";
import { dropRbacOf, setWildcard } from "./rbac.ts";
import { ownedTarget } from "./targets.ts";

export const addressScopeNotFound = (id: string) =>
  new ApiError(404, "AddressScopeNotFound", `Address scope ${id} could not be found.`);

export interface AddressScopeCreate {
  readonly name: string;
  readonly projectId: string;
  readonly shared: boolean;
  readonly ipVersion: 4 | 6;
}

export type AddressScopeUpdate = Partial<Pick<AddressScopeCreate, "name" | "shared">>;

export function addressScopeVisible(caller: Caller, scope: AddressScopeRow): boolean {
  return sees(caller, "get_address_scope", ownedTarget(caller, "address_scope", scope));
}

/** A scope the caller may see, or AddressScopeNotFound (also for one it may not see). */
export async function addressScopeFor(q: Queryable, caller: Caller, id: string): Promise<AddressScopeRow> {
  const row = await q.get<AddressScopeRow>("SELECT * FROM address_scopes WHERE id = ?", [id]);
  if (row === undefined || !addressScopeVisible(caller, row)) throw addressScopeNotFound(id);
  return row;
}

export async function createAddressScope(
  tx: WriteTx,
  caller: Caller,
  input: AddressScopeCreate,
): Promise<AddressScopeRow> {
  const target = { project_id: input.projectId, shared: input.shared };
  allow(caller, "create_address_scope", target);
  allowAttributes(caller, "create_address_scope", input.shared ? ["shared"] : [], target);
  const row: AddressScopeRow = {
    id: randomUUID(),
    name: input.name,
    project_id: input.projectId,
    shared: input.shared ? 1 : 0,
    ip_version: input.ipVersion,
  };
  await tx.run(
    "INSERT INTO address_scopes (id, name, project_id, shared, ip_version) VALUES (?, ?, ?, ?, ?)",
    [row.id, row.name, row.project_id, row.shared, row.ip_version],
  );
  if (input.shared) await setWildcard(tx, "address_scope", row, "access_as_shared", true);
  return row;
}

export async function updateAddressScope(
  tx: WriteTx,
  caller: Caller,
  id: string,
  input: AddressScopeUpdate,
): Promise<AddressScopeRow> {
  const current = await addressScopeFor(tx, caller, id);
  const target = ownedTarget(caller, "address_scope", current);
  allowOn(caller, "update_address_scope", "get_address_scope", target, () => addressScopeNotFound(id));
  allowAttributes(caller, "update_address_scope", input.shared === undefined ? [] : ["shared"], target);
  if (current.shared === 1 && input.shared === false)
    throw new ApiError(
      400,
      "AddressScopeUpdateError",
      `Unable to update address scope ${id} : Shared address scope can't be unshared.`,
    );
  const next: AddressScopeRow = {
    ...current,
    name: input.name ?? current.name,
    shared: input.shared === undefined ? current.shared : input.shared ? 1 : 0,
  };
  if (next.shared === 1 && current.shared === 0)
    await setWildcard(tx, "address_scope", current, "access_as_shared", true);
  await tx.run("UPDATE address_scopes SET name = ?, shared = ? WHERE id = ?", [next.name, next.shared, id]);
  return next;
}

export async function deleteAddressScope(tx: WriteTx, caller: Caller, id: string): Promise<void> {
  const current = await addressScopeFor(tx, caller, id);
  allowOn(
    caller,
    "delete_address_scope",
    "get_address_scope",
    ownedTarget(caller, "address_scope", current),
    () => addressScopeNotFound(id),
  );
  if ((await tx.get("SELECT id FROM subnetpools WHERE address_scope_id = ? LIMIT 1", [id])) !== undefined)
    throw conflict(
      "AddressScopeInUse",
      `Unable to complete operation on address scope ${id}. There are one or more subnet pools in use on the address scope.`,
    );
  await tx.run("DELETE FROM address_scopes WHERE id = ?", [id]);
  await dropRbacOf(tx, "address_scope", id);
}
