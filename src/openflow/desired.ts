import { WeirError } from "../base/index.ts";
import { type FlowOwner, ownerId } from "./cookie.ts";
import { flowBodyEqual } from "./model/equality.ts";
import { type Flow, flowKey } from "./model/flow.ts";

/** Two owners want a flow with the same (table, priority, match): only one can exist in a switch. */
export class FlowConflictError extends WeirError {
  readonly key: string;
  readonly owners: readonly [FlowOwner, FlowOwner];

  constructor(key: string, existing: FlowOwner, incoming: FlowOwner) {
    super(
      "OPENFLOW_FLOW_CONFLICT",
      `flow ${key} is owned by ${ownerId(existing)}; ${ownerId(incoming)} cannot also install it`,
    );
    this.key = key;
    this.owners = [existing, incoming];
  }
}

export interface FlowDelta {
  /** New keys, and keys whose actions, cookie or timeouts changed: sent as OFPFC_ADD (replace in place). */
  readonly upserts: readonly Flow[];
  /** Keys no longer wanted: sent as OFPFC_DELETE_STRICT. */
  readonly removals: readonly Flow[];
  /** How many of the upserts are new keys (the rest modify a flow in place). */
  readonly added: number;
}

interface Owned {
  readonly owner: FlowOwner;
  readonly flows: Map<string, Flow>;
}

/**
 * A bridge's desired flows, each attributed to one owner (a cookie class and a key). Flows are keyed by
 * (table, priority, match); replacing an owner's set yields exactly the difference, and removing an owner
 * yields exactly its flows.
 */
export class DesiredFlows {
  readonly #byKey = new Map<string, { flow: Flow; owner: FlowOwner }>();
  readonly #byOwner = new Map<string, Owned>();

  get size(): number {
    return this.#byKey.size;
  }

  owners(): FlowOwner[] {
    return [...this.#byOwner.values()].map((o) => o.owner);
  }

  ownerOf(key: string): FlowOwner | undefined {
    return this.#byKey.get(key)?.owner;
  }

  get(key: string): Flow | undefined {
    return this.#byKey.get(key)?.flow;
  }

  has(owner: FlowOwner): boolean {
    return this.#byOwner.has(ownerId(owner));
  }

  flowsOf(owner: FlowOwner): Flow[] {
    return [...(this.#byOwner.get(ownerId(owner))?.flows.values() ?? [])];
  }

  *entries(): IterableIterator<[string, Flow, FlowOwner]> {
    for (const [key, { flow, owner }] of this.#byKey) yield [key, flow, owner];
  }

  /** The key a flow of `owner` would collide on with another owner's, if any (nothing is changed). */
  conflictOf(owner: FlowOwner, flows: readonly Flow[]): FlowConflictError | undefined {
    const keyed = this.#keyed(owner, flows);
    return keyed instanceof FlowConflictError ? keyed : undefined;
  }

  /**
   * The owner's flows by key, and what it had: or the conflict a key would make (the same key twice, or a
   * key another owner holds). The owner's own keys are `previous`, so no other owner is asked about them.
   */
  #keyed(
    owner: FlowOwner,
    flows: readonly Flow[],
  ): { previous: Map<string, Flow>; next: Map<string, Flow> } | FlowConflictError {
    const previous = this.#byOwner.get(ownerId(owner))?.flows ?? new Map<string, Flow>();
    const next = new Map<string, Flow>();
    for (const flow of flows) {
      const key = flowKey(flow);
      if (next.has(key)) return new FlowConflictError(key, owner, owner);
      const holder = previous.has(key) ? undefined : this.#byKey.get(key)?.owner;
      if (holder !== undefined) return new FlowConflictError(key, holder, owner);
      next.set(key, flow);
    }
    return { previous, next };
  }

  /** Replaces `owner`'s flows; returns the difference. Nothing changes if a key belongs to another owner. */
  replace(owner: FlowOwner, flows: readonly Flow[]): FlowDelta {
    const keyed = this.#keyed(owner, flows);
    if (keyed instanceof FlowConflictError) throw keyed;
    const { previous, next } = keyed;
    const id = ownerId(owner);
    const upserts: Flow[] = [];
    const removals: Flow[] = [];
    let added = 0;
    for (const [key, flow] of next) {
      const old = previous.get(key);
      // The same object (a memoised flow, stamped with the same cookie) is unchanged without a look.
      if (old === flow) continue;
      if (old === undefined) added++;
      if (old === undefined || !flowBodyEqual(old, flow)) upserts.push(flow);
      this.#byKey.set(key, { flow, owner });
    }
    for (const [key, flow] of previous) {
      if (next.has(key)) continue;
      removals.push(flow);
      this.#byKey.delete(key);
    }
    if (next.size === 0) this.#byOwner.delete(id);
    else this.#byOwner.set(id, { owner, flows: next });
    return { upserts, removals, added };
  }

  remove(owner: FlowOwner): FlowDelta {
    return this.replace(owner, []);
  }
}
