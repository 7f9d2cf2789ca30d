/**
 * What RBAC entries (services/rbac.ts) give the caller's project: the objects shared with it, by a
 * wildcard entry or one naming the project, and the networks it may use as external. Neutron decides
 * visibility of shared objects this way per request (its model-query RBAC filter); here the entries for
 * the project are read once when the request is authenticated (app.ts) and the policy's targets
 * (targets.ts) carry the answers as `shared` and `router:external`, so a policy rule such as
 * `field:networks:shared=True` reads what this caller is given.
 */
import type { Queryable } from "./context.ts";

/** The object types RBAC entries may name, and the actions each allows (Neutron's). */
export const RBAC_ACTIONS = {
  network: ["access_as_shared", "access_as_external"],
  qos_policy: ["access_as_shared"],
  security_group: ["access_as_shared"],
  address_group: ["access_as_shared"],
  address_scope: ["access_as_shared"],
  subnetpool: ["access_as_shared"],
} as const;
export type RbacObjectType = keyof typeof RBAC_ACTIONS;
export type RbacAction = "access_as_shared" | "access_as_external";
export const WILDCARD = "*";

export class Grants {
  static readonly none = new Grants(new Set(), new Set(), new Set());

  readonly #sharedWithAll: ReadonlySet<string>;
  readonly #sharedWithProject: ReadonlySet<string>;
  readonly #external: ReadonlySet<string>;

  /** Keys are `type:id`; `external` holds network ids. */
  private constructor(all: ReadonlySet<string>, project: ReadonlySet<string>, external: ReadonlySet<string>) {
    this.#sharedWithAll = all;
    this.#sharedWithProject = project;
    this.#external = external;
  }

  static of(
    rows: readonly { object_type: string; object_id: string; action: string; target_project: string }[],
  ): Grants {
    const all = new Set<string>();
    const project = new Set<string>();
    const external = new Set<string>();
    for (const r of rows) {
      if (r.action === "access_as_shared")
        (r.target_project === WILDCARD ? all : project).add(`${r.object_type}:${r.object_id}`);
      else if (r.action === "access_as_external" && r.object_type === "network") external.add(r.object_id);
    }
    return new Grants(all, project, external);
  }

  /** Whether the object is shared with the project (a wildcard entry or one naming it). */
  shared(type: RbacObjectType, id: string): boolean {
    return this.#sharedWithAll.has(`${type}:${id}`) || this.#sharedWithProject.has(`${type}:${id}`);
  }

  /** Whether an entry naming the project shares the object (the wildcard aside). */
  sharedWithProject(type: RbacObjectType, id: string): boolean {
    return this.#sharedWithProject.has(`${type}:${id}`);
  }

  /** Whether the project may use the network as an external one. */
  external(networkId: string): boolean {
    return this.#external.has(networkId);
  }
}

/** The grants of a project: every wildcard entry and every entry naming it. */
export async function grantsOf(q: Queryable, projectId: string): Promise<Grants> {
  return Grants.of(
    await q.all<{ object_type: string; object_id: string; action: string; target_project: string }>(
      "SELECT object_type, object_id, action, target_project FROM rbac_policies WHERE target_project IN (?, ?)",
      [projectId, WILDCARD],
    ),
  );
}

/** The networks with any access_as_external entry: Neutron shows them as router:external to everyone. */
export async function externalNetworkIds(q: Queryable): Promise<Set<string>> {
  const rows = await q.all<{ object_id: string }>(
    "SELECT DISTINCT object_id FROM rbac_policies WHERE object_type = 'network' AND action = 'access_as_external'",
  );
  return new Set(rows.map((r) => r.object_id));
}
