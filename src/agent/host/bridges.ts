/**
 * Setting up br-int, br-tun and the physical bridges without disturbing a data plane that is already
 * forwarding: a missing bridge is created in one transaction with everything set; an existing one is only
 * converged where it differs, and never re-created; patch ports are created when missing and never
 * deleted. Changing fail_mode makes ovs-vswitchd clear the bridge's flow table (seed 000), so it happens
 * here — before this run installs any flow — and is reported as a disruption.
 */
import { createHash } from "node:crypto";
import { InvalidArgumentError } from "../../base/index.ts";
import {
  ensureBridge,
  ensurePort,
  patchPort,
  selectRows,
  type VswitchDb,
  WeirKeys,
} from "../../ovs/index.ts";
import type { AgentConfig } from "../config.ts";
import type { OvsView } from "./ovs-view.ts";

export type BridgeRole = "integration" | "tunnel" | "physical";

export interface AgentBridge {
  readonly name: string;
  readonly role: BridgeRole;
  /** For a physical bridge: its physical network. */
  readonly physicalNetwork?: string;
}

export interface BridgeSetup {
  readonly name: string;
  readonly role: BridgeRole;
  readonly created: boolean;
  /** fail_mode before this run changed it (the flow table was cleared), or undefined if unchanged. */
  readonly failModeWas?: string | null;
  readonly warnings: readonly string[];
}

export interface PatchPair {
  /** Port on br-int. */
  readonly intSide: string;
  /** Port on the other bridge. */
  readonly otherSide: string;
  readonly otherBridge: string;
}

/** The bridges this configuration manages, physical ones first (they are set up first). */
export function agentBridges(config: AgentConfig): AgentBridge[] {
  return [
    ...Object.entries(config.bridgeMappings).map(([physicalNetwork, name]) => ({
      name,
      role: "physical" as const,
      physicalNetwork,
    })),
    { name: config.integrationBridge, role: "integration" },
    ...(config.tunnelTypes.length > 0 ? [{ name: config.tunnelBridge, role: "tunnel" as const }] : []),
  ];
}

export const physPatchNames = (bridge: string) => ({ intSide: `int-${bridge}`, otherSide: `phy-${bridge}` });

export function patchPairs(config: AgentConfig): PatchPair[] {
  return [
    ...Object.values(config.bridgeMappings).map((bridge) => ({
      ...physPatchNames(bridge),
      otherBridge: bridge,
    })),
    ...(config.tunnelTypes.length > 0
      ? [
          {
            intSide: config.intPeerPatchPort,
            otherSide: config.tunPeerPatchPort,
            otherBridge: config.tunnelBridge,
          },
        ]
      : []),
  ];
}

/**
 * Checks what must already exist, before anything is changed: the database is initialised and every
 * mapped physical bridge exists (the agent does not invent a bridge that should hold a NIC).
 */
export async function checkPrerequisites(db: VswitchDb, config: AgentConfig): Promise<void> {
  const existing = new Set(
    (await selectRows(db, "Bridge", db.ops.select("Bridge", [], ["name"]))).map((b) => b.name),
  );
  for (const [physnet, bridge] of Object.entries(config.bridgeMappings)) {
    if (!existing.has(bridge)) {
      throw new InvalidArgumentError(
        `${config.file} [ovs] bridge_mappings`,
        `bridge ${bridge} (physical network ${physnet}) does not exist; create it and add its NIC first (ovs-vsctl add-br ${bridge} -- add-port ${bridge} <nic>)`,
      );
    }
  }
  const [root] = await selectRows(db, "Open_vSwitch", db.ops.select("Open_vSwitch", [], ["_uuid"]));
  if (root === undefined)
    throw new InvalidArgumentError(
      config.ovsdbConnection,
      "the Open_vSwitch database is not initialised (no Open_vSwitch row)",
    );
}

/** Sets up one bridge; the caller sets up physical bridges before contacting the server. */
export async function setupBridge(
  db: VswitchDb,
  config: AgentConfig,
  bridge: AgentBridge,
): Promise<BridgeSetup> {
  const warnings: string[] = [];
  const [current] = await selectRows(db, "Bridge", db.ops.select("Bridge", [["name", "==", bridge.name]]));
  const otherConfig: Record<string, string> = { "disable-in-band": "true" };
  if (current === undefined) {
    otherConfig.hwaddr = pinnedMac(config.host, bridge.name);
  } else {
    if (current.other_config.hwaddr === undefined) {
      // Pin what it has now: nothing changes today, and the datapath id cannot drift later.
      const mac = await localMac(db, bridge.name);
      if (mac !== undefined) otherConfig.hwaddr = mac;
    }
    if (
      current.datapath_type !== config.datapathType &&
      !(current.datapath_type === "" && config.datapathType === "system")
    ) {
      warnings.push(
        `bridge ${bridge.name} has datapath_type ${current.datapath_type || "system"} but [ovs] datapath_type is ${config.datapathType}; leaving it, since changing it re-creates the datapath (do it in a maintenance window)`,
      );
    }
    if (current.controller.length > 0) {
      warnings.push(`bridge ${bridge.name} has a Bridge.controller; Weir never uses one and leaves it alone`);
    }
  }
  const result = await ensureBridge(db, {
    name: bridge.name,
    ...(current === undefined ? { datapathType: config.datapathType } : {}),
    failMode: "secure",
    otherConfig,
    externalIds: {
      [WeirKeys.role]: bridge.role,
      ...(bridge.physicalNetwork ? { [WeirKeys.physicalNetwork]: bridge.physicalNetwork } : {}),
    },
  });
  const failModeChanged = !result.created && result.changed.includes("fail_mode");
  return {
    name: bridge.name,
    role: bridge.role,
    created: result.created,
    ...(failModeChanged ? { failModeWas: result.previousFailMode ?? null } : {}),
    warnings,
  };
}

/** Creates missing patch ports (both ends); returns the names it created. Never deletes one. */
export async function setupPatchPorts(
  db: VswitchDb,
  config: AgentConfig,
  pair: PatchPair,
): Promise<string[]> {
  const created: string[] = [];
  const a = await ensurePort(db, config.integrationBridge, patchPort(pair.intSide, pair.otherSide));
  if (a.created) created.push(pair.intSide);
  const b = await ensurePort(db, pair.otherBridge, patchPort(pair.otherSide, pair.intSide));
  if (b.created) created.push(pair.otherSide);
  return created;
}

async function localMac(db: VswitchDb, bridge: string): Promise<string | undefined> {
  const [iface] = await selectRows(
    db,
    "Interface",
    db.ops.select("Interface", [["name", "==", bridge]], ["mac_in_use"]),
  );
  return iface?.mac_in_use ?? undefined;
}

/** A stable, locally administered unicast MAC for a bridge this agent creates: same host + name, same MAC. */
export function pinnedMac(host: string, bridge: string): string {
  const digest = createHash("sha256").update(`${host}\0${bridge}`).digest();
  const bytes = [0x02, 0x57, digest[0]!, digest[1]!, digest[2]!, digest[3]!];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/** A bridge the agent had to put back, and why (for logs and metrics). */
export interface BridgeRepair {
  readonly bridge: string;
  readonly kind: "bridge-deleted" | "fail-mode" | "patch-ports";
  /** fail_mode it found (kind fail-mode). */
  readonly failMode?: string | null;
  /** Patch ports re-created (kind patch-ports). */
  readonly ports?: readonly string[];
}

/**
 * Bridges deleted or with fail_mode changed behind the agent's back are set up again, and missing patch
 * ports re-created (never a port that exists). Returns what it did; nothing when all is as it should be.
 */
export async function repairBridges(
  db: VswitchDb,
  config: AgentConfig,
  view: OvsView,
  bridges: readonly AgentBridge[],
): Promise<BridgeRepair[]> {
  const repairs: BridgeRepair[] = [];
  for (const bridge of bridges) {
    const row = view.bridge(bridge.name);
    if (row !== undefined && row.fail_mode === "secure") continue;
    repairs.push(
      row === undefined
        ? { bridge: bridge.name, kind: "bridge-deleted" }
        : { bridge: bridge.name, kind: "fail-mode", failMode: row.fail_mode },
    );
    await setupBridge(db, config, bridge);
  }
  for (const pair of patchPairs(config)) {
    const present =
      view.port(config.integrationBridge, pair.intSide) !== undefined &&
      view.port(pair.otherBridge, pair.otherSide) !== undefined;
    if (present && repairs.length === 0) continue;
    const created = await setupPatchPorts(db, config, pair);
    if (created.length > 0) repairs.push({ bridge: pair.otherBridge, kind: "patch-ports", ports: created });
  }
  return repairs;
}
