/**
 * RBAC entries (`/v2.0/rbac-policies`, Neutron's rbac-policies extension): an object's owner (or an
 * admin) shares a network, QoS policy, security group or address group with one project or with all
 * (`*`, admins only), or lets a project use a network as external. An object's `shared` attribute is the
 * wildcard `access_as_shared` entry (setting it makes or removes that entry), a network's
 * `router:external` is "any access_as_external entry".
 *
 * Taking access away is refused (409) while the project losing it still uses the object — ports on a
 * network, ports in a security group, networks and ports with a QoS policy, rules naming an address
 * group — unless another entry still gives it access; the checks are Neutron's, including which uses
 * count: a network's own project never depends on an entry, the other types count every user.
 */
import { randomUUID } from "node:crypto";
import { ApiError, conflict, invalidInput, notFound } from "../api-errors.ts";
import type { Target } from "../auth/policy.ts";
import { timestamp } from "../rows.ts";
import type { Caller, Queryable, ServiceContext, WriteTx } from "./context.ts";
import { type RbacAction, type RbacObjectType, WILDCARD } from "./grants.ts";
import { allow, allowAttributes, allowOn, sees } from "./ownership.ts";
import { checkQuota } from "./quotas.ts";
import { type Revised, revise } from "./revisions.ts";

export interface RbacRow {
  id: string;
  project_id: string;
  object_type: string;
  object_id: string;
  action: string;
  target_project: string;
}

export interface RbacCreate {
  readonly projectId: string;
  readonly objectType: RbacObjectType;
  readonly objectId: string;
  readonly action: RbacAction;
  readonly target: string;
}

export const rbacNotFound = (id: string) =>
  new ApiError(404, "RbacPolicyNotFound", `RBAC policy of type rbac_policy with ID ${id} not found`);

const rbacTarget = (r: Pick<RbacRow, "project_id" | "target_project" | "object_type">): Target => ({
  project_id: r.project_id,
  target_tenant: r.target_project,
  object_type: r.object_type,
});

export function rbacVisible(caller: Caller, row: RbacRow): boolean {
  return sees(caller, "get_rbac_policy", rbacTarget(row));
}

/** Each object type's table, its not-found error, the `shared` column it keeps, and who uses it. */
interface ObjectKind {
  readonly table: string;
  /** The table's objects have revision numbers (address scopes have none). */
  readonly revised: boolean;
  readonly notFound: (id: string) => ApiError;
  /** The column mirroring the wildcard access_as_shared entry, if the table has one. */
  readonly sharedColumn: boolean;
  /** The projects whose objects use this one (Neutron's get_bound_project_ids). */
  bound(q: Queryable, id: string, ownerProject: string): Promise<Set<string>>;
}

const projects = async (q: Queryable, sql: string, params: readonly string[]) =>
  new Set((await q.all<{ project_id: string }>(sql, params)).map((r) => r.project_id));

const KINDS: Record<RbacObjectType, ObjectKind> = {
  network: {
    table: "networks",
    revised: true,
    notFound: (id) => notFound("Network", id),
    sharedColumn: true,
    bound: (q, id, owner) =>
      projects(q, "SELECT DISTINCT project_id FROM ports WHERE network_id = ? AND project_id <> ?", [
        id,
        owner,
      ]),
  },
  qos_policy: {
    table: "qos_policies",
    revised: true,
    notFound: (id) => new ApiError(404, "QosPolicyNotFound", `QoS policy ${id} could not be found.`),
    sharedColumn: true,
    bound: async (q, id) => {
      const nets = await projects(q, "SELECT DISTINCT project_id FROM networks WHERE qos_policy_id = ?", [
        id,
      ]);
      const ports = await projects(
        q,
        "SELECT DISTINCT project_id FROM ports WHERE qos_policy_id = ? AND device_owner = ''",
        [id],
      );
      return new Set([...nets, ...ports]);
    },
  },
  security_group: {
    table: "security_groups",
    revised: true,
    notFound: (id) => new ApiError(404, "SecurityGroupNotFound", `Security group ${id} does not exist`),
    sharedColumn: false,
    bound: (q, id) =>
      projects(
        q,
        "SELECT DISTINCT p.project_id FROM ports p JOIN port_security_groups g ON g.port_id = p.id WHERE g.security_group_id = ?",
        [id],
      ),
  },
  address_group: {
    table: "address_groups",
    revised: true,
    notFound: (id) => new ApiError(404, "AddressGroupNotFound", `Address group ${id} could not be found.`),
    sharedColumn: false,
    bound: (q, id) =>
      projects(q, "SELECT DISTINCT project_id FROM security_group_rules WHERE remote_address_group_id = ?", [
        id,
      ]),
  },
  address_scope: {
    table: "address_scopes",
    revised: false,
    notFound: (id) => new ApiError(404, "AddressScopeNotFound", `Address scope ${id} could not be found.`),
    sharedColumn: true,
    bound: (q, id) =>
      projects(q, "SELECT DISTINCT project_id FROM subnetpools WHERE address_scope_id = ?", [id]),
  },
  subnetpool: {
    table: "subnetpools",
    revised: true,
    notFound: (id) => new ApiError(404, "SubnetPoolNotFound", `Subnet pool ${id} could not be found.`),
    sharedColumn: true,
    bound: (q, id) => projects(q, "SELECT DISTINCT project_id FROM subnets WHERE subnetpool_id = ?", [id]),
  },
};

/** The policy action that decides whether the caller sees an object of the type. */
const GET_ACTION: Record<RbacObjectType, string> = {
  network: "get_network",
  qos_policy: "get_policy",
  security_group: "get_security_group",
  address_group: "get_address_group",
  address_scope: "get_address_scope",
  subnetpool: "get_subnetpool",
};

export async function findRbac(q: Queryable, caller: Caller, id: string): Promise<RbacRow> {
  const row = await q.get<RbacRow>("SELECT * FROM rbac_policies WHERE id = ?", [id]);
  if (row === undefined || !rbacVisible(caller, row)) throw rbacNotFound(id);
  return row;
}

export async function createRbac(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  input: RbacCreate,
): Promise<RbacRow> {
  const target = rbacTarget({
    project_id: input.projectId,
    target_project: input.target,
    object_type: input.objectType,
  });
  allow(caller, "create_rbac_policy", target);
  allowAttributes(caller, "create_rbac_policy", ["target_tenant"], target);
  const kind = KINDS[input.objectType];
  const object = await tx.get<{ project_id: string; shared?: number }>(
    `SELECT * FROM ${kind.table} WHERE id = ?`,
    [input.objectId],
  );
  if (object === undefined || !visibleObject(caller, input.objectType, input.objectId, object))
    throw kind.notFound(input.objectId);
  // Neutron's validate_rbac_policy_create: the owner shares, or an admin.
  if (!caller.admin && object.project_id !== caller.projectId)
    throw invalidInput("Only admins can manipulate policies on objects they do not own");
  if (await existing(tx, input.objectType, input.objectId, input.action, input.target))
    throw conflict("DuplicateRbacPolicy", "An RBAC policy already exists with those values.");
  await checkScopeReaches(tx, input.objectType, input.objectId, input.target);
  await checkQuota(tx, ctx.config, input.projectId, "rbac_policy", 1);
  const row: RbacRow = {
    id: randomUUID(),
    project_id: input.projectId,
    object_type: input.objectType,
    object_id: input.objectId,
    action: input.action,
    target_project: input.target,
  };
  await tx.run(
    "INSERT INTO rbac_policies (id, project_id, object_type, object_id, action, target_project) VALUES (?, ?, ?, ?, ?, ?)",
    [row.id, row.project_id, row.object_type, row.object_id, row.action, row.target_project],
  );
  await changed(tx, ctx, row);
  return row;
}

/**
 * A subnet pool in an address scope is shared only with projects that may use the scope (Neutron's
 * subnet pool RBAC check): else they would get a pool they cannot allocate from.
 */
async function checkScopeReaches(
  tx: WriteTx,
  type: RbacObjectType,
  objectId: string,
  target: string,
): Promise<void> {
  if (type !== "subnetpool") return;
  const scope = await tx.get<{ id: string; project_id: string; shared: number }>(
    "SELECT a.id, a.project_id, a.shared FROM subnetpools p JOIN address_scopes a ON a.id = p.address_scope_id WHERE p.id = ?",
    [objectId],
  );
  if (scope === undefined || scope.shared === 1 || scope.project_id === target) return;
  if (target !== "*" && (await existing(tx, "address_scope", scope.id, "access_as_shared", target))) return;
  throw invalidInput(
    `Failed to create RBAC policy on object ${objectId}: project ${target} has no access to its address scope ${scope.id}`,
  );
}

/** Only the target changes; refused while the project it leaves still uses the object. */
export async function updateRbac(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  id: string,
  newTarget: string,
): Promise<RbacRow> {
  const current = await findRbac(tx, caller, id);
  allowOn(caller, "update_rbac_policy", "get_rbac_policy", rbacTarget(current), () => rbacNotFound(id));
  allowAttributes(caller, "update_rbac_policy", ["target_tenant"], {
    ...rbacTarget(current),
    target_tenant: newTarget,
  });
  if (newTarget === current.target_project) return current;
  if (await existing(tx, current.object_type as RbacObjectType, current.object_id, current.action, newTarget))
    throw conflict("DuplicateRbacPolicy", "An RBAC policy already exists with those values.");
  await checkNotInUse(tx, current, newTarget);
  await checkScopeReaches(tx, current.object_type as RbacObjectType, current.object_id, newTarget);
  const next = { ...current, target_project: newTarget };
  await tx.run("UPDATE rbac_policies SET target_project = ? WHERE id = ?", [newTarget, id]);
  await changed(tx, ctx, next, current);
  return next;
}

export async function deleteRbac(
  tx: WriteTx,
  ctx: ServiceContext,
  caller: Caller,
  id: string,
): Promise<void> {
  const current = await findRbac(tx, caller, id);
  allowOn(caller, "delete_rbac_policy", "get_rbac_policy", rbacTarget(current), () => rbacNotFound(id));
  await checkNotInUse(tx, current);
  await tx.run("DELETE FROM rbac_policies WHERE id = ?", [id]);
  await changed(tx, ctx, undefined, current);
}

/**
 * Makes or removes the wildcard entry behind an object's `shared` (or a network's `router:external`),
 * as Neutron does when the attribute is set. Removing it is refused while other projects depend on it:
 * RbacPolicyInUse, or `inUse` where Neutron answers with the resource's own error.
 */
export async function setWildcard(
  tx: WriteTx,
  type: RbacObjectType,
  object: { readonly id: string; readonly project_id: string },
  action: RbacAction,
  on: boolean,
  inUse?: () => ApiError,
): Promise<void> {
  const entry = await tx.get<RbacRow>(
    "SELECT * FROM rbac_policies WHERE object_type = ? AND object_id = ? AND action = ? AND target_project = ?",
    [type, object.id, action, WILDCARD],
  );
  if (on && entry === undefined) {
    await tx.run(
      "INSERT INTO rbac_policies (id, project_id, object_type, object_id, action, target_project) VALUES (?, ?, ?, ?, ?, ?)",
      [randomUUID(), object.project_id, type, object.id, action, WILDCARD],
    );
  } else if (!on && entry !== undefined) {
    try {
      await checkNotInUse(tx, entry);
    } catch (error) {
      if (inUse !== undefined && error instanceof ApiError && error.type === "RbacPolicyInUse") throw inUse();
      throw error;
    }
    await tx.run("DELETE FROM rbac_policies WHERE id = ?", [entry.id]);
  }
}

/** For an object being deleted: its entries go with it. */
export async function dropRbacOf(tx: WriteTx, type: RbacObjectType, id: string): Promise<void> {
  await tx.run("DELETE FROM rbac_policies WHERE object_type = ? AND object_id = ?", [type, id]);
}

/** Whether the networks have an access_as_external entry each (they are router:external). */
export async function isExternal(q: Queryable, networkId: string): Promise<boolean> {
  return (
    (await q.get(
      "SELECT 1 AS x FROM rbac_policies WHERE object_type = 'network' AND object_id = ? AND action = 'access_as_external' LIMIT 1",
      [networkId],
    )) !== undefined
  );
}

function visibleObject(
  caller: Caller,
  type: RbacObjectType,
  id: string,
  object: { project_id: string; shared?: number },
): boolean {
  return sees(caller, GET_ACTION[type], {
    project_id: object.project_id,
    shared: object.shared === 1 || caller.grants.shared(type, id),
    "router:external": type === "network" && caller.grants.external(id),
  });
}

async function existing(
  q: Queryable,
  type: RbacObjectType,
  objectId: string,
  action: string,
  target: string,
): Promise<boolean> {
  return (
    (await q.get(
      "SELECT 1 AS x FROM rbac_policies WHERE object_type = ? AND object_id = ? AND action = ? AND target_project = ?",
      [type, objectId, action, target],
    )) !== undefined
  );
}

/**
 * 409 when taking `entry` away leaves a project that uses the object without access. A named project
 * keeps access through a wildcard entry; losing the wildcard is safe only for projects that have entries
 * of their own. As in Neutron, moving a sharing entry to another target is checked as removing it (the
 * new target is not counted). What depends on access_as_external are the routers whose gateway is on the
 * network, and there the new target of a moved entry keeps its access (Neutron's external_net_db).
 */
async function checkNotInUse(q: Queryable, entry: RbacRow, newTarget?: string): Promise<void> {
  if (entry.action !== "access_as_shared" && entry.action !== "access_as_external") return;
  const type = entry.object_type as RbacObjectType;
  const others = new Set(
    (
      await q.all<{ target_project: string }>(
        "SELECT target_project FROM rbac_policies WHERE object_type = ? AND object_id = ? AND action = ? AND id <> ?",
        [type, entry.object_id, entry.action, entry.id],
      )
    ).map((r) => r.target_project),
  );
  // Neutron's external_net_db counts an external entry's new target as access kept; sharing does not.
  if (newTarget !== undefined && entry.action === "access_as_external") others.add(newTarget);
  if (others.has(WILDCARD)) return;
  const owner = await q.get<{ project_id: string }>(
    `SELECT project_id FROM ${KINDS[type].table} WHERE id = ?`,
    [entry.object_id],
  );
  if (owner === undefined) return;
  const bound =
    entry.action === "access_as_external"
      ? await gatewayProjects(q, entry.object_id, owner.project_id)
      : await KINDS[type].bound(q, entry.object_id, owner.project_id);
  const losing =
    entry.target_project === WILDCARD
      ? [...bound].filter((p) => !others.has(p))
      : bound.has(entry.target_project) && !others.has(entry.target_project)
        ? [entry.target_project]
        : [];
  if (losing.length > 0)
    throw conflict(
      "RbacPolicyInUse",
      `RBAC policy on object ${entry.object_id} cannot be removed because other objects depend on it.\nDetails: tenant_id=${entry.target_project}`,
    );
}

/** After an entry is made, moved or removed: the object's `shared` column and its revision. */
async function changed(tx: WriteTx, ctx: ServiceContext, now?: RbacRow, before?: RbacRow): Promise<void> {
  const entry = (now ?? before)!;
  const type = entry.object_type as RbacObjectType;
  const kind = KINDS[type];
  if (kind.sharedColumn && entry.action === "access_as_shared") {
    const wildcard = await existing(tx, type, entry.object_id, "access_as_shared", WILDCARD);
    await tx.run(`UPDATE ${kind.table} SET shared = ? WHERE id = ?`, [wildcard ? 1 : 0, entry.object_id]);
  }
  if (kind.revised) await revise(tx, kind.table as Revised, entry.object_id, timestamp(ctx.now()));
}

/** The projects (other than the network's owner) whose routers have their gateway on the network. */
async function gatewayProjects(q: Queryable, networkId: string, owner: string): Promise<Set<string>> {
  const rows = await q.all<{ project_id: string }>(
    `SELECT DISTINCT r.project_id FROM routers r JOIN ports p ON p.id = r.gw_port_id
      WHERE p.network_id = ? AND r.project_id <> ?`,
    [networkId, owner],
  );
  return new Set(rows.map((r) => r.project_id));
}
