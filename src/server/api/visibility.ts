/**
 * Reads through the policy: a list holds only what the caller may see (`get_<resource>`), a show of
 * anything else is "not found" — the same answer as for an id that does not exist, so ids of other
 * projects' objects cannot be probed — and every view loses the attributes the caller may not read
 * (`get_<resource>:<attribute>`: provider and binding details for non-admins).
 */
import type { ApiError } from "../api-errors.ts";
import type { Target } from "../auth/policy.ts";
import type { ApiRequest } from "../http/router.ts";

export interface Readable<V> {
  readonly view: V;
  readonly target: Target;
}

/** The items whose object the caller may see (`get_<resource>`), before their views are built. */
export function readable<T extends { readonly target: Target }>(
  req: ApiRequest,
  resource: string,
  items: Iterable<T>,
): T[] {
  const { caller } = req;
  return [...items].filter((item) => caller.policy.allows(`get_${resource}`, caller, item.target));
}

/** A view of an object the caller may see, without the attributes it may not read. */
export function withoutHidden<V extends Record<string, unknown>>(
  req: ApiRequest,
  resource: string,
  item: Readable<V>,
): V {
  return req.caller.policy.visibleView(resource, item.view, req.caller, item.target);
}

/** The views the caller may see, each without its hidden attributes. */
export function visibleList<V extends Record<string, unknown>>(
  req: ApiRequest,
  resource: string,
  items: Iterable<Readable<V>>,
): V[] {
  return readable(req, resource, items).map((item) => withoutHidden(req, resource, item));
}

/** One view the caller may see, without its hidden attributes; `hidden` (404) if it may not see it. */
export function visibleOne<V extends Record<string, unknown>>(
  req: ApiRequest,
  resource: string,
  item: Readable<V>,
  hidden: () => ApiError,
): V {
  if (readable(req, resource, [item]).length === 0) throw hidden();
  return withoutHidden(req, resource, item);
}
