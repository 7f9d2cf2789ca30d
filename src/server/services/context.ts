import type { ServerConfig } from "../config.ts";
import type { Queryable, Store, WriteTx } from "../store/index.ts";

/** What every service function needs besides its transaction. */
export interface ServiceContext {
  readonly config: ServerConfig;
  readonly store: Store;
  now(): Date;
}

/** The caller: an admin may set provider attributes and other projects' resources. */
export interface Caller {
  readonly projectId: string;
  readonly admin: boolean;
}

export type { Queryable, WriteTx };
