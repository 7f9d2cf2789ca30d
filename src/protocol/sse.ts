/** Server-Sent Events framing (WHATWG HTML §9.2): blocks separated by a blank line, "field: value" lines. */
export interface SseMessage {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/** A push parser: feed decoded text as it arrives, get whole messages back. Comments are skipped. */
export class SseParser {
  #buffer = "";

  push(text: string): SseMessage[] {
    this.#buffer += text;
    const messages: SseMessage[] = [];
    for (let at = this.#buffer.indexOf("\n\n"); at >= 0; at = this.#buffer.indexOf("\n\n")) {
      const block = this.#buffer.slice(0, at);
      this.#buffer = this.#buffer.slice(at + 2);
      let id: string | undefined;
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("id: ")) id = line.slice(4);
        else if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      if (data.length > 0) messages.push({ id, event, data: data.join("\n") });
    }
    return messages;
  }
}
