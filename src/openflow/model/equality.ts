import type { Action } from "./actions.ts";
import type { Flow } from "./flow.ts";

/** Structural equality of decoded/built values (bigint, Uint8Array, arrays, plain objects). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (typeof a === "object" && typeof b === "object" && a !== null && b !== null) {
    const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    return (
      ka.length === kb.length &&
      ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return false;
}

export function actionsEqual(a: readonly Action[], b: readonly Action[]): boolean {
  // One list (a flow and its copy with a cookie, a feature's memoised flow) is equal without a look.
  return a === b || same(a, b);
}

/** Same actions, cookie and timeouts (the key — table, priority, match — is compared by the caller). */
export function flowBodyEqual(a: Flow, b: Flow): boolean {
  return (
    a.cookie === b.cookie &&
    a.idleTimeout === b.idleTimeout &&
    a.hardTimeout === b.hardTimeout &&
    actionsEqual(a.actions, b.actions)
  );
}
