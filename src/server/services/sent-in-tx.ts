/**
 * What a transaction already sent to agents, so that a host hears of one object once per transaction
 * however many changes in it touch that object. Keyed by the transaction: it goes with it.
 */
import type { WriteTx } from "./context.ts";

/** A per-transaction set of sent keys; each call of the returned function gives that transaction's set. */
export function sentInTransaction(): (tx: WriteTx) => Set<string> {
  const byTx = new WeakMap<WriteTx, Set<string>>();
  return (tx) => {
    let set = byTx.get(tx);
    if (set === undefined) {
      set = new Set();
      byTx.set(tx, set);
    }
    return set;
  };
}
