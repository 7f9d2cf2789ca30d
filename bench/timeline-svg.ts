// A timeline plot as a standalone SVG: replies per 10 ms for each probed path (a dip to zero is loss),
// the TCP stream's throughput per 100 ms below it, and vertical markers where restarts happened.
import type { PairResult, TcpStreamResult } from "../src/testbed/index.ts";

export interface Timeline {
  readonly title: string;
  readonly pairs: readonly PairResult[];
  readonly tcp: TcpStreamResult | undefined;
  readonly markers: readonly { atMs: number; label: string }[];
}

const W = 1200;
const plotLeft = 60;
const plotRight = W - 20;
const probeTop = 40;
const probeHeight = 200;
const tcpTop = probeTop + probeHeight + 50;
const tcpHeight = 110;
const H = tcpTop + tcpHeight + 40;
const colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const f = (n: number) => n.toFixed(1);

export function timelineSvg(t: Timeline): string {
  const origin = Math.min(...t.pairs.map((p) => p.result.startedAtMs));
  const endMs = Math.max(
    ...t.pairs.map(
      (p) => p.result.startedAtMs - origin + p.result.timeline.length * p.result.timelineBucketMs,
    ),
  );
  const x = (ms: number) => plotLeft + (Math.max(0, ms) / endMs) * (plotRight - plotLeft);
  const perBucket = Math.max(
    1,
    ...t.pairs.map((p) => (p.result.timelineBucketMs * 1000) / p.result.intervalUs),
  );
  const yProbe = (n: number) =>
    probeTop + probeHeight - (Math.min(n, perBucket * 1.5) / (perBucket * 1.5)) * probeHeight;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${plotLeft}" y="20" font-size="14" font-weight="bold">${esc(t.title)}</text>`,
  );
  // Axes and grid.
  parts.push(axis(probeTop, probeHeight, `replies per ${t.pairs[0]?.result.timelineBucketMs ?? 10} ms`));
  for (const n of [0, perBucket]) {
    parts.push(
      `<line x1="${plotLeft}" x2="${plotRight}" y1="${f(yProbe(n))}" y2="${f(yProbe(n))}" stroke="#ddd"/>`,
      `<text x="${plotLeft - 5}" y="${f(yProbe(n) + 4)}" text-anchor="end">${n}</text>`,
    );
  }
  const seconds = endMs / 1000;
  const step = seconds > 120 ? 20 : seconds > 60 ? 10 : seconds > 20 ? 5 : 1;
  for (let s = 0; s <= seconds; s += step) {
    parts.push(
      `<text x="${f(x(s * 1000))}" y="${tcpTop + tcpHeight + 15}" text-anchor="middle">${s} s</text>`,
    );
  }
  // Markers.
  for (const [i, m] of t.markers.entries()) {
    const mx = f(x(m.atMs - origin));
    parts.push(
      `<line x1="${mx}" x2="${mx}" y1="${probeTop}" y2="${tcpTop + tcpHeight}" stroke="#999" stroke-dasharray="3,3"><title>${esc(m.label)}</title></line>`,
    );
    if (t.markers.length <= 24 && !m.label.endsWith("converged") && !m.label.endsWith("up"))
      parts.push(
        `<text x="${mx}" y="${probeTop - 4 - (i % 2) * 10}" font-size="9" fill="#555">${esc(m.label)}</text>`,
      );
  }
  // Probe lines.
  for (const [i, p] of t.pairs.entries()) {
    const offset = p.result.startedAtMs - origin;
    const points = p.result.timeline
      .map((n, b) => `${f(x(offset + b * p.result.timelineBucketMs))},${f(yProbe(n))}`)
      .join(" ");
    parts.push(
      `<polyline fill="none" stroke="${colors[i % colors.length]}" stroke-width="1" points="${points}"/>`,
      `<text x="${plotRight - 250}" y="${probeTop + 14 + i * 13}" fill="${colors[i % colors.length]}">${esc(p.name)}: ${p.result.lost} lost of ${p.result.sent}</text>`,
    );
  }
  // TCP throughput.
  if (t.tcp !== undefined && t.tcp.intervals.length > 0) {
    const max = Math.max(...t.tcp.intervals.map((iv) => iv.mbps), 1);
    const yTcp = (mbps: number) => tcpTop + tcpHeight - (mbps / max) * tcpHeight;
    parts.push(axis(tcpTop, tcpHeight, "TCP Mbit/s per 100 ms"));
    parts.push(
      `<text x="${plotLeft - 5}" y="${f(yTcp(max) + 4)}" text-anchor="end">${Math.round(max)}</text>`,
      `<text x="${plotLeft - 5}" y="${f(yTcp(0) + 4)}" text-anchor="end">0</text>`,
    );
    const offset = t.tcp.startedAtMs - origin;
    const points = t.tcp.intervals
      .map((iv) => `${f(x(offset + iv.atS * 1000))},${f(yTcp(iv.mbps))}`)
      .join(" ");
    parts.push(`<polyline fill="none" stroke="#ff7f0e" stroke-width="1" points="${points}"/>`);
  }
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

function axis(top: number, height: number, label: string): string {
  return [
    `<rect x="${plotLeft}" y="${top}" width="${plotRight - plotLeft}" height="${height}" fill="none" stroke="#888"/>`,
    `<text x="14" y="${top + height / 2}" transform="rotate(-90 14 ${top + height / 2})" text-anchor="middle">${esc(label)}</text>`,
  ].join("\n");
}
