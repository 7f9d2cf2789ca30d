/** What the DHCP responders (v4 and v6) share: an answer of no frames, and reading a punted frame. */
import { PacketDecodeError } from "../../../packet/index.ts";
import type { PuntAnswer, PuntedPacket } from "../../pipeline/feature.ts";

export const nothing = (outcome: string, log?: PuntAnswer["log"]): PuntAnswer => ({
  outcome,
  replies: [],
  ...(log ? { log } : {}),
});

/** `read` of the packet's frame, or the "malformed" answer when it does not decode; other errors throw. */
export function readPunted<T>(
  packet: PuntedPacket,
  read: (frame: Buffer) => T,
  message: string,
): { readonly value: T } | { readonly answer: PuntAnswer } {
  try {
    return { value: read(packet.frame) };
  } catch (error) {
    if (error instanceof PacketDecodeError)
      return {
        answer: nothing("malformed", { message, fields: { port: packet.inPort, error: error.message } }),
      };
    throw error;
  }
}
