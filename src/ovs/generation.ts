import { OvsNotFoundError } from "./errors.ts";
import { WeirKeys } from "./keys.ts";
import { setMapKeys } from "./map-keys.ts";
import { selectRows, type VswitchDb } from "./vswitch-db.ts";

/**
 * The flow generation that last completed on a bridge, kept in Bridge.external_ids so that it survives
 * agent restarts (Antrea keeps its "round" the same way). The agent writes it only after a generation's
 * flows are installed and the older generation's are gone, so a crash at any point is repaired by the
 * next run: it computes the same next generation again and finds either nothing done or everything done.
 */
export const GENERATION_KEY = WeirKeys.generation;

export async function readGeneration(db: VswitchDb, bridge: string): Promise<number | undefined> {
  const [row] = await selectRows(
    db,
    "Bridge",
    db.ops.select("Bridge", [["name", "==", bridge]], ["external_ids"]),
  );
  if (row === undefined) throw new OvsNotFoundError("Bridge", bridge);
  const value = Number(row.external_ids[GENERATION_KEY]);
  return Number.isInteger(value) && value > 0 && value <= 0xffff ? value : undefined;
}

export function persistGeneration(db: VswitchDb, bridge: string, generation: number): Promise<void> {
  return setMapKeys(db, { table: "Bridge", name: bridge }, "external_ids", {
    [GENERATION_KEY]: String(generation),
  });
}
