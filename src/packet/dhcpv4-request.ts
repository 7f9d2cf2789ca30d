/** What a server reads of a client's message: the options RFC 2131 §4.3 acts on, typed and checked. */
import type { DecodedDhcpv4Message } from "./dhcpv4.ts";
import { optionFault, readBytes, readIpv4, readText, readU8, readU16 } from "./dhcpv4-option-values.ts";
import { Dhcpv4OptionCode as Code, type DecodedDhcpv4Option } from "./dhcpv4-options.ts";
import { withoutUndefined } from "./without-undefined.ts";

export interface Dhcpv4RequestOptions {
  /** Option 53; absent in a plain BOOTP request. */
  readonly messageType?: number;
  /** Option 50: the address a client in INIT-REBOOT or SELECTING asks for. */
  readonly requestedAddress?: string;
  /** Option 54: the server a REQUEST answers an OFFER of. */
  readonly serverIdentifier?: string;
  /** Option 55: the codes the client wants, in its order of preference. */
  readonly parameterRequestList?: readonly number[];
  /** Option 61, whole (type byte first); a server keys leases on it when present (RFC 2131 §4.2). */
  readonly clientIdentifier?: Buffer;
  /** Option 12. */
  readonly hostname?: string;
  /** Option 57: the largest message the client takes, IP and UDP headers included. */
  readonly maxMessageSize?: number;
}

/** Throws PacketDecodeError when one of these options has a value its RFC forbids. */
export function parseDhcpv4RequestOptions(message: DecodedDhcpv4Message): Dhcpv4RequestOptions {
  const read = <T>(code: number, parse: (option: DecodedDhcpv4Option) => T): T | undefined => {
    const option = message.options.find((o) => o.code === code);
    return option === undefined ? undefined : parse(option);
  };
  return withoutUndefined({
    messageType: read(Code.messageType, readMessageType),
    requestedAddress: read(Code.requestedAddress, readIpv4),
    serverIdentifier: read(Code.serverIdentifier, readIpv4),
    parameterRequestList: read(Code.parameterRequestList, (o) => [...readBytes(o, 1)]),
    // RFC 2132 §9.14: a type byte and at least one byte of identifier.
    clientIdentifier: read(Code.clientIdentifier, (o) => readBytes(o, 2)),
    hostname: read(Code.hostname, readText),
    maxMessageSize: read(Code.maxMessageSize, readMaxMessageSize),
  });
}

function readMessageType(option: DecodedDhcpv4Option): number {
  const type = readU8(option);
  if (type === 0) optionFault(option, "is 0, which is no message type (RFC 2132 §9.6)");
  return type;
}

function readMaxMessageSize(option: DecodedDhcpv4Option): number {
  const size = readU16(option);
  if (size < 576) optionFault(option, `is ${size}, below the minimum of 576 (RFC 2132 §9.10)`);
  return size;
}
