/**
 * The options of a server's OFFER, ACK or NAK as typed fields, and back. They are written in dnsmasq's
 * order (message type, server identifier, lease times, then the configuration), so that a reply built
 * here can be compared byte for byte with dnsmasq's; RFC 2131 fixes no order.
 */
import { InvalidArgumentError } from "../base/index.ts";
import { type ClasslessRoute, decodeClasslessRoutes, encodeClasslessRoutes } from "./classless-routes.ts";
import type { DecodedDhcpv4Message } from "./dhcpv4.ts";
import {
  ipv4ListData,
  optionFault,
  readIpv4,
  readIpv4List,
  readText,
  readU8,
  readU16,
  readU32,
  textData,
  u8Data,
  u16Data,
  u32Data,
} from "./dhcpv4-option-values.ts";
import { Dhcpv4OptionCode as Code, type DecodedDhcpv4Option, type Dhcpv4Option } from "./dhcpv4-options.ts";
import { PacketDecodeError } from "./errors.ts";
import { checkRange } from "./field-checks.ts";
import { isContiguousMask, parseIpv4 } from "./ipv4-address.ts";
import { withoutUndefined } from "./without-undefined.ts";

export interface Dhcpv4ReplyOptions {
  /** 53: offer (2), ack (5) or nak (6). */
  readonly messageType: number;
  /** 54: required in every reply (RFC 2131 §4.3.1, Table 3). */
  readonly serverIdentifier: string;
  /** 51, 58, 59: seconds; 0xffffffff is infinite. T1 ≤ T2 ≤ lease when given. */
  readonly leaseTime?: number;
  readonly renewalTime?: number;
  readonly rebindingTime?: number;
  /** 1: contiguous. */
  readonly subnetMask?: string;
  /** 28. */
  readonly broadcastAddress?: string;
  /** 12. */
  readonly hostname?: string;
  /** 121 (RFC 3442); an empty list sends no option. */
  readonly classlessRoutes?: readonly ClasslessRoute[];
  /** 26: at least 68 (RFC 2132 §5.1). */
  readonly interfaceMtu?: number;
  /** 15. */
  readonly domainName?: string;
  /** 6; an empty list sends no option. */
  readonly dnsServers?: readonly string[];
  /** 3; an empty list sends no option. */
  readonly routers?: readonly string[];
  /** Any other options by code (Neutron's extra_dhcp_opts), written after these in the order given. */
  readonly extra?: readonly Dhcpv4Option[];
}

/** The reply's options in the order they are sent. Throws InvalidArgumentError naming a bad field. */
export function buildDhcpv4ReplyOptions(reply: Dhcpv4ReplyOptions): Dhcpv4Option[] {
  checkLeaseTimes(reply);
  const out: Dhcpv4Option[] = [];
  const owners = new Map<number, string>();
  const add = <T>(
    code: number,
    key: keyof Dhcpv4ReplyOptions,
    value: T | undefined,
    write: (f: string, v: T) => Buffer,
  ) => {
    if (value === undefined || (Array.isArray(value) && value.length === 0)) return;
    out.push({ code, data: write(key, value) });
    owners.set(code, key);
  };
  add(Code.messageType, "messageType", reply.messageType, writeMessageType);
  add(Code.serverIdentifier, "serverIdentifier", reply.serverIdentifier, parseAddress);
  add(Code.leaseTime, "leaseTime", reply.leaseTime, u32Data);
  add(Code.renewalTime, "renewalTime", reply.renewalTime, u32Data);
  add(Code.rebindingTime, "rebindingTime", reply.rebindingTime, u32Data);
  add(Code.subnetMask, "subnetMask", reply.subnetMask, writeMask);
  add(Code.broadcastAddress, "broadcastAddress", reply.broadcastAddress, parseAddress);
  add(Code.hostname, "hostname", reply.hostname, textData);
  add(Code.classlessStaticRoutes, "classlessRoutes", reply.classlessRoutes, encodeClasslessRoutes);
  add(Code.interfaceMtu, "interfaceMtu", reply.interfaceMtu, writeMtu);
  add(Code.domainName, "domainName", reply.domainName, textData);
  add(Code.dnsServers, "dnsServers", reply.dnsServers, ipv4ListData);
  add(Code.router, "routers", reply.routers, ipv4ListData);
  (reply.extra ?? []).forEach((option, i) => {
    const owner = owners.get(option.code);
    if (owner !== undefined)
      throw new InvalidArgumentError(`extra[${i}].code`, `option ${option.code} is already set as ${owner}`);
    out.push(option);
  });
  return out;
}

/** Reads a reply's options back into fields; codes without a field go to `extra`, in order. */
export function parseDhcpv4ReplyOptions(message: DecodedDhcpv4Message): Dhcpv4ReplyOptions {
  const get = (code: number) => message.options.find((o) => o.code === code);
  const read = <T>(code: number, parse: (o: DecodedDhcpv4Option) => T): T | undefined => {
    const option = get(code);
    return option === undefined ? undefined : parse(option);
  };
  const typed = new Set<number>(typedCodes);
  const extra = message.options.filter((o) => !typed.has(o.code));
  return withoutUndefined({
    messageType: required(message, Code.messageType, readU8),
    serverIdentifier: required(message, Code.serverIdentifier, readIpv4),
    leaseTime: read(Code.leaseTime, readU32),
    renewalTime: read(Code.renewalTime, readU32),
    rebindingTime: read(Code.rebindingTime, readU32),
    subnetMask: read(Code.subnetMask, readMask),
    broadcastAddress: read(Code.broadcastAddress, readIpv4),
    hostname: read(Code.hostname, readText),
    classlessRoutes: read(Code.classlessStaticRoutes, decodeClasslessRoutes),
    interfaceMtu: read(Code.interfaceMtu, readMtu),
    domainName: read(Code.domainName, readText),
    dnsServers: read(Code.dnsServers, readIpv4List),
    routers: read(Code.router, readIpv4List),
    extra: extra.length > 0 ? extra : undefined,
  });
}

const typedCodes = [
  Code.messageType,
  Code.serverIdentifier,
  Code.leaseTime,
  Code.renewalTime,
  Code.rebindingTime,
  Code.subnetMask,
  Code.broadcastAddress,
  Code.hostname,
  Code.classlessStaticRoutes,
  Code.interfaceMtu,
  Code.domainName,
  Code.dnsServers,
  Code.router,
];

function required<T>(message: DecodedDhcpv4Message, code: number, parse: (o: DecodedDhcpv4Option) => T): T {
  const option = message.options.find((o) => o.code === code);
  // Where the options start: the error has no option of its own to point at.
  if (option === undefined)
    throw new PacketDecodeError("dhcpv4", `option ${code}`, 240, "is missing; every reply carries it");
  return parse(option);
}

const parseAddress = (field: string, address: string) => parseIpv4(address, field);

function writeMessageType(field: string, type: number): Buffer {
  if (type !== 2 && type !== 5 && type !== 6)
    throw new InvalidArgumentError(field, `must be offer (2), ack (5) or nak (6), got ${type}`);
  return u8Data(field, type);
}

function writeMask(field: string, mask: string): Buffer {
  const bytes = parseIpv4(mask, field);
  if (!isContiguousMask(bytes)) throw new InvalidArgumentError(field, `${mask} is not a contiguous mask`);
  return bytes;
}

function readMask(option: DecodedDhcpv4Option): string {
  const mask = readIpv4(option);
  if (!isContiguousMask(option.data)) optionFault(option, `is ${mask}, not a contiguous mask`);
  return mask;
}

function writeMtu(field: string, mtu: number): Buffer {
  return u16Data(field, checkRange(field, mtu, 68, 0xffff));
}

function readMtu(option: DecodedDhcpv4Option): number {
  const mtu = readU16(option);
  if (mtu < 68) optionFault(option, `is ${mtu}, below the minimum of 68 (RFC 2132 §5.1)`);
  return mtu;
}

/** RFC 2131 §4.4.5: the client renews at T1, rebinds at T2, loses the lease at its end. */
function checkLeaseTimes(reply: Dhcpv4ReplyOptions): void {
  const { renewalTime: t1, rebindingTime: t2, leaseTime: lease } = reply;
  if (t1 !== undefined && t2 !== undefined && t1 > t2)
    throw new InvalidArgumentError("renewalTime", `${t1} is after rebindingTime ${t2}`);
  for (const [key, t] of [
    ["renewalTime", t1],
    ["rebindingTime", t2],
  ] as const)
    if (t !== undefined && lease !== undefined && t > lease)
      throw new InvalidArgumentError(key, `${t} is after leaseTime ${lease}`);
}
