/**
 * What a feature's flow reaches beyond its own place: the tables its actions send the frame to and the
 * register bits they write. A flow in the feature's own table could still jump into another feature's
 * table or set another stage's mark, and then the order the dispatcher declares would no longer be the
 * order frames take; so the pipeline checks every flow's actions too (pipeline.ts, violation). The rule:
 *
 *   - goto_table, resubmit with a table and ct(table=N) recirculation may go to the feature's own tables
 *     on that bridge, to br-int table 0 (the dispatcher: ctx.next()), or to a table whose feature
 *     declares it a hand-off (TableDecl.handOff). resubmit without a table stays in the flow's own table.
 *   - learn may write flows only into the feature's own tables (the learned flows carry no check of
 *     their own), and what they load counts as the feature's write.
 *   - reg0 and reg1 hold the marks (registers.ts): a feature may write only its own bits there — its
 *     stage's mark, and the entry mark if it has entry flows (it owns or has a band in br-int table 0).
 *     Clearing a bit is writing it. This holds on every bridge, though the marks mean something only on
 *     br-int: the two registers are the pipeline's, and a rule without exceptions is one a reader checks.
 *   - an action the codec could not decode cannot be checked, so it is refused.
 *
 * Actions nested in ct are walked the same way.
 */
import type { Action, Flow, Subfield } from "../../openflow/index.ts";
import { DISPATCH_TABLE } from "./dispatcher.ts";
import type { BridgeKind } from "./feature.ts";
import type { LoadedFeature, TableInfo } from "./pipeline.ts";
import { bitsOf, MARK_REGISTERS, markAt } from "./registers.ts";

/** What the check needs of the pipeline. */
export interface ReachLookup {
  table(kind: BridgeKind, number: number): TableInfo | undefined;
  featureOfClass(ownerClass: number): LoadedFeature | undefined;
  /** The register bits the feature may set. */
  ownMarks(f: LoadedFeature): readonly Subfield[];
}

type Reach =
  | { readonly kind: "jump"; readonly table: number; readonly by: string }
  | { readonly kind: "learn"; readonly table: number }
  /** bits: those written, or undefined for the whole field. */
  | { readonly kind: "write"; readonly field: string; readonly bits: bigint | undefined; readonly by: string }
  | { readonly kind: "opaque" };

const REGISTER_BITS = 32;

function* reaches(actions: readonly Action[]): Generator<Reach> {
  for (const a of actions) {
    if (a.type === "goto_table") yield { kind: "jump", table: a.table, by: "goto_table" };
    else if (a.type === "resubmit" && a.table !== undefined)
      yield { kind: "jump", table: a.table, by: "resubmit" };
    else if (a.type === "ct") {
      if (a.table !== undefined) yield { kind: "jump", table: a.table, by: "ct(table=…)" };
      yield* reaches(a.actions);
    } else if (a.type === "set_field") yield { kind: "write", field: a.field, bits: a.mask, by: "set_field" };
    else if (a.type === "move") yield { kind: "write", field: a.dst.field, bits: bitsOf(a.dst), by: "move" };
    else if (a.type === "learn") {
      yield { kind: "learn", table: a.learn.table };
      for (const spec of a.learn.specs)
        if (spec.kind === "load")
          yield { kind: "write", field: spec.dst.field, bits: bitsOf(spec.dst), by: "learn" };
    } else if (a.type === "unknown") yield { kind: "opaque" };
  }
}

/** Why the flow's actions reach beyond what the feature may, or undefined. */
export function reachViolation(
  f: LoadedFeature,
  kind: BridgeKind,
  flow: Flow,
  where: string,
  pipeline: ReachLookup,
): string | undefined {
  const name = `${f.feature.name}'s flow in ${where}`;
  for (const r of reaches(flow.actions)) {
    if (r.kind === "opaque")
      return `${name} has an action the agent cannot decode, so where it sends frames cannot be checked`;
    if (r.kind === "jump") {
      if (kind === "int" && r.table === DISPATCH_TABLE) continue;
      const target = pipeline.table(kind, r.table);
      if (target === undefined)
        return `${name} jumps to table ${r.table} (${r.by}), which no feature declares`;
      if (target.owner === f || target.handOff !== undefined) continue;
      return `${name} jumps to table ${r.table} (${r.by}), which is ${target.owner.feature.name}'s (a feature may jump only to its own tables, to br-int table 0 by ctx.next(), or to a table another feature declares as a hand-off)`;
    }
    if (r.kind === "learn") {
      const target = pipeline.table(kind, r.table);
      if (target?.owner === f) continue;
      return `${name} learns flows into table ${r.table}, which is ${target === undefined ? "no feature's" : `${target.owner.feature.name}'s`} (a feature may learn only into its own tables)`;
    }
    if (r.kind === "write" && MARK_REGISTERS.includes(r.field)) {
      const own = pipeline.ownMarks(f);
      const allowed = own.filter((m) => m.field === r.field).reduce((bits, m) => bits | bitsOf(m), 0n);
      const written = r.bits ?? bitsOf({ field: r.field, start: 0, end: REGISTER_BITS - 1 });
      const foreign = written & ~allowed;
      if (foreign === 0n) continue;
      const bit = lowestBit(foreign);
      const mine = own.map((m) => `${m.field}[${m.start}]`).join(" and ") || "none, it has no stage";
      return `${name} sets ${r.field}[${bit}] (${r.by}), ${whoseMark(r.field, bit, pipeline)} (a feature may set only its own marks, by ctx.next(): ${mine})`;
    }
  }
  return undefined;
}

/** Whose mark a bit of reg0 or reg1 is, for the message. */
function whoseMark(field: string, bit: number, pipeline: ReachLookup): string {
  const mark = markAt(field, bit);
  if (mark === "entry")
    return "the entry mark, which only features with entry flows (a band in br-int table 0) set";
  const owner = mark === undefined ? undefined : pipeline.featureOfClass(mark);
  if (owner?.feature.stage !== undefined) return `${owner.feature.name}'s stage mark`;
  return `the stage mark of cookie class 0x${mark?.toString(16)}`;
}

function lowestBit(bits: bigint): number {
  let bit = 0;
  while (((bits >> BigInt(bit)) & 1n) === 0n) bit++;
  return bit;
}
