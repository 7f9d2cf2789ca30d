/**
 * Which interfaces on br-int are VIFs, read from what Nova/os-vif writes (Interface.external_ids iface-id,
 * attached-mac, iface-status, vm-uuid). An interface with neither iface-id nor attached-mac is not a VIF
 * (the bridge's own port, patch ports, an operator's port) and is left alone. A VIF whose ids are odd is
 * reported with the reason, so the agent can park it on the dead VLAN and say which interface and why.
 */

import type { InterfaceRow, PortRow } from "../../ovsdb/index.ts";

/** What the agent needs from OVSDB about one interface on br-int. */
export interface InterfaceView {
  readonly name: string;
  /** The Interface row's _uuid (writes address rows by it: OVSDB scans the table for other columns). */
  readonly uuid: string;
  /** The Port holding it (os-vif names both the same). */
  readonly portName: string;
  readonly type: string;
  readonly ofport: number | null;
  readonly externalIds: Readonly<Record<string, string>>;
  /** Port.tag of the port holding it. */
  readonly tag: number | null;
  readonly portOtherConfig: Readonly<Record<string, string>>;
}

export type VifObservation =
  | {
      readonly kind: "vif";
      readonly iface: string;
      readonly portId: string;
      readonly mac: string;
      readonly ofport: number;
    }
  /** Parked on the dead VLAN until its ids are fixed. */
  | { readonly kind: "odd"; readonly iface: string; readonly ofport: number; readonly reason: string }
  /** Not yet usable by OVS (no ofport yet, or -1: the device is missing); looked at again when it changes. */
  | { readonly kind: "unready"; readonly iface: string; readonly reason: string };

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const macPattern = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const skippedTypes = new Set(["patch", "vxlan", "gre", "geneve", "stt", "erspan", "ip6erspan", "lisp"]);

export function isVifCandidate(view: InterfaceView): boolean {
  if (skippedTypes.has(view.type)) return false;
  return view.externalIds["iface-id"] !== undefined || view.externalIds["attached-mac"] !== undefined;
}

/** Classifies every VIF candidate; an iface-id that two interfaces claim makes both odd. */
export function classifyVifs(views: readonly InterfaceView[]): Map<string, VifObservation> {
  const result = new Map<string, VifObservation>();
  const claims = new Map<string, string[]>();
  for (const view of views) {
    if (!isVifCandidate(view)) continue;
    const observation = classifyOne(view);
    result.set(view.name, observation);
    if (observation.kind === "vif")
      claims.set(observation.portId, [...(claims.get(observation.portId) ?? []), view.name]);
  }
  for (const ifaces of claims.values()) {
    if (ifaces.length < 2) continue;
    for (const iface of ifaces) {
      const vif = result.get(iface) as Extract<VifObservation, { kind: "vif" }>;
      result.set(
        iface,
        duplicateClaim(
          vif,
          ifaces.filter((i) => i !== iface),
        ),
      );
    }
  }
  return result;
}

/** One interface's observation, before duplicate iface-ids are looked at. */
export function classifyOne(view: InterfaceView): VifObservation {
  if (view.ofport === null)
    return { kind: "unready", iface: view.name, reason: "no OpenFlow port number yet" };
  if (view.ofport < 1)
    return { kind: "unready", iface: view.name, reason: "OVS could not open the device (ofport -1)" };
  const id = view.externalIds["iface-id"];
  const mac = view.externalIds["attached-mac"]?.toLowerCase();
  const odd = (reason: string): VifObservation => ({
    kind: "odd",
    iface: view.name,
    ofport: view.ofport!,
    reason,
  });
  if (id === undefined) return odd("external_ids:iface-id is missing");
  if (!uuidPattern.test(id.toLowerCase()))
    return odd(`external_ids:iface-id ${JSON.stringify(id)} is not a port UUID`);
  if (mac === undefined) return odd("external_ids:attached-mac is missing");
  if (!macPattern.test(mac))
    return odd(
      `external_ids:attached-mac ${JSON.stringify(view.externalIds["attached-mac"])} is not a MAC address`,
    );
  return { kind: "vif", iface: view.name, portId: id.toLowerCase(), mac, ofport: view.ofport };
}

/** The interface of a port as classification sees it (undefined for a port without one interface). */
export function interfaceView(entry: {
  readonly port: PortRow;
  readonly iface: InterfaceRow | undefined;
}): InterfaceView | undefined {
  const { port, iface } = entry;
  if (iface === undefined) return undefined;
  return {
    name: iface.name,
    uuid: iface._uuid,
    portName: port.name,
    type: iface.type,
    ofport: iface.ofport,
    externalIds: iface.external_ids,
    tag: port.tag,
    portOtherConfig: port.other_config,
  };
}

/** The observation of a VIF whose iface-id other interfaces claim too: odd, naming them. */
export function duplicateClaim(
  observation: Extract<VifObservation, { kind: "vif" }>,
  others: readonly string[],
): Extract<VifObservation, { kind: "odd" }> {
  return {
    kind: "odd",
    iface: observation.iface,
    ofport: observation.ofport,
    reason: `iface-id ${observation.portId} is also claimed by ${[...others].sort().join(", ")}`,
  };
}
