/**
 * Start-up step 1: OVSDB — connect (waiting while it is not there), take the agent lock (one agent per
 * Open vSwitch), check what must exist (mapped bridges), and read each bridge's last completed flow
 * generation (this run's is the next one).
 */
import { describeError, type Log, WeirError } from "../../base/index.ts";
import { nextGeneration } from "../../openflow/index.ts";
import { bridgeExists, openVswitchDb, readGeneration, type VswitchDb } from "../../ovs/index.ts";
import { OvsdbClient } from "../../ovsdb/index.ts";
import type { AgentConfig } from "../config.ts";
import { agentBridges, checkPrerequisites } from "../host/bridges.ts";

/** An OVSDB <id>: letters, digits and underscores only (RFC 7047 §3.1). */
export const AGENT_LOCK = "weir_agent";

export interface OpenSwitch {
  readonly client: OvsdbClient;
  readonly db: VswitchDb;
  /** Each bridge's last completed generation (undefined: the bridge is new, or never had one). */
  readonly previous: Map<string, number | undefined>;
  readonly generation: number;
}

export async function openSwitch(
  config: AgentConfig,
  log: Log,
  signal: AbortSignal | undefined,
): Promise<OpenSwitch> {
  const client = await connectOvsdb(config, log, signal);
  try {
    await takeLock(client, config);
    const db = await openVswitchDb(client);
    await checkPrerequisites(db, config);
    const previous = new Map<string, number | undefined>();
    for (const b of agentBridges(config))
      previous.set(b.name, (await bridgeExists(db, b.name)) ? await readGeneration(db, b.name) : undefined);
    const known = [...previous.values()].filter((g): g is number => g !== undefined);
    return {
      client,
      db,
      previous,
      generation: nextGeneration(known.length === 0 ? undefined : Math.max(...known)),
    };
  } catch (error) {
    client.close();
    throw error;
  }
}

/** Connects to OVSDB, waiting (with a warning now and then) until it is there or start-up is aborted. */
export async function connectOvsdb(
  config: AgentConfig,
  log: Log,
  signal: AbortSignal | undefined,
): Promise<OvsdbClient> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await OvsdbClient.connect({ endpoint: config.ovsdbConnection, waitMs: 5_000 });
    } catch (error) {
      if (signal?.aborted) throw error;
      if (attempt % 6 === 0)
        log.warn(
          { ovsdb: config.ovsdbConnection, error: describeError(error) },
          "OVSDB not reachable yet; waiting",
        );
    }
    if (signal?.aborted)
      throw new WeirError("WEIR_AGENT_ABORTED", "start-up aborted while waiting for OVSDB");
  }
}

/** One agent per Open vSwitch: the OVSDB lock is released by the server when its holder's session ends. */
async function takeLock(client: OvsdbClient, config: AgentConfig): Promise<void> {
  if (await client.lock(AGENT_LOCK)) return;
  const got = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve(false);
    }, 5_000);
    const off = client.onLock((event) => {
      if (event.type === "locked" && event.lock === AGENT_LOCK) {
        clearTimeout(timer);
        off();
        resolve(true);
      }
    });
  });
  if (!got) {
    throw new WeirError(
      "WEIR_AGENT_RUNNING",
      `another weir agent holds the OVSDB lock "${AGENT_LOCK}" on ${config.ovsdbConnection}; only one agent may manage an Open vSwitch`,
    );
  }
}
