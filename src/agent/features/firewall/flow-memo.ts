/**
 * Flows a render made before, given back by a key of what they are made of, so that re-rendering ten
 * thousand member flows for one member's change builds one new flow, not ten thousand (building a flow
 * canonicalises its match, the costly part). Pure as far as callers can tell: the same key always gives
 * an equal flow; what a render did not ask for is forgotten when it ends.
 */
import type { Flow } from "../../../openflow/index.ts";

export class FlowMemo {
  #last = new Map<string, Flow>();
  #next = new Map<string, Flow>();

  get(key: string, make: () => Flow): Flow {
    let flow = this.#next.get(key) ?? this.#last.get(key);
    if (flow === undefined) flow = make();
    this.#next.set(key, flow);
    return flow;
  }

  /** Ends a render: what it did not ask for is forgotten (after a failed one, rebuilt when next asked). */
  done(): void {
    this.#last = this.#next;
    this.#next = new Map();
  }
}
