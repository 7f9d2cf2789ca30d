/**
 * Server-Sent Events framing (WHATWG HTML §9.2.6 "Interpreting an event stream"): lines end in CRLF, LF
 * or CR; a blank line dispatches the block; "field: value" or "field:value" (one leading space is
 * dropped); lines starting with ":" are comments; "data" lines accumulate, joined by LF.
 */
export interface SseMessage {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/** A push parser: feed decoded text as it arrives, get whole messages back. */
export class SseParser {
  #pending = "";
  /** A CR ended the last chunk: an LF at the start of the next one belongs to it. */
  #afterCr = false;
  #id: string | undefined;
  #event = "";
  #data: string[] = [];

  push(text: string): SseMessage[] {
    let input = text;
    if (this.#afterCr && input.startsWith("\n")) input = input.slice(1);
    this.#afterCr = false;
    const messages: SseMessage[] = [];
    let start = 0;
    for (let i = 0; i < input.length; i++) {
      const c = input[i];
      if (c !== "\n" && c !== "\r") continue;
      this.#line(this.#pending + input.slice(start, i), messages);
      this.#pending = "";
      if (c === "\r") {
        if (i + 1 === input.length) this.#afterCr = true;
        else if (input[i + 1] === "\n") i++;
      }
      start = i + 1;
    }
    this.#pending += input.slice(start);
    return messages;
  }

  #line(line: string, messages: SseMessage[]): void {
    if (line === "") {
      if (this.#data.length > 0)
        messages.push({ id: this.#id, event: this.#event || "message", data: this.#data.join("\n") });
      this.#event = "";
      this.#data = [];
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.#data.push(value);
    else if (field === "event") this.#event = value;
    else if (field === "id" && !value.includes("\0")) this.#id = value;
  }
}
