/**
 * Neutron's revision numbers (standard-attr-revisions): every change to an object, and to what it holds
 * (a network's subnets, a group's rules, an object's tags), is a new revision of it.
 */
import type { WriteTx } from "./context.ts";

/** The tables of objects with a revision_number. */
export type Revised =
  | "networks"
  | "subnets"
  | "ports"
  | "security_groups"
  | "address_groups"
  | "qos_policies"
  | "subnetpools"
  | "routers"
  | "floatingips";

export async function revise(tx: WriteTx, table: Revised, id: string, now: string): Promise<void> {
  await tx.run(`UPDATE ${table} SET revision_number = revision_number + 1, updated_at = ? WHERE id = ?`, [
    now,
    id,
  ]);
}
