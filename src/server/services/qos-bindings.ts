/** Which QoS policy a port or network is bound to: set through the API, or a project's default. */
import { ApiError } from "../api-errors.ts";
import type { QosPolicyRow } from "../rows.ts";
import type { Caller, Queryable } from "./context.ts";
import { qosPolicy, qosPolicyVisible } from "./lookups.ts";

/** The project's default policy, which a new network without a policy of its own gets (qos-default). */
export async function defaultPolicyOf(q: Queryable, projectId: string): Promise<string | null> {
  const row = await q.get<{ id: string }>(
    "SELECT id FROM qos_policies WHERE project_id = ? AND is_default = 1",
    [projectId],
  );
  return row?.id ?? null;
}

/**
 * The qos_policy_id a port or network ends up with (Neutron's QosCoreResourceExtension): `requested`
 * undefined keeps `current`; null detaches; an id must name a policy the caller can see (404 otherwise).
 * Replacing a policy needs access to it as well.
 */
export async function policyBinding(
  q: Queryable,
  caller: Caller,
  current: string | null,
  requested: string | null | undefined,
): Promise<string | null> {
  if (requested === undefined) return current;
  if (current !== null) {
    const old = await q.get<QosPolicyRow>("SELECT * FROM qos_policies WHERE id = ?", [current]);
    if (old !== undefined && !qosPolicyVisible(caller, old)) {
      throw new ApiError(
        403,
        "PolicyRemoveAuthorizationError",
        `Failed to remove provided policy ${current} because you are not authorized.`,
      );
    }
  }
  if (requested !== null) await qosPolicy(q, caller, requested);
  return requested;
}
