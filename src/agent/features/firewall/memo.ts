/**
 * Values a render made before, given back by a key of what they are made of, so that re-rendering ten
 * thousand member flows for one member's change builds one new flow, not ten thousand (building a flow
 * canonicalises its match, the costly part). Pure as far as callers can tell: the same key always gives
 * an equal value; what a render did not ask for is forgotten when it ends.
 */
export class Memo<T> {
  #last = new Map<string, T>();
  #next = new Map<string, T>();

  get(key: string, make: () => T): T {
    let value = this.#next.get(key) ?? this.#last.get(key);
    if (value === undefined) value = make();
    this.#next.set(key, value);
    return value;
  }

  /** Ends a render: what it did not ask for is forgotten (after a failed one, rebuilt when next asked). */
  done(): void {
    this.#last = this.#next;
    this.#next = new Map();
  }
}
