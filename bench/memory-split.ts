// An agent's memory by kind, read from its own metrics (prom-client's default Node.js collectors):
// resident set, the V8 heap as reserved from the system and as used, memory held outside the heap
// (Buffers and other external memory), and what remains (code, native and allocator memory).
export interface MemorySplit {
  readonly rssMiB: number;
  readonly heapTotalMiB: number;
  readonly heapUsedMiB: number;
  readonly externalMiB: number;
  /** Per V8 space: [size, used] MiB. */
  readonly spaces: Readonly<Record<string, readonly [number, number]>>;
}

const MiB = 2 ** 20;

export async function memorySplit(metricsUrl: string): Promise<MemorySplit> {
  const text = await (await fetch(metricsUrl)).text();
  const value = (name: string) =>
    Number(new RegExp(`^${name} (\\S+)`, "m").exec(text)?.[1] ?? Number.NaN) / MiB;
  const spaces: Record<string, [number, number]> = {};
  for (const m of text.matchAll(/^nodejs_heap_space_size_(total|used)_bytes\{space="([^"]+)"\} (\S+)/gm)) {
    const entry = spaces[m[2]!] ?? [0, 0];
    entry[m[1] === "total" ? 0 : 1] = Number(m[3]) / MiB;
    spaces[m[2]!] = entry;
  }
  return {
    rssMiB: value("process_resident_memory_bytes"),
    heapTotalMiB: value("nodejs_heap_size_total_bytes"),
    heapUsedMiB: value("nodejs_heap_size_used_bytes"),
    externalMiB: value("nodejs_external_memory_bytes"),
    spaces,
  };
}

export function renderMemorySplit(m: MemorySplit): string {
  const rest = m.rssMiB - m.heapTotalMiB - m.externalMiB;
  const big = Object.entries(m.spaces)
    .filter(([, [size]]) => size >= 1)
    .sort((a, b) => b[1][0] - a[1][0])
    .map(([name, [size, used]]) => `${name} ${size.toFixed(0)} (${used.toFixed(0)} used)`)
    .join(", ");
  return `the V8 heap reserves ${m.heapTotalMiB.toFixed(0)} MiB of it (${m.heapUsedMiB.toFixed(0)} MiB in use; by space: ${big}), external memory (Buffers) ${m.externalMiB.toFixed(0)} MiB, and ${rest.toFixed(0)} MiB is the rest (code, native and allocator memory)`;
}
