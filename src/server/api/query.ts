/**
 * Neutron's list semantics, which clients rely on: attribute filters (repeatable: OR), `fields=`,
 * sorting, and pagination with `limit`/`marker` and a `<collection>_links` next link.
 */
import { badRequest } from "../api-errors.ts";
import { booleanFrom } from "./attributes.ts";

const reserved = new Set(["fields", "limit", "marker", "sort_key", "sort_dir", "page_reverse"]);

/** The tag filters (standard-attr-tag), each a comma-separated list: all of, any of, not all of, none of. */
const tagFilters: Record<string, (have: ReadonlySet<string>, wanted: readonly string[]) => boolean> = {
  tags: (have, wanted) => wanted.every((t) => have.has(t)),
  "tags-any": (have, wanted) => wanted.some((t) => have.has(t)),
  "not-tags": (have, wanted) => !wanted.every((t) => have.has(t)),
  "not-tags-any": (have, wanted) => !wanted.some((t) => have.has(t)),
};

type Item = Record<string, unknown>;

function matches(item: Item, key: string, wanted: readonly string[]): boolean {
  const tagFilter = tagFilters[key];
  if (tagFilter !== undefined) {
    const tags = Array.isArray(item.tags) ? new Set(item.tags.map(String)) : new Set<string>();
    return tagFilter(
      tags,
      wanted.flatMap((w) => w.split(",")).filter((t) => t !== ""),
    );
  }
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

/**
 * The query without filters on keys no item has, for resources whose views show every attribute to every
 * caller: Neutron (without filter-validation) ignores a filter on what is not an attribute. Where views
 * leave out what the caller may not read, such a filter must keep matching nothing: do not use it there.
 */
export function ignoringUnknownFilters(query: URLSearchParams, items: readonly Item[]): URLSearchParams {
  const known = new Set(items.flatMap((i) => Object.keys(i)));
  const kept = new URLSearchParams();
  for (const [key, value] of query)
    if (reserved.has(key) || key in tagFilters || known.has(key) || items.length === 0)
      kept.append(key, value);
  return kept;
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

/**
 * A list answer as Neutron's API builds it: filters, sorting by one or more `sort_key`/`sort_dir` pairs
 * (then by id), and pages of `limit` after — or with `page_reverse=True` before — the `marker`, with
 * Neutron's `next` and `previous` links (neutron/api/api_common.py: a full page has a next link, a page
 * read forward always has a previous one). `path`: the collection's URL under /v2.0 when it is not just
 * its name (qos/policies).
 */
export function listBody(
  collection: string,
  all: readonly Item[],
  query: URLSearchParams,
  baseUrl: string,
  path = collection,
): Item {
  let items = filterItems(all, query);
  const sorts = sortsOf(query, items);
  items.sort((a, b) => {
    for (const [key, ascending] of sorts) {
      const c = compare(a[key], b[key]);
      if (c !== 0) return ascending ? c : -c;
    }
    return compare(a.id, b.id);
  });
  const limitText = query.get("limit");
  const limit = limitText === null || limitText === "" ? 0 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 0)
    throw badRequest(`Limit must be an integer 0 or greater and not '${limitText}'`);
  const body: Item = {};
  if (limit > 0) {
    const reverse = (query.get("page_reverse") ?? "false").toLowerCase() === "true";
    const marker = query.get("marker");
    let at = reverse ? items.length : -1;
    if (marker !== null && marker !== "") {
      at = items.findIndex((i) => i.id === marker);
      if (at < 0) throw badRequest(`marker ${marker} not found`);
    }
    items = reverse ? items.slice(Math.max(0, at - limit), at) : items.slice(at + 1, at + 1 + limit);
    const links: Item[] = [];
    const href = (page: Item | undefined, pageReverse: boolean) => {
      const params = new URLSearchParams(query);
      params.delete("marker");
      params.delete("page_reverse");
      if (page !== undefined) params.set("marker", String(page.id));
      if (pageReverse) params.set("page_reverse", "True");
      return `${baseUrl}/v2.0/${path}?${params}`;
    };
    if (!(items.length < limit && !reverse)) links.push({ rel: "next", href: href(items.at(-1), false) });
    if (!(items.length < limit && reverse)) links.push({ rel: "previous", href: href(items[0], true) });
    body[`${collection}_links`] = links;
  }
  body[collection] = items.map((item) => pickFields(item, query));
  return body;
}

/** sort_key/sort_dir pairs, as many of each (Neutron's get_sorts); true: ascending. */
function sortsOf(query: URLSearchParams, items: readonly Item[]): [string, boolean][] {
  const keys = query.getAll("sort_key").filter((k) => k !== "");
  const dirs = query.getAll("sort_dir").filter((d) => d !== "");
  // A direction alone, or a key alone, as clients send for the default id order.
  if (keys.length === 0) return dirs.length === 1 ? [["id", dirs[0] !== "desc"]] : [];
  if (dirs.length === 0 && keys.length === 1) return [[keys[0]!, true]];
  if (keys.length !== dirs.length) throw badRequest("The number of sort_keys and sort_dirs must be same");
  const absent = items.length === 0 ? [] : keys.filter((k) => !items.some((i) => k in i));
  if (absent.length > 0) throw badRequest(`${JSON.stringify(absent)} is invalid attribute for sort_keys`);
  const invalid = dirs.filter((d) => d !== "asc" && d !== "desc");
  if (invalid.length > 0)
    throw badRequest(
      `${JSON.stringify(invalid)} is invalid value for sort_dirs, valid value is 'asc' and 'desc'`,
    );
  return keys.map((k, i) => [k, dirs[i] === "asc"]);
}

/** Python's order for the values views hold: None first, then numbers or strings as such. */
function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  const x = typeof a === "object" ? JSON.stringify(a) : String(a);
  const y = typeof b === "object" ? JSON.stringify(b) : String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function pickFields(item: Item, query: URLSearchParams): Item {
  const fields = query.getAll("fields").flatMap((f) => f.split(","));
  if (fields.length === 0) return item;
  return Object.fromEntries(fields.filter((f) => f in item).map((f) => [f, item[f]]));
}
