/**
 * Cookie classes of extensions: assigned by the agent, never chosen by the extension, and kept in OVSDB
 * (Open_vSwitch external_ids, WeirKeys.extensionClasses) so that an extension has the same class on
 * every run — its flows are re-stamped in place by the generation swap, not replaced — and so that a
 * removed extension's class is not given to another before its flows are swept.
 */
import { WeirError } from "../../base/index.ts";
import { EXTENSION_CLASS_MAX, EXTENSION_CLASS_MIN } from "../../openflow/index.ts";
import { selectRows, setMapKeys, type VswitchDb, WeirKeys } from "../../ovs/index.ts";

export type ClassRecord = ReadonlyMap<string, number>;

/** "qos=80,ra-guard=81" → name → class; entries that make no sense are dropped. */
export function parseClassRecord(text: string | undefined): Map<string, number> {
  const record = new Map<string, number>();
  for (const entry of (text ?? "").split(",")) {
    const m = /^([a-z][a-z0-9_-]{0,63})=([0-9a-f]{2})$/.exec(entry.trim());
    if (m === null) continue;
    const cls = Number.parseInt(m[2]!, 16);
    if (cls >= EXTENSION_CLASS_MIN && cls <= EXTENSION_CLASS_MAX && ![...record.values()].includes(cls))
      record.set(m[1]!, cls);
  }
  return record;
}

export function formatClassRecord(record: ClassRecord): string {
  return [...record]
    .sort(([, a], [, b]) => a - b)
    .map(([name, cls]) => `${name}=${cls.toString(16)}`)
    .join(",");
}

/**
 * Classes for `names`: the recorded one, else the lowest class no recorded extension holds (a removed
 * extension keeps its class until its flows are gone). Returns the assignment and the record to keep.
 */
export function assignClasses(
  names: readonly string[],
  recorded: ClassRecord,
): { assigned: Map<string, number>; record: Map<string, number> } {
  const record = new Map(recorded);
  const assigned = new Map<string, number>();
  for (const name of names) {
    let cls = record.get(name);
    if (cls === undefined) {
      const taken = new Set(record.values());
      for (let c = EXTENSION_CLASS_MIN; c <= EXTENSION_CLASS_MAX && cls === undefined; c++)
        if (!taken.has(c)) cls = c;
      if (cls === undefined)
        throw new WeirError(
          "WEIR_EXTENSION_CLASSES",
          "no cookie class left for another extension (0x80-0xfe all held)",
        );
      record.set(name, cls);
    }
    assigned.set(name, cls);
  }
  return { assigned, record };
}

export async function readClassRecord(db: VswitchDb): Promise<Map<string, number>> {
  const [root] = await selectRows(db, "Open_vSwitch", db.ops.select("Open_vSwitch", [], ["external_ids"]));
  return parseClassRecord(root?.external_ids[WeirKeys.extensionClasses]);
}

export function writeClassRecord(db: VswitchDb, record: ClassRecord): Promise<void> {
  return setMapKeys(db, { table: "Open_vSwitch" }, "external_ids", {
    [WeirKeys.extensionClasses]: formatClassRecord(record),
  });
}
