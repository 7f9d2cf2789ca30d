// The classic pcap format (https://www.tcpdump.org/manpages/pcap-savefile.5.html): a 24-byte global
// header (magic, version, zone, sigfigs, snaplen, link type), then per packet a 16-byte record header
// (seconds, microseconds, captured length, original length) and the captured bytes.
import assert from "node:assert/strict";

export interface PcapRecord {
  readonly seconds: number;
  readonly microseconds: number;
  readonly originalLength: number;
  readonly data: Buffer;
}

/** LINKTYPE_ETHERNET. */
const ETHERNET = 1;

export function readPcap(file: Buffer): PcapRecord[] {
  assert.ok(file.length >= 24, "a pcap file starts with a 24-byte header");
  const magic = file.readUInt32LE(0);
  // 0xa1b2c3d4 written little-endian reads as itself; big-endian files read swapped.
  const little = magic === 0xa1b2c3d4;
  assert.ok(little || magic === 0xd4c3b2a1, `not a microsecond pcap file (magic 0x${magic.toString(16)})`);
  const u32 = (at: number) => (little ? file.readUInt32LE(at) : file.readUInt32BE(at));
  assert.equal(u32(20), ETHERNET, "link type must be Ethernet");
  const records: PcapRecord[] = [];
  for (let at = 24; at < file.length; ) {
    assert.ok(at + 16 <= file.length, `record header at ${at} is cut short`);
    const captured = u32(at + 8);
    assert.ok(at + 16 + captured <= file.length, `record at ${at} is cut short`);
    records.push({
      seconds: u32(at),
      microseconds: u32(at + 4),
      originalLength: u32(at + 12),
      data: file.subarray(at + 16, at + 16 + captured),
    });
    at += 16 + captured;
  }
  return records;
}
