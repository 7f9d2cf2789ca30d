/**
 * What the converger remembers about each VIF between passes: what it decided, and what it expects the
 * VIF's rows to look like after its own writes — so that the echo of those writes, coming back through
 * the OVSDB monitor, is recognised and costs nothing.
 */
import { WeirKeys } from "../../ovs/index.ts";
import type { VifPlan } from "../pipeline/feature.ts";
import type { VifDecision } from "../ports/decisions.ts";
import { portNetworkKeys } from "../ports/local-vlans.ts";
import type { InterfaceView } from "../ports/vifs.ts";

export type VifState = "wired" | "dead" | "kept";

export interface VifRecord {
  readonly iface: string;
  readonly portUuid: string;
  readonly portId: string | undefined;
  readonly state: VifState;
  readonly networkId: string | undefined;
  readonly lvid: number | undefined;
  readonly reason: string | undefined;
  /** The local VLAN at which weir-installed was last confirmed in this run. */
  readonly markedLvid: number | undefined;
  readonly reportedUp: boolean;
  /** The VIF's rows as the agent left them (observedKey), after its writes. */
  readonly expected: string;
  /** The features' OVSDB wishes for the VIF, as last planned (checked against the rows as they come). */
  readonly wishes: ReadonlyMap<string, NonNullable<VifPlan["ovsdb"]>> | undefined;
}

/**
 * The parts of a VIF's rows the agent reads or writes, as one comparable string: ids, type and ofport
 * (what decides it), Port.tag and the network keys of other_config (what it writes), whether it is marked.
 */
export function observedKey(
  view: InterfaceView,
  portUuid: string,
  overrides: {
    tag?: number | null;
    otherConfig?: Readonly<Record<string, string>>;
    installed?: boolean;
  } = {},
): string {
  // A plain concatenation (it is computed for every VIF event): fields separated by NUL, which OVSDB
  // strings cannot hold.
  const ids = view.externalIds;
  let key = `${view.uuid}\0${portUuid}\0${view.type}\0${view.ofport}\0`;
  for (const k of Object.keys(ids).sort()) if (k !== WeirKeys.installed) key += `${k}=${ids[k]}\0`;
  const otherConfig = overrides.otherConfig ?? view.portOtherConfig;
  key += `\0${overrides.tag === undefined ? view.tag : overrides.tag}`;
  for (const k of portNetworkKeys) key += `\0${otherConfig[k] ?? ""}`;
  return `${key}\0${(overrides.installed ?? ids[WeirKeys.installed] !== undefined) ? 1 : 0}`;
}

export function stateOf(decision: VifDecision): VifState {
  return decision.kind === "wire" ? "wired" : decision.kind === "keep" ? "kept" : "dead";
}
