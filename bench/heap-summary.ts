// Where a Node.js process's heap goes: a V8 heap snapshot (.heapsnapshot, written by the agent on SIGUSR2
// with --heapsnapshot-signal) summed by what holds the memory — each object's own size, grouped by its
// constructor (or, for strings, arrays and code, by V8's node type).
import { readFile } from "node:fs/promises";

interface Snapshot {
  readonly snapshot: {
    readonly meta: { readonly node_fields: string[]; readonly node_types: [string[], ...unknown[]] };
  };
  readonly nodes: number[];
  readonly strings: string[];
}

export interface HeapGroup {
  readonly what: string;
  readonly count: number;
  readonly bytes: number;
}

export async function summarizeHeap(path: string, top = 12): Promise<{ total: number; groups: HeapGroup[] }> {
  const snap = JSON.parse(await readFile(path, "utf8")) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const groups = new Map<string, { count: number; bytes: number }>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const size = snap.nodes[i + sizeAt]!;
    total += size;
    const what =
      type === "object" || type === "closure"
        ? `${snap.strings[snap.nodes[i + nameAt]!]} (${type})`
        : `(${type})`;
    const g = groups.get(what) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += size;
    groups.set(what, g);
  }
  const sorted = [...groups].map(([what, g]) => ({ what, ...g })).sort((a, b) => b.bytes - a.bytes);
  return { total, groups: sorted.slice(0, top) };
}
