/**
 * A reader of subunit v2 streams (what `tempest run --subunit` and stestr write): packets of a test's
 * status, timestamp, tags and attachments ("traceback", "reason", "pythonlogging:''"), each checked by its
 * CRC-32 as python-subunit does (subunit/v2.py). Bytes that are not a valid packet are skipped, as
 * python-subunit passes them through as non-subunit output.
 */
import { crc32 } from "node:zlib";

export type SubunitStatus =
  | "undefined"
  | "exists"
  | "inprogress"
  | "success"
  | "uxsuccess"
  | "skip"
  | "fail"
  | "xfail";

const STATUSES: readonly SubunitStatus[] = [
  "undefined",
  "exists",
  "inprogress",
  "success",
  "uxsuccess",
  "skip",
  "fail",
  "xfail",
];

const SIGNATURE = 0xb3;
const FLAG_TEST_ID = 0x0800;
const FLAG_ROUTE_CODE = 0x0400;
const FLAG_TIMESTAMP = 0x0200;
const FLAG_RUNNABLE = 0x0100;
const FLAG_TAGS = 0x0080;
const FLAG_FILE_CONTENT = 0x0040;
const FLAG_MIME_TYPE = 0x0020;
const FLAG_EOF = 0x0010;

export interface SubunitEvent {
  readonly testId: string | undefined;
  readonly status: SubunitStatus;
  /** Milliseconds since the epoch. */
  readonly timestamp: number | undefined;
  readonly tags: readonly string[] | undefined;
  readonly mimeType: string | undefined;
  readonly fileName: string | undefined;
  readonly fileBytes: Buffer | undefined;
  readonly routeCode: string | undefined;
  readonly runnable: boolean;
  readonly eof: boolean;
}

/** The varint of subunit v2 at `pos`: its value and how many bytes it took. */
function varint(buf: Buffer, pos: number): [number, number] {
  const first = buf[pos]!;
  const value = first & 0x3f;
  switch (first & 0xc0) {
    case 0x00:
      return [value, 1];
    case 0x40:
      return [(value << 8) | buf[pos + 1]!, 2];
    case 0x80:
      return [(value << 16) | buf.readUInt16BE(pos + 1), 3];
    default:
      return [value * 2 ** 24 + buf.readUIntBE(pos + 1, 3), 4];
  }
}

function parsePacket(packet: Buffer, bodyStart: number): SubunitEvent {
  const flags = packet.readUInt16BE(1);
  let pos = bodyStart;
  const utf8 = (): string => {
    const [length, size] = varint(packet, pos);
    pos += size;
    const text = packet.toString("utf8", pos, pos + length);
    pos += length;
    return text;
  };
  let timestamp: number | undefined;
  if (flags & FLAG_TIMESTAMP) {
    const seconds = packet.readUInt32BE(pos);
    const [nanos, size] = varint(packet, pos + 4);
    pos += 4 + size;
    timestamp = seconds * 1000 + nanos / 1e6;
  }
  const testId = flags & FLAG_TEST_ID ? utf8() : undefined;
  let tags: string[] | undefined;
  if (flags & FLAG_TAGS) {
    const [count, size] = varint(packet, pos);
    pos += size;
    tags = [];
    for (let i = 0; i < count; i++) tags.push(utf8());
  }
  const mimeType = flags & FLAG_MIME_TYPE ? utf8() : undefined;
  let fileName: string | undefined;
  let fileBytes: Buffer | undefined;
  if (flags & FLAG_FILE_CONTENT) {
    fileName = utf8();
    const [length, size] = varint(packet, pos);
    pos += size;
    fileBytes = packet.subarray(pos, pos + length);
    pos += length;
  }
  const routeCode = flags & FLAG_ROUTE_CODE ? utf8() : undefined;
  return {
    testId,
    status: STATUSES[flags & 0x7]!,
    timestamp,
    tags,
    mimeType,
    fileName,
    fileBytes,
    routeCode,
    runnable: (flags & FLAG_RUNNABLE) !== 0,
    eof: (flags & FLAG_EOF) !== 0,
  };
}

/** Feeds on chunks of a stream; returns the packets completed by each chunk. */
export class SubunitReader {
  #buffer: Buffer = Buffer.alloc(0);
  /** Bytes that were not part of a packet (stray output of the workers). */
  skippedBytes = 0;

  push(chunk: Buffer): SubunitEvent[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const events: SubunitEvent[] = [];
    let pos = 0;
    const buf = this.#buffer;
    while (pos < buf.length) {
      if (buf[pos] !== SIGNATURE) {
        pos++;
        this.skippedBytes++;
        continue;
      }
      if (buf.length - pos < 4) break; // signature, flags, the length's first byte
      const flags = buf.readUInt16BE(pos + 1);
      const sizeOfLength = [1, 2, 3, 4][buf[pos + 3]! >> 6]!;
      if (flags >> 12 !== 2 || sizeOfLength === 4) {
        pos++;
        this.skippedBytes++;
        continue;
      }
      if (buf.length - pos < 3 + sizeOfLength) break;
      const [length] = varint(buf, pos + 3);
      if (length < 3 + sizeOfLength + 4) {
        pos++;
        this.skippedBytes++;
        continue;
      }
      if (buf.length - pos < length) break;
      const packet = buf.subarray(pos, pos + length);
      if (crc32(packet.subarray(0, length - 4)) !== packet.readUInt32BE(length - 4)) {
        pos++;
        this.skippedBytes++;
        continue;
      }
      events.push(parsePacket(packet.subarray(0, length - 4), 3 + sizeOfLength));
      pos += length;
    }
    this.#buffer = buf.subarray(pos);
    return events;
  }

  /** What was left unparsed at the end of the stream (a torn last packet). */
  end(): number {
    const left = this.#buffer.length;
    this.skippedBytes += left;
    this.#buffer = Buffer.alloc(0);
    return left;
  }
}
