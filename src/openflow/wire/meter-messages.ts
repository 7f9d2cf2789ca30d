/**
 * Meter messages: OFPT_METER_MOD and the OFPMP_METER_DESC (1.3's METER_CONFIG) and OFPMP_METER_FEATURES
 * multipart requests and replies. OpenFlow 1.5 keeps 1.3's layouts, and OVS encodes and decodes them with
 * the ofp13_* structures of include/openflow/openflow-1.3.h for every version (lib/ofp-meter.c).
 */
import { canonicalMeter, type Meter, type MeterBand, type MeterUnit } from "../model/meter.ts";
import { type Reader, Writer } from "./buffer.ts";
import {
  METER_ALL,
  MessageType,
  MeterBandType,
  MeterFlags,
  MeterModCommand,
  MultipartType,
} from "./constants.ts";
import { beginMessage, endMessage } from "./messages.ts";

/** Every band OVS knows is 16 bytes (ofp13_meter_band_drop, _dscp_remark; ofp-meter.c ofputil_pull_bands). */
const BAND_LENGTH = 16;

/**
 * OFPT_METER_MOD (ofp13_meter_mod): command, flags, meter id, then the bands. A delete carries the id
 * alone: OVS ignores flags and bands then (ofputil_decode_meter_mod).
 */
export function meterModMessage(xid: number, command: MeterModCommand, m: Meter | number): Buffer {
  const w = new Writer(16 + 16 * (typeof m === "number" ? 0 : m.bands.length));
  const start = beginMessage(w, MessageType.meterMod, xid);
  if (typeof m === "number" || command === MeterModCommand.delete) {
    w.u16(command)
      .u16(0)
      .u32(typeof m === "number" ? m : m.id);
  } else {
    w.u16(command).u16(meterFlags(m)).u32(m.id);
    for (const band of m.bands) writeBand(w, band);
  }
  endMessage(w, start);
  return w.finish();
}

function meterFlags(m: Meter): number {
  return (
    (m.unit === "kbps" ? MeterFlags.kbps : MeterFlags.pktps) |
    (m.burst ? MeterFlags.burst : 0) |
    (m.stats ? MeterFlags.stats : 0)
  );
}

/** ofp13_meter_band_header + 4 bytes: padding for drop, prec_level and 3 of padding for dscp_remark. */
function writeBand(w: Writer, band: MeterBand): void {
  const type = band.type === "drop" ? MeterBandType.drop : MeterBandType.dscpRemark;
  w.u16(type).u16(BAND_LENGTH).u32(band.rate).u32(band.burstSize);
  w.u8(band.type === "dscp_remark" ? band.precLevel : 0).zeros(3);
}

function beginMultipart(w: Writer, xid: number, type: number): number {
  const start = beginMessage(w, MessageType.multipartRequest, xid);
  w.u16(type).u16(0).zeros(4);
  return start;
}

/** OFPMP_METER_DESC request (ofp13_meter_multipart_request: meter id, 4 bytes of padding). */
export function meterConfigRequest(xid: number, meterId = METER_ALL): Buffer {
  const w = new Writer(24);
  const start = beginMultipart(w, xid, MultipartType.meterConfig);
  w.u32(meterId).zeros(4);
  endMessage(w, start);
  return w.finish();
}

/** OFPMP_METER_STATS request (the same body as METER_DESC's). */
export function meterStatsRequest(xid: number, meterId = METER_ALL): Buffer {
  const w = new Writer(24);
  const start = beginMultipart(w, xid, MultipartType.meterStats);
  w.u32(meterId).zeros(4);
  endMessage(w, start);
  return w.finish();
}

/** One meter's counters (ofp13_meter_stats); `bandPackets[i]` is what band i dropped (or remarked). */
export interface MeterStats {
  readonly id: number;
  readonly flowCount: number;
  readonly packetsIn: bigint;
  readonly bytesIn: bigint;
  readonly bandPackets: readonly bigint[];
}

/** The entries of an OFPMP_METER_STATS reply body: id, length, pad, counts, duration, 16 bytes a band. */
export function readMeterStats(body: Reader): MeterStats[] {
  const out: MeterStats[] = [];
  while (body.remaining > 0) {
    const id = body.u32();
    const length = body.u16();
    if (length < 40 || (length - 40) % 16 !== 0) body.fail(`meter stats length ${length}`);
    const entry = body.sub(length - 6, "meter stats");
    entry.skip(6);
    const flowCount = entry.u32();
    const packetsIn = entry.u64();
    const bytesIn = entry.u64();
    entry.skip(8); // duration_sec, duration_nsec
    const bandPackets: bigint[] = [];
    while (entry.remaining > 0) {
      bandPackets.push(entry.u64());
      entry.skip(8); // byte_band_count
    }
    out.push({ id, flowCount, packetsIn, bytesIn, bandPackets });
  }
  return out;
}

/** OFPMP_METER_FEATURES request: no body. */
export function meterFeaturesRequest(xid: number): Buffer {
  const w = new Writer(16);
  const start = beginMultipart(w, xid, MultipartType.meterFeatures);
  endMessage(w, start);
  return w.finish();
}

/**
 * The entries of an OFPMP_METER_DESC reply body (ofp13_meter_config: length, flags, meter id, bands),
 * as canonical Meter values. OVS stores a meter's flags and bands as they were sent (ofproto.c
 * meter_update), so they come back as written.
 */
export function readMeterConfigs(body: Reader): Meter[] {
  const out: Meter[] = [];
  while (body.remaining > 0) {
    const length = body.u16();
    if (length < 8) body.fail(`meter config length ${length}`);
    const entry = body.sub(length - 2, "meter config");
    const flags = entry.u16();
    const id = entry.u32();
    const bands: MeterBand[] = [];
    while (entry.remaining > 0) bands.push(readBand(entry));
    out.push(
      canonicalMeter({
        id,
        unit: unitOf(entry, flags, id),
        burst: (flags & MeterFlags.burst) !== 0,
        stats: (flags & MeterFlags.stats) !== 0,
        bands,
      }),
    );
  }
  return out;
}

function unitOf(r: Reader, flags: number, id: number): MeterUnit {
  const kbps = (flags & MeterFlags.kbps) !== 0;
  const pktps = (flags & MeterFlags.pktps) !== 0;
  // OVS refuses a meter with neither or both (dpif.c dpif_meter_set), so a switch never reports one.
  if (kbps === pktps) r.fail(`meter ${id} has flags 0x${flags.toString(16)}: not exactly one of kbps, pktps`);
  return kbps ? "kbps" : "pktps";
}

function readBand(r: Reader): MeterBand {
  const type = r.u16();
  const length = r.u16();
  if (length !== BAND_LENGTH) r.fail(`meter band of length ${length}`);
  const rate = r.u32();
  const burstSize = r.u32();
  const extra = r.u8();
  r.skip(3);
  if (type === MeterBandType.drop) return { type: "drop", rate, burstSize };
  if (type === MeterBandType.dscpRemark) return { type: "dscp_remark", rate, burstSize, precLevel: extra };
  return r.fail(`meter band type ${type}`);
}

export type MeterCapability = "kbps" | "pktps" | "burst" | "stats";

/** What the switch's meter table can do (ofp13_meter_features). */
export interface MeterFeatures {
  readonly maxMeters: number;
  /** Band types by name ("drop", "dscp_remark"; "band_N" for others). */
  readonly bandTypes: readonly string[];
  readonly capabilities: readonly MeterCapability[];
  readonly maxBands: number;
  readonly maxColor: number;
}

const capabilityBits: readonly [MeterCapability, number][] = [
  ["kbps", MeterFlags.kbps],
  ["pktps", MeterFlags.pktps],
  ["burst", MeterFlags.burst],
  ["stats", MeterFlags.stats],
];

/**
 * An OFPMP_METER_FEATURES reply body. OVS sends the 16-byte ofp13_meter_features in 1.5 too (ofp-meter.c
 * ofputil_encode_meter_features_reply); 1.5's longer form adds a `features` word, which is not read.
 * band_types is a bitmap of 1 << OFPMBT_*.
 */
export function readMeterFeatures(body: Reader): MeterFeatures {
  const maxMeters = body.u32();
  const bandBits = body.u32();
  const capabilityWord = body.u32();
  const maxBands = body.u8();
  const maxColor = body.u8();
  const bandTypes: string[] = [];
  for (let bit = 1; bit < 32; bit++) {
    if ((bandBits & (1 << bit)) === 0) continue;
    bandTypes.push(
      bit === MeterBandType.drop ? "drop" : bit === MeterBandType.dscpRemark ? "dscp_remark" : `band_${bit}`,
    );
  }
  const capabilities = capabilityBits.filter(([, bit]) => (capabilityWord & bit) !== 0).map(([name]) => name);
  return { maxMeters, bandTypes, capabilities, maxBands, maxColor };
}
