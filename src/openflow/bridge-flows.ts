import { channel } from "node:diagnostics_channel";
import { backoffDelay, defaultBackoff, describeError, TimeoutError } from "../base/index.ts";
import type { FlowModRequest, OpenFlowConnection, SwitchStatus } from "./connection.ts";
import {
  classSelector,
  cookieParts,
  type FlowOwner,
  GENERATION_SELECT_MASK,
  generationCookie,
  LEARNED_CLASS,
  LEARNED_MASK,
  LEARNED_VALUE,
  MAGIC_MASK,
  MAGIC_VALUE,
  ownerCookie,
  ownerId,
} from "./cookie.ts";
import { DesiredFlows, type FlowDelta } from "./desired.ts";
import { BundleError } from "./errors.ts";
import { flowBodyEqual } from "./model/equality.ts";
import { type Flow, flowKey } from "./model/flow.ts";
import { FlowModCommand } from "./wire/constants.ts";
import { type FlowUpdate, isFullUpdate } from "./wire/messages.ts";

/** What swapGeneration did: `fellBack` when it had to reconcile by dump instead (or as well). */
export interface SwapResult {
  readonly replaced: number;
  readonly verified: boolean;
  readonly fellBack: boolean;
  readonly durationMs: number;
  readonly repaired?: ApplyResult;
}

export interface ApplyResult {
  readonly added: number;
  readonly modified: number;
  readonly deleted: number;
  readonly unchanged: number;
  readonly durationMs: number;
}

/** Something other than this process changed the bridge's flows, or may have. */
export type Disturbance =
  | {
      readonly kind: "flows-changed";
      /** Owners whose flows were deleted or modified behind our back. */
      readonly owners: readonly FlowOwner[];
      /** Generations of leftover flows of ours (an older run's) that someone changed. */
      readonly staleGenerations: readonly number[];
      /** Changes to flows that are not ours (an operator's ovs-ofctl add-flow, say). */
      readonly foreign: readonly FlowUpdate[];
      readonly updates: readonly FlowUpdate[];
    }
  | { readonly kind: "monitor-overflow" }
  | { readonly kind: "switch-restarted"; readonly datapathId: bigint };

export interface BridgeFlowsOptions {
  readonly connection: OpenFlowConnection;
  /** This run's generation (cookie.ts); the agent persists it after the first reconcile succeeds. */
  readonly generation: number;
  /** Told about every disturbance, before any repair. */
  readonly onDisturbance?: (disturbance: Disturbance) => void;
  /** Reconcile by dump on every disturbance (default true): the switch is made to match again. */
  readonly autoRepair?: boolean;
  readonly onRepairFailed?: (error: unknown) => void;
  /**
   * Runs before every reconcile's bundle: what the flows depend on that the switch may have lost with
   * them (meters: OVS refuses a flow naming a meter it does not have, and forgets meters on a restart).
   */
  readonly beforeReconcile?: () => Promise<void>;
}

const reconcileChannel = channel("weir:openflow:reconcile");

/**
 * The flows of one bridge: the desired set (owned, keyed by table/priority/match) and the switch kept
 * equal to it.
 *
 * - reconcile(): dump Weir's flows, diff against desired, send ONE atomic, ordered bundle — re-add what
 *   differs (an add with the same match and priority replaces the flow in place, no gap), delete the rest.
 *   Flows whose cookie is not Weir's, and flows the switch learned (LEARNED_CLASS), are never touched.
 * - apply(): after the first reconcile, send just the difference of the owners given, in one bundle.
 * - A bundle that times out has an unknown outcome: the next step is a full reconcile by dump.
 * - A flow monitor reports others' changes; a reconnected session means the switch may have restarted.
 *   Both are reported (onDisturbance) and repaired by a reconcile.
 */
export class BridgeFlows {
  readonly desired = new DesiredFlows();
  readonly #connection: OpenFlowConnection;
  readonly #generation: number;
  readonly #onDisturbance: ((d: Disturbance) => void) | undefined;
  readonly #autoRepair: boolean;
  readonly #onRepairFailed: ((error: unknown) => void) | undefined;
  readonly #beforeReconcile: (() => Promise<void>) | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #matchedOnce = false;
  /** Bumped by every disturbance or unknown outcome; a reconcile that succeeds records the epoch it saw. */
  #dirtyEpoch = 0;
  #cleanEpoch = 0;
  #repairing = false;
  #repairAttempt = 0;
  #closed = false;
  /** A previous generation whose flows reconciles must not delete yet (installAdditive). */
  #preserved: number | undefined;
  #offStatus: (() => void) | undefined;
  readonly #inSyncListeners = new Set<() => void>();
  #stopMonitor: (() => Promise<void>) | undefined;

  constructor(options: BridgeFlowsOptions) {
    this.#connection = options.connection;
    this.#generation = options.generation;
    this.#onDisturbance = options.onDisturbance;
    this.#autoRepair = options.autoRepair ?? true;
    this.#onRepairFailed = options.onRepairFailed;
    this.#beforeReconcile = options.beforeReconcile;
  }

  get generation(): number {
    return this.#generation;
  }

  /** True once the switch was made to match (reconcile, swap, additive install) and no disturbance is pending repair. */
  get inSync(): boolean {
    return this.#matchedOnce && this.#cleanEpoch === this.#dirtyEpoch;
  }

  /** Called each time the bridge comes back in sync (after a repair, say); returns the unsubscribe. */
  onInSync(listener: () => void): () => void {
    this.#inSyncListeners.add(listener);
    return () => this.#inSyncListeners.delete(listener);
  }

  /** Starts watching the switch (flow monitor, restarts). Call before the first reconcile. */
  async watch(): Promise<void> {
    this.#stopMonitor = await this.#connection.monitorFlows((updates) => this.#onUpdates(updates));
    this.#offStatus = this.#connection.onStatus((status) => this.#onStatus(status));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#offStatus?.();
    await this.#stopMonitor?.();
  }

  /** The cookie `owner`'s flows get in this generation. */
  cookieFor(owner: FlowOwner): bigint {
    return ownerCookie(this.#generation, owner);
  }

  /**
   * Sets several owners' flows (cookies are assigned here) as ONE bundle; owners whose set becomes empty
   * are applied first, so a flow key can pass from one owner to another in the same change. Before the
   * first reconcile this only records them. A refused bundle leaves the switch and the record unchanged.
   */
  apply(changes: Iterable<readonly [FlowOwner, readonly Flow[]]>): Promise<ApplyResult> {
    const ordered = [...changes].sort(([, a], [, b]) => Number(a.length > 0) - Number(b.length > 0));
    const stamped = ordered.map(([owner, flows]) => {
      const cookie = this.cookieFor(owner);
      return [owner, flows.map((f) => withCookie(f, cookie))] as const;
    });
    return this.#serial(() => this.#applyMany(stamped));
  }

  /** One owner's flows (apply with one entry); an empty list removes the owner. */
  set(owner: FlowOwner, flows: readonly Flow[]): Promise<ApplyResult> {
    return this.apply([[owner, flows]]);
  }

  /**
   * Takes the flows of `ownerClass` that are on the switch now (any generation, any object) as `as`'s
   * desired flows, for a feature whose plans cannot be computed this run: its flows stay as they are,
   * and the next swap re-stamps them instead of deleting them. Keys another owner wants are left to it.
   * Returns how many flows were adopted.
   */
  adopt(ownerClass: number, as: FlowOwner): Promise<number> {
    return this.#serial(async () => {
      const { value, mask } = classSelector(ownerClass);
      const cookie = this.cookieFor(as);
      const flows: Flow[] = [];
      for (const { flow } of await this.#connection.dumpFlows(value, mask)) {
        const key = flowKey(flow);
        const holder = this.desired.ownerOf(key);
        if (holder !== undefined && !(holder.ownerClass === as.ownerClass && holder.key === as.key)) continue;
        flows.push({ ...flow, cookie });
      }
      this.desired.replace(as, [...this.desired.flowsOf(as), ...flows]);
      return flows.length;
    });
  }

  /**
   * Installs every desired flow (adds, which replace same-key flows in place) and deletes nothing: what
   * an agent does while it cannot know the full desired state (its server is away). Flows of `preserve`
   * — the previous run's generation — are also spared by any repair until swapGeneration() runs.
   */
  installAdditive(preserve: number | undefined): Promise<ApplyResult> {
    return this.#serial(async () => {
      const started = performance.now();
      const epoch = this.#dirtyEpoch;
      this.#preserved = preserve === this.#generation ? undefined : preserve;
      const upserts = [...this.desired.entries()].map(([, flow]) => flow);
      if (upserts.length > 0) await this.#connection.bundle(modsFor({ upserts, removals: [] }));
      this.#settled(epoch);
      return {
        added: upserts.length,
        modified: 0,
        deleted: 0,
        unchanged: 0,
        durationMs: performance.now() - started,
      };
    });
  }

  /**
   * The restart fast path, when the bridge's previous generation is known: one atomic bundle that re-adds
   * every desired flow with this generation's cookies (in place, no gap) and deletes, by cookie mask,
   * whatever still carries the previous generation — exactly the stale flows — without dumping the
   * bridge first. Aggregate counts then verify that only the desired flows remain (leftovers of other
   * generations, or foreign changes to ours, show up as a mismatch); on a mismatch it falls back to a
   * reconcile by dump.
   */
  swapGeneration(previous: number | undefined): Promise<SwapResult> {
    return this.#serial(async () => {
      const started = performance.now();
      this.#preserved = undefined;
      if (previous === undefined || previous === this.#generation || previous === 0) {
        const result = await this.#reconcile();
        return {
          replaced: result.added + result.modified,
          verified: true,
          fellBack: true,
          durationMs: performance.now() - started,
        };
      }
      const epoch = this.#dirtyEpoch;
      const upserts = [...this.desired.entries()].map(([, flow]) => flow);
      // table 0xff (OFPTT_ALL), no match: every flow of the previous generation, whatever its table.
      const stale: Flow = {
        table: 0xff,
        priority: 0,
        cookie: generationCookie(previous),
        idleTimeout: 0,
        hardTimeout: 0,
        match: [],
        actions: [],
      };
      await this.#connection.bundle([
        ...modsFor({ upserts, removals: [] }),
        { flow: stale, options: { command: FlowModCommand.delete, cookieMask: GENERATION_SELECT_MASK } },
      ]);
      const ours = await this.#connection.countFlows(MAGIC_VALUE, MAGIC_MASK);
      const learned = await this.#connection.countFlows(LEARNED_VALUE, LEARNED_MASK);
      if (ours - learned !== this.desired.size) {
        const result = await this.#reconcile();
        return {
          replaced: upserts.length,
          verified: false,
          fellBack: true,
          durationMs: performance.now() - started,
          repaired: result,
        };
      }
      this.#settled(epoch);
      return {
        replaced: upserts.length,
        verified: true,
        fellBack: false,
        durationMs: performance.now() - started,
      };
    });
  }

  /** Makes the switch equal to the desired flows, by dump and diff, in one atomic bundle. */
  reconcile(): Promise<ApplyResult> {
    return this.#serial(() => this.#reconcile());
  }

  /** The switch matched the desired flows as of `epoch`. */
  #settled(epoch: number): void {
    this.#matchedOnce = true;
    this.#cleanEpoch = epoch;
    if (this.inSync) for (const listener of this.#inSyncListeners) listener();
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => {});
    return next;
  }

  async #applyMany(changes: readonly (readonly [FlowOwner, readonly Flow[]])[]): Promise<ApplyResult> {
    const started = performance.now();
    const undo: [FlowOwner, Flow[]][] = [];
    const upserts: Flow[] = [];
    const removals: Flow[] = [];
    let added = 0;
    let total = 0;
    try {
      for (const [owner, flows] of changes) {
        const previous = this.desired.flowsOf(owner);
        const delta = this.desired.replace(owner, flows);
        undo.push([owner, previous]);
        added += delta.added;
        upserts.push(...delta.upserts);
        removals.push(...delta.removals);
        total += flows.length;
      }
    } catch (error) {
      this.#revert(undo);
      throw error;
    }
    const result = {
      added,
      modified: upserts.length - added,
      deleted: removals.length,
      unchanged: total - upserts.length,
      durationMs: 0,
    };
    if (!this.inSync || upserts.length + removals.length === 0) {
      return { ...result, durationMs: performance.now() - started };
    }
    try {
      await this.#connection.bundle(modsFor({ upserts, removals }));
    } catch (error) {
      if (error instanceof BundleError) {
        this.#revert(undo);
        throw error;
      }
      this.#dirtyEpoch++;
      if (error instanceof TimeoutError) this.#repair();
      throw error;
    }
    return { ...result, durationMs: performance.now() - started };
  }

  /** Puts owners back to their previous flows (all emptied first: keys may have moved between them). */
  #revert(undo: readonly (readonly [FlowOwner, Flow[]])[]): void {
    for (const [owner] of undo) this.desired.replace(owner, []);
    for (const [owner, previous] of undo) this.desired.replace(owner, previous);
  }

  async #reconcile(): Promise<ApplyResult> {
    const started = performance.now();
    const epoch = this.#dirtyEpoch;
    await this.#beforeReconcile?.();
    const installed = new Map<string, Flow>();
    for (const { flow } of await this.#connection.dumpFlows(MAGIC_VALUE, MAGIC_MASK)) {
      const parts = cookieParts(flow.cookie);
      if (parts?.ownerClass === LEARNED_CLASS) continue;
      if (parts?.generation === this.#preserved && this.desired.get(flowKey(flow)) === undefined) continue;
      installed.set(flowKey(flow), flow);
    }
    const upserts: Flow[] = [];
    const removals: Flow[] = [];
    let added = 0;
    let unchanged = 0;
    for (const [key, flow] of this.desired.entries()) {
      const current = installed.get(key);
      if (current === undefined) added++;
      if (current !== undefined && flowBodyEqual(current, flow)) unchanged++;
      else upserts.push(flow);
    }
    for (const [key, flow] of installed) if (this.desired.get(key) === undefined) removals.push(flow);
    if (upserts.length + removals.length > 0) await this.#connection.bundle(modsFor({ upserts, removals }));
    this.#settled(epoch);
    const result = {
      added,
      modified: upserts.length - added,
      deleted: removals.length,
      unchanged,
      durationMs: performance.now() - started,
    };
    if (reconcileChannel.hasSubscribers)
      reconcileChannel.publish({ endpoint: this.#connection.endpoint, ...result });
    return result;
  }

  #onUpdates(updates: readonly FlowUpdate[]): void {
    if (updates.some((u) => u.event === "paused" || u.event === "resumed")) {
      this.#disturbed({ kind: "monitor-overflow" });
      return;
    }
    const owners = new Map<string, FlowOwner>();
    const stale = new Set<number>();
    const foreign: FlowUpdate[] = [];
    const relevant: FlowUpdate[] = [];
    for (const update of updates) {
      if (!isFullUpdate(update)) continue; // "abbrev": our own change
      const parts = cookieParts(update.cookie);
      if (parts?.ownerClass === LEARNED_CLASS) continue; // the switch learning and expiring is normal
      relevant.push(update);
      const owner = this.desired.ownerOf(flowKey(update));
      if (owner !== undefined) owners.set(ownerId(owner), owner);
      else if (parts === undefined) foreign.push(update);
      else stale.add(parts.generation);
    }
    if (relevant.length === 0) return;
    this.#disturbed({
      kind: "flows-changed",
      owners: [...owners.values()],
      staleGenerations: [...stale],
      foreign,
      updates: relevant,
    });
  }

  #onStatus(status: SwitchStatus): void {
    if (status.state === "connected" && status.restarted) {
      this.#disturbed({ kind: "switch-restarted", datapathId: status.datapathId });
    }
  }

  #disturbed(disturbance: Disturbance): void {
    try {
      this.#onDisturbance?.(disturbance);
    } catch (error) {
      this.#onRepairFailed?.(new Error(`disturbance listener failed: ${describeError(error)}`));
    }
    // Foreign flows alone do not make ours wrong; anything touching ours, or unknown loss, does.
    const ours =
      disturbance.kind !== "flows-changed" ||
      disturbance.owners.length > 0 ||
      disturbance.staleGenerations.length > 0;
    if (!ours || !this.#matchedOnce) return;
    this.#dirtyEpoch++;
    if (this.#autoRepair) this.#repair();
  }

  /** Reconciles until in sync, retrying failures with backoff (the switch may still be away). */
  #repair(): void {
    if (this.#repairing || this.#closed) return;
    this.#repairing = true;
    void this.reconcile().then(
      () => {
        this.#repairing = false;
        this.#repairAttempt = 0;
        if (!this.inSync) this.#repair();
      },
      (error) => {
        this.#repairing = false;
        this.#onRepairFailed?.(error);
        if (this.#closed) return;
        const delay = backoffDelay(defaultBackoff, this.#repairAttempt++);
        setTimeout(() => this.#repair(), delay).unref();
      },
    );
  }
}

/** The bundle for a delta: adds (which replace in place) and strict deletes of exactly those flows. */
function modsFor(delta: Pick<FlowDelta, "upserts" | "removals">): FlowModRequest[] {
  return [
    ...delta.upserts.map((flow) => ({ flow, options: { command: FlowModCommand.add } })),
    ...delta.removals.map((flow) => ({
      flow,
      // Strict: only this match and priority — and only while it still has the cookie we saw.
      options: { command: FlowModCommand.deleteStrict, cookieMask: 0xffffffffffffffffn },
    })),
  ];
}

/**
 * `f` with this generation's cookie. A feature that memoises its flows hands the same objects over pass
 * after pass; giving back the same stamped copy for them lets the desired set see "unchanged" by
 * identity, and spares the copies' garbage.
 */
function withCookie(f: Flow, cookie: bigint): Flow {
  if (f.cookie === cookie) return f;
  const known = stamped.get(f);
  if (known !== undefined && known.cookie === cookie) return known;
  const copy = { ...f, cookie };
  stamped.set(f, copy);
  return copy;
}

const stamped = new WeakMap<Flow, Flow>();
