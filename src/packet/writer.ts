/**
 * Appends big-endian fields to a growing buffer. Values are checked by the encoders before they get
 * here (with InvalidArgumentError naming the field); the masks only keep a bug from spilling into the
 * next field.
 */
export class PacketWriter {
  #buffer: Buffer;
  #length = 0;

  constructor(initial = 512) {
    this.#buffer = Buffer.alloc(initial);
  }

  get length(): number {
    return this.#length;
  }

  #reserve(n: number): number {
    const at = this.#length;
    if (at + n > this.#buffer.length) {
      const grown = Buffer.alloc(Math.max(this.#buffer.length * 2, at + n));
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

  bytes(data: Uint8Array): this {
    const at = this.#reserve(data.length);
    this.#buffer.set(data, at);
    return this;
  }

  zeros(n: number): this {
    if (n > 0) this.#buffer.fill(0, this.#reserve(n), this.#length);
    return this;
  }

  /** Overwrites a 16-bit field written earlier (lengths and checksums known only at the end). */
  setU16(at: number, value: number): void {
    this.#buffer.writeUInt16BE(value & 0xffff, at);
  }

  setU8(at: number, value: number): void {
    this.#buffer[at] = value & 0xff;
  }

  /** A copy of what was written. */
  finish(): Buffer {
    return Buffer.from(this.#buffer.subarray(0, this.#length));
  }
}
