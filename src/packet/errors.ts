import { WeirError } from "../base/index.ts";

/**
 * Bytes that are not a valid packet of the layer being decoded: truncated, a length that disagrees with
 * the buffer, a bad checksum, a value the RFC forbids. The only error a decoder throws, for any input,
 * so a responder can drop the frame on this one type and treat anything else as its own bug.
 * `offset` counts from the start of `layer`'s own bytes (the UDP payload for DHCP, the ICMPv6 message for
 * neighbour discovery), as a capture tool shows that layer.
 */
export class PacketDecodeError extends WeirError {
  readonly layer: string;
  readonly field: string;
  readonly offset: number;

  constructor(layer: string, field: string, offset: number, problem: string) {
    super("PACKET_MALFORMED", `${layer}: ${field} at offset ${offset} ${problem}`);
    this.layer = layer;
    this.field = field;
    this.offset = offset;
  }
}
