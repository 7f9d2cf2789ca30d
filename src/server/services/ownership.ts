/**
 * Who may act on what: the caller's policy (auth/policy.ts) asked by Neutron's action names with the
 * object as its target (targets.ts). An object the caller may not see is "not found" (404, so that its
 * existence is not leaked); one it sees but may not change is forbidden (403); a create in another
 * project, or with an attribute only an admin may set, is forbidden.
 */
import { ApiError } from "../api-errors.ts";
import type { Target } from "../auth/policy.ts";
import type { Caller } from "./context.ts";

/** The project a new object belongs to: the one asked for, or the caller's. */
export function projectFor(caller: Caller, requested: string | undefined): string {
  return requested ?? caller.projectId;
}

/** 403 unless the caller may `action` the target (a create, or an object it is known to see). */
export function allow(caller: Caller, action: string, target: Target): void {
  caller.policy.require(action, caller, target);
}

/** For an existing object: 404 from `hidden` if the caller may not `see` it, 403 if it may not `action` it. */
export function allowOn(
  caller: Caller,
  action: string,
  see: string,
  target: Target,
  hidden: () => ApiError,
): void {
  caller.policy.authorize(action, see, caller, target, hidden);
}

export function sees(caller: Caller, see: string, target: Target): boolean {
  return caller.policy.allows(see, caller, target);
}

/** 403 naming the first attribute of `given` the caller may not set with `action` (e.g. create_network:shared). */
export function allowAttributes(
  caller: Caller,
  action: string,
  given: Iterable<string>,
  target: Target,
): void {
  const [denied] = caller.policy.deniedAttributes(action, given, caller, target);
  if (denied !== undefined)
    throw new ApiError(403, "PolicyNotAuthorized", `(rule:${denied}) is disallowed by policy`);
}

/** The caller acting for another project (a rule's remotes must be visible to the rule's project). */
export function asProject(caller: Caller, projectId: string): Caller {
  return caller.admin
    ? { ...caller, projectId }
    : { ...caller, projectId, roles: new Set(["member", "reader"]) };
}

/**
 * The server acting for the caller on objects it makes itself (a router's interface and gateway ports, a
 * floating IP's port): Neutron's elevated context. Only for work the caller's own request was allowed to do.
 */
export function elevated(caller: Caller): Caller {
  return { ...caller, admin: true, roles: new Set([...caller.roles, "admin", "member", "reader"]) };
}
