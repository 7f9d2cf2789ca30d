import { WeirError } from "../base/index.ts";
import { flowBodyEqual } from "./model/equality.ts";
import { type Flow, flowKey } from "./model/flow.ts";

/** Two owners want a flow with the same (table, priority, match): only one can exist in a switch. */
export class FlowConflictError extends WeirError {
  readonly key: string;
  readonly owners: readonly [string, string];

  constructor(key: string, existing: string, incoming: string) {
    super(
      "OPENFLOW_FLOW_CONFLICT",
      `flow ${key} is owned by ${existing}; ${incoming} cannot also install it`,
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
}

export const emptyDelta: FlowDelta = { upserts: [], removals: [] };

/**
 * A bridge's desired flows, each attributed to one named owner ("int-base", "port:<id>", "ext:qos").
 * Flows are keyed by (table, priority, match); replacing an owner's set yields exactly the difference,
 * and removing an owner yields exactly its flows.
 */
export class DesiredFlows {
  readonly #byKey = new Map<string, { flow: Flow; owner: string }>();
  readonly #byOwner = new Map<string, Map<string, Flow>>();

  get size(): number {
    return this.#byKey.size;
  }

  owners(): string[] {
    return [...this.#byOwner.keys()];
  }

  ownerOf(key: string): string | undefined {
    return this.#byKey.get(key)?.owner;
  }

  get(key: string): Flow | undefined {
    return this.#byKey.get(key)?.flow;
  }

  flowsOf(owner: string): Flow[] {
    return [...(this.#byOwner.get(owner)?.values() ?? [])];
  }

  *entries(): IterableIterator<[string, Flow, string]> {
    for (const [key, { flow, owner }] of this.#byKey) yield [key, flow, owner];
  }

  /** Replaces `owner`'s flows; returns the difference. Nothing changes if a key belongs to another owner. */
  replace(owner: string, flows: readonly Flow[]): FlowDelta {
    const next = new Map<string, Flow>();
    for (const flow of flows) {
      const key = flowKey(flow);
      const holder = this.#byKey.get(key)?.owner;
      if (holder !== undefined && holder !== owner) throw new FlowConflictError(key, holder, owner);
      if (next.has(key)) throw new FlowConflictError(key, owner, owner);
      next.set(key, flow);
    }
    const previous = this.#byOwner.get(owner) ?? new Map<string, Flow>();
    const upserts: Flow[] = [];
    const removals: Flow[] = [];
    for (const [key, flow] of next) {
      const old = previous.get(key);
      if (old === undefined || !flowBodyEqual(old, flow)) upserts.push(flow);
      this.#byKey.set(key, { flow, owner });
    }
    for (const [key, flow] of previous) {
      if (next.has(key)) continue;
      removals.push(flow);
      this.#byKey.delete(key);
    }
    if (next.size === 0) this.#byOwner.delete(owner);
    else this.#byOwner.set(owner, next);
    return { upserts, removals };
  }

  remove(owner: string): FlowDelta {
    return this.replace(owner, []);
  }
}
