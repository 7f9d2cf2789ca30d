import type { Policy } from "../auth/policy.ts";
import type { ServerConfig } from "../config.ts";
import type { Queryable, Store, WriteTx } from "../store/index.ts";
import type { Grants } from "./grants.ts";

/** What every service function needs besides its transaction. */
export interface ServiceContext {
  readonly config: ServerConfig;
  readonly store: Store;
  now(): Date;
}

/**
 * The caller, as authentication established it (auth/authenticator.ts): its project, user and roles,
 * and the policy its requests are judged by (auth/policy.ts). `admin` and `service` are its roles'.
 * `grants` are the RBAC entries giving its project access to others' objects (grants.ts).
 */
export interface Caller {
  readonly projectId: string;
  readonly userId: string | undefined;
  readonly roles: ReadonlySet<string>;
  readonly admin: boolean;
  readonly service: boolean;
  readonly policy: Policy;
  readonly grants: Grants;
}

export type { Queryable, WriteTx };
