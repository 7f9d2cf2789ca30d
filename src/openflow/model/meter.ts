/**
 * Meters as validated values (OpenFlow 1.5.1 §7.3.4.5, ofp13_meter_mod in OVS openflow-1.3.h): an id, a
 * rate unit, the burst and stats flags, and bands. Canonical in the form Open vSwitch gives back in a
 * meter config (OFPMP_METER_DESC) reply, so a meter read from the switch compares equal to the one written.
 */
import { InvalidArgumentError } from "../../base/index.ts";
import { checkMeterId } from "./actions.ts";

export type MeterUnit = "kbps" | "pktps";

/**
 * A band: above `rate` (in the meter's unit) packets are dropped; `burstSize` is the bucket (kilobits or
 * packets). dscp_remark is only ever decoded (another switch's meter): OVS's userspace datapath refuses
 * every band but drop with BAD_BAND (dpif-netdev.c dpif_netdev_meter_set), so the builder makes none.
 */
export type MeterBand =
  | { readonly type: "drop"; readonly rate: number; readonly burstSize: number }
  | {
      readonly type: "dscp_remark";
      readonly rate: number;
      readonly burstSize: number;
      readonly precLevel: number;
    };

export interface Meter {
  readonly id: number;
  readonly unit: MeterUnit;
  /** OFPMF_BURST: the bands' burstSize is the configured bucket. */
  readonly burst: boolean;
  /** OFPMF_STATS: the switch keeps per-meter counters. */
  readonly stats: boolean;
  /** Sorted by rate, then burst size (band order carries no meaning: the highest exceeded rate applies). */
  readonly bands: readonly MeterBand[];
}

export interface MeterBandSpec {
  readonly type?: "drop";
  readonly rate: number;
  /** Only with `burst: true`; defaults to the rate (see meter()). */
  readonly burstSize?: number;
}

export interface MeterSpec {
  readonly id: number;
  readonly unit: MeterUnit;
  readonly burst?: boolean;
  readonly stats?: boolean;
  readonly bands: readonly MeterBandSpec[];
}

const U32_MAX = 0xffffffff;
/** ofp13_meter_features.max_bands is a byte: no switch can take more bands. */
const MAX_BANDS = 255;

function checkU32(what: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min || value > U32_MAX) {
    throw new InvalidArgumentError(what, `${value} is outside ${min}..${U32_MAX}`);
  }
  return value;
}

/**
 * Builds and validates a meter; errors name the field (meter id, meter.unit, meter.bands[0].rate…).
 *
 * What OVS refuses is refused here, before anything is sent: no unit or both (dpif.c dpif_meter_set →
 * BAD_FLAGS), no band (→ OUT_OF_BANDS), a zero rate (→ BAD_RATE), a burst size without the burst flag
 * (ovs-ofctl refuses it; OpenFlow ignores it). A band's burst size defaults to its rate, because that is
 * what the userspace datapath stores for 0 (dpif_netdev_meter_set: "Set burst size to a workable value if
 * none specified") and what a dump then reports.
 */
export function meter(spec: MeterSpec): Meter {
  const id = checkMeterId(spec.id, "meter id");
  const what = `meter ${id}`;
  if (spec.unit !== "kbps" && spec.unit !== "pktps") {
    throw new InvalidArgumentError(`${what} unit`, `${JSON.stringify(spec.unit)} is not "kbps" or "pktps"`);
  }
  const burst = spec.burst ?? false;
  if (spec.bands.length === 0 || spec.bands.length > MAX_BANDS) {
    throw new InvalidArgumentError(`${what} bands`, `needs 1..${MAX_BANDS} bands, not ${spec.bands.length}`);
  }
  const bands = spec.bands.map((band, i): MeterBand => {
    const at = `${what} bands[${i}]`;
    if ((band.type ?? "drop") !== "drop") {
      throw new InvalidArgumentError(`${at}.type`, "only drop bands (OVS's userspace datapath has no other)");
    }
    const rate = checkU32(`${at}.rate`, band.rate, 1);
    if (band.burstSize !== undefined && !burst && band.burstSize !== rate) {
      throw new InvalidArgumentError(`${at}.burstSize`, "needs burst: true");
    }
    const burstSize = band.burstSize === undefined ? rate : checkU32(`${at}.burstSize`, band.burstSize, 1);
    return { type: "drop", rate, burstSize };
  });
  return { id, unit: spec.unit, burst, stats: spec.stats ?? false, bands: sortBands(bands) };
}

/**
 * A meter as decoded from the switch, made canonical like meter(): bands sorted, and without the burst
 * flag a band's burst size is its rate (OpenFlow ignores it then; OVS's userspace datapath stores the rate
 * for 0, other datapaths may keep 0).
 */
export function canonicalMeter(m: Meter): Meter {
  const bands = m.burst ? m.bands : m.bands.map((band) => ({ ...band, burstSize: band.rate }));
  return { ...m, bands: sortBands(bands) };
}

function sortBands(bands: readonly MeterBand[]): MeterBand[] {
  return [...bands].sort(
    (a, b) => a.rate - b.rate || a.burstSize - b.burstSize || a.type.localeCompare(b.type),
  );
}

export function meterEqual(a: Meter, b: Meter): boolean {
  return (
    a.id === b.id &&
    a.unit === b.unit &&
    a.burst === b.burst &&
    a.stats === b.stats &&
    a.bands.length === b.bands.length &&
    a.bands.every((band, i) => bandEqual(band, b.bands[i]!))
  );
}

function bandEqual(a: MeterBand, b: MeterBand): boolean {
  if (a.type !== b.type || a.rate !== b.rate || a.burstSize !== b.burstSize) return false;
  return a.type !== "dscp_remark" || (b.type === "dscp_remark" && a.precLevel === b.precLevel);
}

/** The meter in ovs-ofctl add-meter syntax: `meter=1,kbps,burst,stats,bands=type=drop,rate=1000,burst_size=100`. */
export function formatMeter(m: Meter): string {
  const flags = [m.unit, ...(m.burst ? ["burst"] : []), ...(m.stats ? ["stats"] : [])];
  const bands = m.bands.map((band) => {
    const parts = [`type=${band.type}`, `rate=${band.rate}`];
    if (m.burst) parts.push(`burst_size=${band.burstSize}`);
    if (band.type === "dscp_remark") parts.push(`prec_level=${band.precLevel}`);
    return parts.join(",");
  });
  return `meter=${m.id},${flags.join(",")},bands=${bands.join(",")}`;
}
