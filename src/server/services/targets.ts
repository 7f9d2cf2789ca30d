/**
 * Objects as the policy sees them (its "target"): the object's own attributes that rules test, and its
 * parent's as "network:project_id", "network:shared" — Neutron's names, so that a rule such as
 * `project_id:%(network:project_id)s` in an operator's policy file means what it means in Neutron.
 */
import type { Target } from "../auth/policy.ts";
import type { NetworkRow } from "../rows.ts";

type Owned = { readonly project_id: string };

export const networkTarget = (n: Pick<NetworkRow, "project_id" | "shared">): Target => ({
  project_id: n.project_id,
  shared: n.shared !== 0,
  "router:external": false,
});

/** A subnet or port (or one about to be made) on network `n`. */
export const onNetworkTarget = (
  o: Owned & { readonly device_owner?: string },
  n: Pick<NetworkRow, "id" | "project_id" | "shared">,
): Target => ({
  ...o,
  network_id: n.id,
  "network:project_id": n.project_id,
  "network:shared": n.shared !== 0,
  "network:router:external": false,
});

export const ownedTarget = (o: Owned, shared = false): Target => ({ project_id: o.project_id, shared });

/** A security-group rule, with its group's project (a group's owner manages the rules in it). */
export const ruleTarget = (rule: Owned, groupProjectId: string): Target => ({
  project_id: rule.project_id,
  "security_group:project_id": groupProjectId,
});
