/**
 * Tags (Neutron's standard-attr-tag): strings on an object, at most 255 characters each, replaced whole
 * or added and removed one by one. A change of tags is a new revision of the object, as in Neutron.
 */
import { ApiError, badRequest } from "../api-errors.ts";
import type { Queryable, WriteTx } from "./context.ts";
import { revise } from "./revisions.ts";

/** The taggable resources: their collection in the URL, their table, their policy name. */
export const TAGGABLE = {
  networks: { table: "networks", policy: "network" },
  subnets: { table: "subnets", policy: "subnet" },
  ports: { table: "ports", policy: "port" },
  "security-groups": { table: "security_groups", policy: "security_group" },
  "qos/policies": { table: "qos_policies", policy: "policy" },
  "address-groups": { table: "address_groups", policy: "address_group" },
  subnetpools: { table: "subnetpools", policy: "subnetpool" },
  routers: { table: "routers", policy: "router" },
  floatingips: { table: "floatingips", policy: "floatingip" },
} as const;

export type Taggable = keyof typeof TAGGABLE;

const MAX_TAG = 255;

export function checkTag(tag: unknown): string {
  if (typeof tag !== "string" || tag === "")
    throw badRequest(`Invalid input for tags. Reason: '${String(tag)}' is not a valid tag.`);
  if (tag.length > MAX_TAG)
    throw badRequest(`Invalid input for tags. Reason: '${tag}' exceeds maximum length of ${MAX_TAG}.`);
  return tag;
}

export const tagNotFound = (tag: string) =>
  new ApiError(404, "TagNotFound", `Tag ${tag} could not be found.`);

export async function tagsOf(q: Queryable, resource: Taggable, id: string): Promise<string[]> {
  const rows = await q.all<{ tag: string }>(
    "SELECT tag FROM tags WHERE resource = ? AND resource_id = ? ORDER BY tag",
    [resource, id],
  );
  return rows.map((r) => r.tag);
}

/** Every tag of a resource kind, by object (for lists). */
export async function tagsByObject(q: Queryable, resource: Taggable): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const { resource_id, tag } of await q.all<{ resource_id: string; tag: string }>(
    "SELECT resource_id, tag FROM tags WHERE resource = ? ORDER BY tag",
    [resource],
  )) {
    const list = out.get(resource_id) ?? [];
    list.push(tag);
    out.set(resource_id, list);
  }
  return out;
}

/** Replaces the object's tags (duplicates are one tag), a new revision of it. */
export async function setTags(
  tx: WriteTx,
  resource: Taggable,
  id: string,
  tags: readonly string[],
  now: string,
) {
  await tx.run("DELETE FROM tags WHERE resource = ? AND resource_id = ?", [resource, id]);
  for (const tag of new Set(tags))
    await tx.run("INSERT INTO tags (resource, resource_id, tag) VALUES (?, ?, ?)", [resource, id, tag]);
  await revise(tx, TAGGABLE[resource].table, id, now);
}

export async function addTag(tx: WriteTx, resource: Taggable, id: string, tag: string, now: string) {
  const have = await tx.get("SELECT 1 AS x FROM tags WHERE resource = ? AND resource_id = ? AND tag = ?", [
    resource,
    id,
    tag,
  ]);
  if (have !== undefined) return;
  await tx.run("INSERT INTO tags (resource, resource_id, tag) VALUES (?, ?, ?)", [resource, id, tag]);
  await revise(tx, TAGGABLE[resource].table, id, now);
}

export async function removeTag(tx: WriteTx, resource: Taggable, id: string, tag: string, now: string) {
  const removed = await tx.run("DELETE FROM tags WHERE resource = ? AND resource_id = ? AND tag = ?", [
    resource,
    id,
    tag,
  ]);
  if (removed === 0) throw tagNotFound(tag);
  await revise(tx, TAGGABLE[resource].table, id, now);
}

/** The object's tags go with it (called by each delete). */
export async function dropTags(tx: WriteTx, resource: Taggable, id: string): Promise<void> {
  await tx.run("DELETE FROM tags WHERE resource = ? AND resource_id = ?", [resource, id]);
}
