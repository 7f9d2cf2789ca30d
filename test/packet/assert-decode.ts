// Asserting a PacketDecodeError: its exact message, so a test names the layer, field and offset it expects.
import assert from "node:assert/strict";
import { PacketDecodeError } from "../../src/packet/index.ts";

export function assertMalformed(decode: () => unknown, message: string | RegExp): void {
  assert.throws(decode, (e: unknown) => {
    assert.ok(e instanceof PacketDecodeError, `expected PacketDecodeError, got ${String(e)}`);
    assert.equal(e.code, "PACKET_MALFORMED");
    if (typeof message === "string") assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}
