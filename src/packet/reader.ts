import { PacketDecodeError } from "./errors.ts";

/**
 * Reads big-endian fields (network byte order, RFC 791 Appendix B) of one layer with bounds checks: running past
 * the end is a PacketDecodeError naming the field, never a RangeError from Buffer. Offsets are indexes
 * into `data`; a layer's reader is made over that layer's bytes so that errors count from its start.
 */
export class PacketReader {
  readonly layer: string;
  readonly #data: Buffer;
  #offset: number;
  readonly #end: number;

  constructor(data: Uint8Array, layer: string, start = 0, end = data.length) {
    this.#data = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.layer = layer;
    this.#offset = start;
    this.#end = end;
  }

  get offset(): number {
    return this.#offset;
  }

  get end(): number {
    return this.#end;
  }

  get remaining(): number {
    return this.#end - this.#offset;
  }

  #take(n: number, field: string): number {
    if (this.#offset + n > this.#end) {
      const left = this.#end - this.#offset;
      this.fail(field, `needs ${n} byte${n === 1 ? "" : "s"}, ${left} left`);
    }
    const at = this.#offset;
    this.#offset += n;
    return at;
  }

  u8(field: string): number {
    return this.#data[this.#take(1, field)]!;
  }

  u16(field: string): number {
    return this.#data.readUInt16BE(this.#take(2, field));
  }

  u32(field: string): number {
    return this.#data.readUInt32BE(this.#take(4, field));
  }

  /** The next `n` bytes as a view of the input (valid as long as the input is). */
  view(n: number, field: string): Buffer {
    const at = this.#take(n, field);
    return this.#data.subarray(at, at + n);
  }

  /** The next `n` bytes as a copy, for values that outlive the frame (DUIDs, option data). */
  copy(n: number, field: string): Buffer {
    return Buffer.from(this.view(n, field));
  }

  skip(n: number, field: string): void {
    this.#take(n, field);
  }

  /** A reader over the next `n` bytes, which this reader skips; it keeps this reader's offsets. */
  sub(n: number, field: string): PacketReader {
    const at = this.#take(n, field);
    return new PacketReader(this.#data, this.layer, at, at + n);
  }

  /** The byte at absolute index `at` without moving; undefined past the end. */
  peek(at: number): number | undefined {
    return at < this.#end ? this.#data[at] : undefined;
  }

  fail(field: string, problem: string, at = this.#offset): never {
    throw new PacketDecodeError(this.layer, field, at, problem);
  }
}
