/**
 * Objects as the policy sees them (its "target"): the object's own attributes that rules test, and its
 * parent's as "network:project_id", "network:shared" — Neutron's names, so that a rule such as
 * `project_id:%(network:project_id)s` in an operator's policy file means what it means in Neutron.
 * `shared` and `router:external` are what the caller's project is given (grants.ts): a network shared
 * with one project is shared for that project only.
 */
import type { Target } from "../auth/policy.ts";
import type { NetworkRow } from "../rows.ts";
import type { Caller } from "./context.ts";
import type { RbacObjectType } from "./grants.ts";

type Owned = { readonly project_id: string };
type NetworkLike = Pick<NetworkRow, "id" | "project_id" | "shared">;

/**
 * Whether the object is shared with the caller's project: a wildcard entry or one naming it. Where the
 * row has a `shared` column (kept with the wildcard entry), the row decides the wildcard: grants are read
 * when the request starts, and a row updated by this request (shared=False) must not show them stale.
 */
export const sharedWith = (
  caller: Caller,
  type: RbacObjectType,
  o: { readonly id: string; readonly shared?: number },
): boolean =>
  o.shared === undefined
    ? caller.grants.shared(type, o.id)
    : o.shared === 1 || caller.grants.sharedWithProject(type, o.id);

export const networkTarget = (caller: Caller, n: NetworkLike): Target => ({
  project_id: n.project_id,
  shared: sharedWith(caller, "network", n),
  "router:external": caller.grants.external(n.id),
});

/** A subnet or port (or one about to be made) on network `n`. */
export const onNetworkTarget = (
  caller: Caller,
  o: Owned & { readonly device_owner?: string },
  n: NetworkLike,
): Target => ({
  ...o,
  network_id: n.id,
  "network:project_id": n.project_id,
  "network:shared": sharedWith(caller, "network", n),
  "network:router:external": caller.grants.external(n.id),
});

/** A QoS policy, security group or address group, shared with the caller's project or not. */
export const ownedTarget = (
  caller: Caller,
  type: RbacObjectType,
  o: Owned & { readonly id: string; readonly shared?: number },
): Target => ({ project_id: o.project_id, shared: sharedWith(caller, type, o) });

/** A security-group rule, with its group's project (a group's owner manages the rules in it). */
export const ruleTarget = (rule: Owned, groupProjectId: string): Target => ({
  project_id: rule.project_id,
  "security_group:project_id": groupProjectId,
});
