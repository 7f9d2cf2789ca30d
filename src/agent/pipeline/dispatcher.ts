/**
 * br-int's dispatcher (seed 004): table 0 is where every frame enters and where it comes back after each
 * stage. A frame first meets the entry flows (dead VLAN and dead ports dropped, provider VLANs
 * translated), which match only unclassified frames; then one dispatcher flow per stage, highest first,
 * sends it to the first stage whose mark is still clear. A stage ends by setting its mark and resubmitting
 * to table 0 (Neutron's DSCP marking resubmits the same way, with reg2). So:
 *   - features never reference each other's tables: a stage knows only its own tables and `next()`, and
 *     the pipeline refuses a flow that jumps elsewhere or writes another's mark (flow-reach.ts) — short
 *     of a table its feature declares a hand-off (TableDecl.handOff; only br-tun's FLOOD_TO_TUN is);
 *   - the order is declared (by kind, then by cookie class), not implied by table numbers, so Neutron's
 *     numbers stay (security groups in 71–94, after QoS in 59, before TRANSIENT 60);
 *   - a feature is added or removed with its own flows only: its dispatcher flow is its own, its mark bit
 *     and priority derive from its cookie class, which the agent keeps stable.
 * Within a kind, lower class runs first: core features' pinned classes (0x01–0x1f) before every
 * extension (0x80–0x9f can have stages). An extension's class is assigned on the host when it is first
 * enabled there (the lowest free one; in `[agent] extensions` order for several at once) and kept in
 * OVSDB across restarts (extensions/classes.ts), so on one host the order stays as it is. But hosts that
 * enabled the same extensions in different orders run same-kind extensions in different orders, and so
 * can one host after its record is lost or after an extension is removed (its class is freed once its
 * flows are swept) and enabled again. That order is not a contract: an extension that must run before
 * another has to be of an earlier kind (or the two one extension).
 * Marks live in registers (registers.ts); the forward stage (TRANSIENT) never sets its mark, so its
 * dispatcher flow is where every frame ends up once the other stages are done.
 */
import { actions as A, type Action, type Flow, flow, type MatchSpec } from "../../openflow/index.ts";
import type { StageKind } from "./feature.ts";
import { ENTRY_MARK, markClear, setMark, stageMark } from "./registers.ts";

/** br-int's table 0: entry and dispatch. */
export const DISPATCH_TABLE = 0;

/** Priorities of br-int table 0 that belong to the pipeline itself. */
export const DispatchBand = { min: 1, max: 9_999 } as const;
/** Entry flows (features' bands in table 0) sit above the dispatcher, from here up. */
export const ENTRY_MIN_PRIORITY = 10_000;

const kindBase: Record<StageKind, number> = { modify: 3_000, filter: 2_000, forward: 1_000 };
export const stageKindOrder: readonly StageKind[] = ["modify", "filter", "forward"];

/**
 * The dispatcher priority of a stage: by kind, then by cookie class (lower class first; for extensions
 * that is the order they were first enabled on this host, see above).
 */
export function dispatchPriority(kind: StageKind, ownerClass: number): number {
  return kindBase[kind] + (0xff - ownerClass);
}

/** The dispatcher flow of a stage: its mark clear → its table. */
export function dispatcherFlow(kind: StageKind, ownerClass: number, table: number): Flow {
  return flow({
    table: DISPATCH_TABLE,
    priority: dispatchPriority(kind, ownerClass),
    match: markClear(stageMark(ownerClass)),
    actions: [A.gotoTable(table)],
  });
}

/** Ends a stage: mark it done, back to the dispatcher. */
export const stageDone = (ownerClass: number): readonly Action[] => [
  setMark(stageMark(ownerClass)),
  A.resubmit(DISPATCH_TABLE),
];

/** Ends classification: the frame is classified; on to the stages. */
export const entryDone: readonly Action[] = [setMark(ENTRY_MARK), A.resubmit(DISPATCH_TABLE)];

/** An entry flow's match: `spec`, for frames not classified yet. */
export const entryMatch = (spec: MatchSpec): MatchSpec => ({ ...spec, ...markClear(ENTRY_MARK) });

/** The lowest entry flow: a frame no entry flow wanted is classified as it is. */
export const classifiedAsIs: Flow = flow({
  table: DISPATCH_TABLE,
  priority: ENTRY_MIN_PRIORITY,
  match: markClear(ENTRY_MARK),
  actions: entryDone,
});
