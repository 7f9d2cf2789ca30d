/**
 * Telling the echo of the agent's own writes from news. Every OVSDB write comes back through the
 * replica; a VIF whose rows are as the agent left them (observedKey), and whose features' OVSDB wishes
 * all hold, is the echo and starts no pass. The echo can arrive before the transaction's reply
 * (ovsdb-server sends monitor updates first), so what a write in flight will leave is expected "soon".
 */
import { describeError, type Log } from "../../base/index.ts";
import type { OperationBuilder, VswitchTables } from "../../ovsdb/index.ts";
import type { OvsView } from "../host/ovs-view.ts";
import type { VifPlan } from "../pipeline/feature.ts";
import type { VifDecision } from "../ports/decisions.ts";
import { DEAD_VLAN, type LocalVlans, portNetworkKeys, segmentToOtherConfig } from "../ports/local-vlans.ts";
import { interfaceView } from "../ports/vifs.ts";
import { vifRows } from "./contexts.ts";
import type { Decided } from "./decide.ts";
import { observedKey, type VifRecord } from "./vif-records.ts";

type Wishes = ReadonlyMap<string, NonNullable<VifPlan["ovsdb"]>>;
type Expectation = Pick<VifRecord, "portUuid" | "expected" | "wishes">;

export interface EchoSources {
  readonly integrationBridge: string;
  readonly view: OvsView;
  readonly vlans: LocalVlans;
  readonly ops: OperationBuilder<VswitchTables>;
  readonly log: Log;
}

export class Echoes {
  readonly #sources: EchoSources;
  readonly #soon = new Map<string, Expectation>();
  /** Wishes that threw when checked, by iface and feature: logged once. */
  readonly #brokenWishes = new Set<string>();

  constructor(sources: EchoSources) {
    this.#sources = sources;
  }

  /** The VIF's rows are what the agent left them as (or will, once its write lands), and every wish holds. */
  settled(name: string, record: VifRecord | undefined): boolean {
    const { view, integrationBridge } = this.#sources;
    const entry = view.port(integrationBridge, name);
    if (entry === undefined || entry.iface === undefined) return false;
    const soon = this.#soon.get(name);
    const candidates: Expectation[] = [];
    if (record !== undefined && record.portUuid === entry.port._uuid) candidates.push(record);
    if (soon !== undefined && soon.portUuid === entry.port._uuid) candidates.push(soon);
    if (candidates.length === 0) return false;
    const key = observedKey(interfaceView(entry)!, entry.port._uuid);
    const match = candidates.find((c) => c.expected === key);
    if (match === undefined) return false;
    const rows = vifRows(view, entry.port, entry.iface);
    for (const [feature, wish] of match.wishes ?? [])
      if (!this.#holds(name, feature, wish, rows)) return false;
    return true;
  }

  /** A port never looked at that has no usable ofport yet: nothing to do until it has one. */
  notYet(name: string, known: boolean): boolean {
    if (known || this.#soon.has(name)) return false;
    const { view, integrationBridge } = this.#sources;
    const ofport = view.port(integrationBridge, name)?.iface?.ofport;
    return ofport === null || ofport === undefined;
  }

  /** What the VIF's rows will hold once this pass's writes are in (tag, other_config; the mark as given). */
  expectedKey(d: Decided, decision: VifDecision, installed: boolean): string {
    const lvid = decision.kind === "wire" ? this.#sources.vlans.get(decision.networkId)?.lvid : undefined;
    const tag = decision.kind === "keep" ? d.view.tag : decision.kind === "wire" ? lvid! : DEAD_VLAN;
    const otherConfig =
      decision.kind === "keep"
        ? d.view.portOtherConfig
        : decision.kind === "wire"
          ? { ...d.view.portOtherConfig, ...segmentToOtherConfig(decision.networkId, decision.segment) }
          : withoutNetworkKeys(d.view.portOtherConfig);
    return observedKey(d.view, d.portUuid, { tag, otherConfig, installed });
  }

  /**
   * Before a transaction: its echo is ours. Returns an undo, for a transaction that failed (nothing it
   * would have written may be taken for the agent's own).
   */
  expect(d: Decided, decision: VifDecision, installed: boolean, wishes: Wishes | undefined): () => void {
    const before = this.#soon.get(d.iface);
    this.#soon.set(d.iface, {
      portUuid: d.portUuid,
      expected: this.expectedKey(d, decision, installed),
      wishes,
    });
    return () => {
      if (before === undefined) this.#soon.delete(d.iface);
      else this.#soon.set(d.iface, before);
    };
  }

  /** The pass recorded the VIF (or forgot it): the record is what to compare with from now on. */
  recorded(iface: string): void {
    this.#soon.delete(iface);
  }

  forget(iface: string): void {
    this.#soon.delete(iface);
    for (const key of this.#brokenWishes) if (key.startsWith(`${iface}\0`)) this.#brokenWishes.delete(key);
  }

  #holds(
    iface: string,
    feature: string,
    wish: NonNullable<VifPlan["ovsdb"]>,
    rows: ReturnType<typeof vifRows>,
  ): boolean {
    try {
      return wish(rows, this.#sources.ops).length === 0;
    } catch (error) {
      const key = `${iface}\0${feature}`;
      if (!this.#brokenWishes.has(key)) {
        this.#brokenWishes.add(key);
        this.#sources.log.warn(
          { iface, feature, error: describeError(error) },
          "feature's OVSDB wish threw while checking an event; every event of this VIF starts a pass",
        );
      }
      return false;
    }
  }
}

/** A record whose rows no event can match: the VIF's next event is news (it went unready meanwhile). */
export function expectingNothing(record: VifRecord): VifRecord {
  return { ...record, expected: "" };
}

function withoutNetworkKeys(otherConfig: Readonly<Record<string, string>>): Record<string, string> {
  const rest: Record<string, string> = {};
  for (const [k, v] of Object.entries(otherConfig))
    if (!(portNetworkKeys as readonly string[]).includes(k)) rest[k] = v;
  return rest;
}
