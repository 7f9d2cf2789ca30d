/**
 * Cookie classes of extensions: assigned by the agent, never chosen by the extension, and kept in OVSDB
 * (Open_vSwitch external_ids, WeirKeys.extensionClasses) so that an extension has the same class on
 * every run — its flows are re-stamped in place by the generation swap, not replaced — and so that a
 * removed extension's class is not given to another before its flows are swept. The record also keeps
 * each extension's meter ids (its `meterIds`), so that a removed extension's meters can be deleted by the
 * swap that sweeps its flows, when nothing declares those ids any more:
 *
 *     qos=80:65536-131071,ra_guard=81
 *     name=class (2 hex digits) [:min-max (meter ids, decimal, as ovs-ofctl dump-meters prints them)]
 *
 * Records of earlier versions ("qos=80") parse as entries without meter ids.
 */
import { WeirError } from "../../base/index.ts";
import {
  EXTENSION_CLASS_MAX,
  EXTENSION_CLASS_MIN,
  METER_MAX,
  type MeterIdRange,
} from "../../openflow/index.ts";
import { selectRows, setMapKeys, type VswitchDb, WeirKeys } from "../../ovs/index.ts";

export interface ClassEntry {
  readonly ownerClass: number;
  /** The meter ids the extension declared when it last ran. */
  readonly meterIds?: MeterIdRange;
}

export type ClassRecord = ReadonlyMap<string, ClassEntry>;

/** What assignClasses needs of an extension: its name and the meter ids it declares. */
export interface ExtensionIds {
  readonly name: string;
  readonly meterIds?: MeterIdRange;
}

/** "qos=80:65536-131071,ra_guard=81" → name → entry; entries that make no sense are dropped. */
export function parseClassRecord(text: string | undefined): Map<string, ClassEntry> {
  const record = new Map<string, ClassEntry>();
  const taken = new Set<number>();
  for (const entry of (text ?? "").split(",")) {
    const m = /^([a-z][a-z0-9_-]{0,63})=([0-9a-f]{2})(?::(\d{1,10})-(\d{1,10}))?$/.exec(entry.trim());
    if (m === null || record.has(m[1]!)) continue;
    const ownerClass = Number.parseInt(m[2]!, 16);
    if (ownerClass < EXTENSION_CLASS_MIN || ownerClass > EXTENSION_CLASS_MAX || taken.has(ownerClass))
      continue;
    taken.add(ownerClass);
    const meterIds = m[3] === undefined ? undefined : { min: Number(m[3]), max: Number(m[4]) };
    // A nonsensical range loses only itself: the class still keeps the extension's flows apart.
    record.set(
      m[1]!,
      meterIds !== undefined && validRange(meterIds) ? { ownerClass, meterIds } : { ownerClass },
    );
  }
  return record;
}

export function formatClassRecord(record: ClassRecord): string {
  return [...record]
    .sort(([, a], [, b]) => a.ownerClass - b.ownerClass)
    .map(
      ([name, e]) =>
        `${name}=${e.ownerClass.toString(16)}${e.meterIds ? `:${e.meterIds.min}-${e.meterIds.max}` : ""}`,
    )
    .join(",");
}

/**
 * Classes for `extensions`: the recorded one, else the lowest class no recorded extension holds (a
 * removed extension keeps its class, and its meter ids, until its flows are gone). Returns the
 * assignment and the record to keep, which has each extension's meter ids as declared now.
 */
export function assignClasses(
  extensions: readonly ExtensionIds[],
  recorded: ClassRecord,
): { assigned: Map<string, number>; record: Map<string, ClassEntry> } {
  const record = new Map(recorded);
  const assigned = new Map<string, number>();
  for (const { name, meterIds } of extensions) {
    let ownerClass = record.get(name)?.ownerClass;
    if (ownerClass === undefined) {
      const taken = new Set([...record.values()].map((e) => e.ownerClass));
      for (let c = EXTENSION_CLASS_MIN; c <= EXTENSION_CLASS_MAX && ownerClass === undefined; c++)
        if (!taken.has(c)) ownerClass = c;
      if (ownerClass === undefined)
        throw new WeirError(
          "WEIR_EXTENSION_CLASSES",
          "no cookie class left for another extension (0x80-0xfe all held)",
        );
    }
    record.set(name, meterIds === undefined ? { ownerClass } : { ownerClass, meterIds });
    assigned.set(name, ownerClass);
  }
  return { assigned, record };
}

/** The recorded extensions that are not among `configured`: removed since they last ran. */
export function removedExtensions(
  record: ClassRecord,
  configured: Iterable<string>,
): Map<string, ClassEntry> {
  const names = new Set(configured);
  return new Map([...record].filter(([name]) => !names.has(name)));
}

export async function readClassRecord(db: VswitchDb): Promise<Map<string, ClassEntry>> {
  const [root] = await selectRows(db, "Open_vSwitch", db.ops.select("Open_vSwitch", [], ["external_ids"]));
  return parseClassRecord(root?.external_ids[WeirKeys.extensionClasses]);
}

export function writeClassRecord(db: VswitchDb, record: ClassRecord): Promise<void> {
  return setMapKeys(db, { table: "Open_vSwitch" }, "external_ids", {
    [WeirKeys.extensionClasses]: formatClassRecord(record),
  });
}

function validRange(r: MeterIdRange): boolean {
  return r.min >= 1 && r.min <= r.max && r.max <= METER_MAX;
}
