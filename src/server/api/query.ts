/**
 * Neutron's list semantics, which clients rely on: attribute filters (repeatable: OR), `fields=`,
 * sorting, and pagination with `limit`/`marker` and a `<collection>_links` next link.
 */
import { badRequest } from "../api-errors.ts";
import { booleanFrom } from "./attributes.ts";

const reserved = new Set(["fields", "limit", "marker", "sort_key", "sort_dir", "page_reverse"]);

type Item = Record<string, unknown>;

function matches(item: Item, key: string, wanted: readonly string[]): boolean {
  const value = item[key];
  if (key === "fixed_ips" && Array.isArray(value)) {
    // fixed_ips=ip_address=198.19.0.5 / fixed_ips=subnet_id=… (as openstackclient sends them)
    return wanted.some((w) => {
      const [k, v] = w.split("=", 2);
      return value.some((ip) => k !== undefined && v !== undefined && String((ip as Item)[k]) === v);
    });
  }
  if (value === undefined) return false;
  // Neutron converts a boolean attribute's filter as it converts the attribute (shared=True, is_default=1).
  if (typeof value === "boolean") return wanted.some((w) => booleanFrom(w) === value);
  const text = value === null ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
  return wanted.some((w) => w === text || (value === null && (w === "None" || w === "null")));
}

export function filterItems(items: readonly Item[], query: URLSearchParams): Item[] {
  const filters = new Map<string, string[]>();
  for (const [key, value] of query) {
    if (reserved.has(key)) continue;
    filters.set(key, [...(filters.get(key) ?? []), value]);
  }
  if (filters.size === 0) return [...items];
  return items.filter((item) => [...filters].every(([key, values]) => matches(item, key, values)));
}

/** `path`: the collection's URL under /v2.0 when it is not just its name (qos/policies). */
export function listBody(
  collection: string,
  all: readonly Item[],
  query: URLSearchParams,
  baseUrl: string,
  path = collection,
): Item {
  let items = filterItems(all, query);
  const sortKey = query.get("sort_key") ?? "id";
  const descending = query.get("sort_dir") === "desc";
  items.sort((a, b) => {
    const x = String(a[sortKey] ?? "");
    const y = String(b[sortKey] ?? "");
    return (x < y ? -1 : x > y ? 1 : String(a.id) < String(b.id) ? -1 : 1) * (descending ? -1 : 1);
  });
  const marker = query.get("marker");
  if (marker !== null) {
    const at = items.findIndex((i) => i.id === marker);
    if (at < 0) throw badRequest(`marker ${marker} not found`);
    items = items.slice(at + 1);
  }
  const limitText = query.get("limit");
  const body: Item = {};
  if (limitText !== null) {
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 0)
      throw badRequest(`limit must be a non-negative integer, got '${limitText}'`);
    if (limit > 0 && items.length > limit) {
      items = items.slice(0, limit);
      const next = new URLSearchParams(query);
      next.set("marker", String(items.at(-1)!.id));
      body[`${collection}_links`] = [{ rel: "next", href: `${baseUrl}/v2.0/${path}?${next}` }];
    }
  }
  body[collection] = items.map((item) => pickFields(item, query));
  return body;
}

export function pickFields(item: Item, query: URLSearchParams): Item {
  const fields = query.getAll("fields").flatMap((f) => f.split(","));
  if (fields.length === 0) return item;
  return Object.fromEntries(fields.filter((f) => f in item).map((f) => [f, item[f]]));
}
