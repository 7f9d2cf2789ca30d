import { OpenFlowDecodeError } from "../errors.ts";
import { HEADER_LENGTH } from "./messages.ts";

/**
 * Splits a byte stream into OpenFlow messages by the length in each 8-byte header (OF 1.5 §7.1): a push
 * state machine, so messages may arrive split at any byte or several per chunk. A length below the header
 * size is garbage and a decode error — the stream cannot be resynchronised after it.
 */
export class MessageFramer {
  readonly #onMessage: (message: Buffer) => void;
  #pending: Buffer = Buffer.alloc(0);

  constructor(onMessage: (message: Buffer) => void) {
    this.#onMessage = onMessage;
  }

  get pendingBytes(): number {
    return this.#pending.length;
  }

  push(chunk: Uint8Array): void {
    let data =
      this.#pending.length === 0
        ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        : Buffer.concat([this.#pending, chunk]);
    let offset = 0;
    while (data.length - offset >= HEADER_LENGTH) {
      const length = data.readUInt16BE(offset + 2);
      if (length < HEADER_LENGTH) {
        this.#pending = Buffer.alloc(0);
        throw new OpenFlowDecodeError(`message length ${length} is shorter than the OpenFlow header`);
      }
      if (data.length - offset < length) break;
      // A copy: the socket may reuse its buffer, and decoded messages may be kept (opaque actions).
      this.#onMessage(Buffer.from(data.subarray(offset, offset + length)));
      offset += length;
    }
    data = data.subarray(offset);
    this.#pending = data.length === 0 ? Buffer.alloc(0) : Buffer.from(data);
  }
}
