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

/** The views the caller may see, each without its hidden attributes. */
export function visibleList<V extends Record<string, unknown>>(
  req: ApiRequest,
  resource: string,
  items: Iterable<Readable<V>>,
): V[] {
  const { caller } = req;
  const out: V[] = [];
  for (const { view, target } of items)
    if (caller.policy.sees(`get_${resource}`, caller, target))
      out.push(caller.policy.visibleView(resource, view, caller, target));
  return out;
}

/** One view the caller may see, without its hidden attributes; `hidden` (404) if it may not see it. */
export function visibleOne<V extends Record<string, unknown>>(
  req: ApiRequest,
  resource: string,
  item: Readable<V>,
  hidden: () => ApiError,
): V {
  const { caller } = req;
  if (!caller.policy.sees(`get_${resource}`, caller, item.target)) throw hidden();
  return caller.policy.visibleView(resource, item.view, caller, item.target);
}

/** Whether the caller may see the object (for lookups that must not reveal it, e.g. a port's network). */
export function mayRead(req: ApiRequest, resource: string, target: Target): boolean {
  return req.caller.policy.sees(`get_${resource}`, req.caller, target);
}
