import { OvsdbProtocolError } from "../errors.ts";

/**
 * Splits a byte stream into JSON texts. JSON-RPC over a stream socket (RFC 7047 §4) has no length prefix:
 * a message ends where its outermost object closes. The framer is a push state machine that tracks nesting
 * depth and strings (with escapes) byte by byte, so it handles messages split at any byte — including inside
 * a multi-byte UTF-8 character, since structural characters are ASCII and never occur inside one — and
 * several messages in one chunk.
 *
 * Anything but whitespace between messages, or a message larger than `maxMessageBytes`, is a protocol
 * error: a stream cannot be resynchronised after garbage, so the caller closes the connection.
 */
export class JsonFramer {
  readonly #onMessage: (text: string) => void;
  readonly #maxMessageBytes: number;
  readonly #decoder = new TextDecoder("utf-8", { fatal: true });
  #chunks: Buffer[] = [];
  #buffered = 0;
  #depth = 0;
  #inString = false;
  #escaped = false;

  constructor(onMessage: (text: string) => void, maxMessageBytes = 256 * 1024 * 1024) {
    this.#onMessage = onMessage;
    this.#maxMessageBytes = maxMessageBytes;
  }

  /** Bytes of an incomplete message held so far (non-zero at end of stream means it was truncated). */
  get pendingBytes(): number {
    return this.#buffered;
  }

  push(chunk: Uint8Array): void {
    let start = 0; // where the current message began within this chunk (0 if it began in an earlier one)
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (this.#depth === 0) {
        if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) {
          start = i + 1;
          continue;
        }
        if (byte !== 0x7b /* { */) {
          throw new OvsdbProtocolError(
            `unexpected byte 0x${byte.toString(16).padStart(2, "0")} between JSON-RPC messages`,
          );
        }
        start = i;
        this.#depth = 1;
        continue;
      }
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (byte === 0x5c /* \ */) this.#escaped = true;
        else if (byte === 0x22 /* " */) this.#inString = false;
        continue;
      }
      if (byte === 0x22) this.#inString = true;
      else if (byte === 0x7b || byte === 0x5b) this.#depth++;
      else if (byte === 0x7d || byte === 0x5d) {
        this.#depth--;
        if (this.#depth === 0) {
          this.#emit(chunk.subarray(start, i + 1));
          start = i + 1;
        }
      }
    }
    if (this.#depth > 0) this.#hold(chunk.subarray(start));
  }

  #hold(bytes: Uint8Array): void {
    this.#buffered += bytes.length;
    if (this.#buffered > this.#maxMessageBytes) {
      throw new OvsdbProtocolError(`message exceeds ${this.#maxMessageBytes} bytes`);
    }
    // Copy: the caller may reuse its buffer.
    this.#chunks.push(Buffer.from(bytes));
  }

  #emit(tail: Uint8Array): void {
    const bytes = this.#chunks.length === 0 ? tail : Buffer.concat([...this.#chunks, tail]);
    this.#chunks = [];
    this.#buffered = 0;
    let text: string;
    try {
      text = this.#decoder.decode(bytes);
    } catch (cause) {
      throw new OvsdbProtocolError("message is not valid UTF-8", { cause });
    }
    this.#onMessage(text);
  }
}
