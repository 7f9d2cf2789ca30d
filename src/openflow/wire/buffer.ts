import { OpenFlowDecodeError } from "../errors.ts";

/** Appends big-endian fields to a growing buffer. OpenFlow is big-endian throughout (OF 1.5 §7.1). */
export class Writer {
  #buffer: Buffer;
  #length = 0;

  constructor(initial = 256) {
    this.#buffer = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    return this.#length;
  }

  #reserve(n: number): number {
    const at = this.#length;
    if (at + n > this.#buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, at + n));
      this.#buffer.copy(grown, 0, 0, at);
      this.#buffer = grown;
    }
    this.#length = at + n;
    return at;
  }

  // Each write reserves first: #reserve may replace #buffer, so it must not be read before the call.
  u8(value: number): this {
    const at = this.#reserve(1);
    this.#buffer[at] = value & 0xff;
    return this;
  }

  u16(value: number): this {
    const at = this.#reserve(2);
    this.#buffer.writeUInt16BE(value & 0xffff, at);
    return this;
  }

  u32(value: number): this {
    const at = this.#reserve(4);
    this.#buffer.writeUInt32BE(value >>> 0, at);
    return this;
  }

  u64(value: bigint): this {
    const at = this.#reserve(8);
    this.#buffer.writeBigUInt64BE(BigInt.asUintN(64, value), at);
    return this;
  }

  /** An unsigned integer of `bytes` bytes (up to 16), big-endian. */
  uint(value: bigint, bytes: number): this {
    const at = this.#reserve(bytes);
    let v = value;
    for (let i = bytes - 1; i >= 0; i--) {
      this.#buffer[at + i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return this;
  }

  bytes(data: Uint8Array): this {
    const at = this.#reserve(data.length);
    this.#buffer.set(data, at);
    return this;
  }

  zeros(n: number): this {
    if (n > 0) {
      const at = this.#reserve(n);
      this.#buffer.fill(0, at, this.#length);
    }
    return this;
  }

  /** Zero bytes up to the next multiple of `alignment` (OpenFlow pads structures to 8 bytes). */
  padTo(alignment: number, from = 0): this {
    const over = (this.#length - from) % alignment;
    return over === 0 ? this : this.zeros(alignment - over);
  }

  setU16(at: number, value: number): void {
    this.#buffer.writeUInt16BE(value & 0xffff, at);
  }

  setU32(at: number, value: number): void {
    this.#buffer.writeUInt32BE(value >>> 0, at);
  }

  /** A copy of what was written. */
  finish(): Buffer {
    return Buffer.from(this.#buffer.subarray(0, this.#length));
  }

  /** The written bytes without copying; valid until the next write. */
  view(): Buffer {
    return this.#buffer.subarray(0, this.#length);
  }
}

/** Reads big-endian fields with bounds checks: running past the end is a decode error, never a crash. */
export class Reader {
  readonly #data: Buffer;
  #offset: number;
  readonly #end: number;
  readonly #what: string;

  constructor(data: Uint8Array, what: string, start = 0, end = data.length) {
    this.#data = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.#offset = start;
    this.#end = end;
    this.#what = what;
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.#end - this.#offset;
  }

  #take(n: number): number {
    if (n < 0 || this.#offset + n > this.#end) {
      throw new OpenFlowDecodeError(
        `${this.#what}: needs ${n} more bytes at offset ${this.#offset}, only ${this.#end - this.#offset} left`,
      );
    }
    const at = this.#offset;
    this.#offset += n;
    return at;
  }

  u8(): number {
    return this.#data[this.#take(1)]!;
  }

  u16(): number {
    return this.#data.readUInt16BE(this.#take(2));
  }

  u32(): number {
    return this.#data.readUInt32BE(this.#take(4));
  }

  u64(): bigint {
    return this.#data.readBigUInt64BE(this.#take(8));
  }

  uint(bytes: number): bigint {
    const at = this.#take(bytes);
    let value = 0n;
    for (let i = 0; i < bytes; i++) value = (value << 8n) | BigInt(this.#data[at + i]!);
    return value;
  }

  bytes(n: number): Buffer {
    const at = this.#take(n);
    return this.#data.subarray(at, at + n);
  }

  skip(n: number): void {
    this.#take(n);
  }

  /** A copy of `length` bytes at absolute offset `start` of the underlying data (for opaque round trips). */
  slice(start: number, length: number): Uint8Array {
    return Buffer.from(this.#data.subarray(start, start + length));
  }

  /** A reader over the next `n` bytes, which this reader skips. */
  sub(n: number, what: string): Reader {
    const at = this.#take(n);
    return new Reader(this.#data, what, at, at + n);
  }

  fail(message: string): never {
    throw new OpenFlowDecodeError(`${this.#what}: ${message} (offset ${this.#offset})`);
  }
}
