/**
 * The options of a DHCPv4 message (RFC 2132 §2): code, length, data, with Pad (0) and End (255) alone.
 * Option Overload (52, RFC 2132 §9.3) carries more options in the `file` and `sname` fields, read in that
 * order after the options field (RFC 2131 §4.1); every instance of a code is one option, its data the
 * instances' concatenated in that order (RFC 3396), so long options arrive whole. Encoding splits
 * data over 255 bytes into consecutive instances (RFC 3396) and never overloads.
 */
import { InvalidArgumentError } from "../base/index.ts";
import { PacketDecodeError } from "./errors.ts";
import { checkRange } from "./field-checks.ts";
import { PacketReader } from "./reader.ts";
import { PacketWriter } from "./writer.ts";

/** The codes this layer gives types to (RFC 2132 unless noted). */
export const Dhcpv4OptionCode = {
  subnetMask: 1,
  router: 3,
  dnsServers: 6,
  hostname: 12,
  domainName: 15,
  interfaceMtu: 26,
  broadcastAddress: 28,
  requestedAddress: 50,
  leaseTime: 51,
  overload: 52,
  messageType: 53,
  serverIdentifier: 54,
  parameterRequestList: 55,
  maxMessageSize: 57,
  renewalTime: 58,
  rebindingTime: 59,
  clientIdentifier: 61,
  /** RFC 3442. */
  classlessStaticRoutes: 121,
} as const;

export interface Dhcpv4Option {
  readonly code: number;
  readonly data: Uint8Array;
}

export interface DecodedDhcpv4Option extends Dhcpv4Option {
  readonly data: Buffer;
  /** Where its first instance starts in the message, for errors about its value. */
  readonly offset: number;
}

const LAYER = "dhcpv4";
const PAD = 0;
const END = 255;
const OVERLOAD = Dhcpv4OptionCode.overload;

/** BOOTP's fixed fields that an overload may fill with options (RFC 2131 §2, Table 1). */
export const SNAME = { start: 44, end: 108 } as const;
export const FILE = { start: 108, end: 236 } as const;

export interface OptionAreas {
  readonly options: DecodedDhcpv4Option[];
  readonly fileHoldsOptions: boolean;
  readonly snameHoldsOptions: boolean;
}

/** Reads the options field (from `start` to the end) and, when overloaded, the file and sname fields. */
export function readOptionAreas(message: Uint8Array, start: number): OptionAreas {
  const instances: DecodedDhcpv4Option[] = [];
  readArea(new PacketReader(message, LAYER, start), instances);
  const overloads = instances.filter((o) => o.code === OVERLOAD);
  let overload = 0;
  if (overloads.length > 0) {
    const first = overloads[0]!;
    const data = Buffer.concat(overloads.map((o) => o.data));
    if (data.length !== 1 || data[0]! < 1 || data[0]! > 3)
      throw new PacketDecodeError(
        LAYER,
        "option 52 (overload)",
        first.offset,
        `must be one byte of 1, 2 or 3, got ${data.toString("hex") || "nothing"}`,
      );
    overload = data[0]!;
  }
  const fileHoldsOptions = (overload & 1) !== 0;
  const snameHoldsOptions = (overload & 2) !== 0;
  const fromFields: DecodedDhcpv4Option[] = [];
  if (fileHoldsOptions) readArea(new PacketReader(message, LAYER, FILE.start, FILE.end), fromFields);
  if (snameHoldsOptions) readArea(new PacketReader(message, LAYER, SNAME.start, SNAME.end), fromFields);
  const misplaced = fromFields.find((o) => o.code === OVERLOAD);
  if (misplaced !== undefined)
    throw new PacketDecodeError(
      LAYER,
      "option 52 (overload)",
      misplaced.offset,
      "is in the file or sname field; only the options field may hold it (RFC 2131 §4.1)",
    );
  return {
    options: concatenate([...instances.filter((o) => o.code !== OVERLOAD), ...fromFields]),
    fileHoldsOptions,
    snameHoldsOptions,
  };
}

function readArea(r: PacketReader, out: DecodedDhcpv4Option[]): void {
  while (r.remaining > 0) {
    const at = r.offset;
    const code = r.u8("option code");
    if (code === PAD) continue;
    // After End comes padding, whatever its bytes. A field that ends without End ends its options too
    // (dhclient and dnsmasq accept that; RFC 2131 §4.1 makes End the sender's duty).
    if (code === END) return;
    if (r.remaining === 0) r.fail(`option ${code}`, "has no length byte", at);
    const length = r.u8(`option ${code} length`);
    if (length > r.remaining)
      r.fail(`option ${code}`, `runs past the end (length ${length}, ${r.remaining} bytes left)`, at);
    out.push({ code, data: r.view(length, `option ${code}`), offset: at });
  }
}

/** One option per code, in the order codes first appear, data joined (RFC 3396). */
function concatenate(instances: readonly DecodedDhcpv4Option[]): DecodedDhcpv4Option[] {
  const byCode = new Map<number, DecodedDhcpv4Option[]>();
  for (const o of instances) {
    const list = byCode.get(o.code);
    if (list === undefined) byCode.set(o.code, [o]);
    else list.push(o);
  }
  return [...byCode.values()].map((list) => ({
    code: list[0]!.code,
    data: Buffer.concat(list.map((o) => o.data)),
    offset: list[0]!.offset,
  }));
}

/** Writes `options` in order, each split into instances of at most 255 bytes, then End. */
export function writeOptions(w: PacketWriter, options: readonly Dhcpv4Option[]): void {
  writeInstances(w, options);
  w.u8(END);
}

/**
 * Options as DHCP frames them (RFC 3396 instances, no End): a block that becomes part of a message
 * later — the agent carries a lease's options so in its flows.
 */
export function encodeDhcpv4OptionList(options: readonly Dhcpv4Option[]): Buffer {
  const w = new PacketWriter(256);
  writeInstances(w, options);
  return w.finish();
}

/** The options of such a block, one per code with its instances joined; PacketDecodeError if malformed. */
export function decodeDhcpv4OptionList(bytes: Uint8Array): DecodedDhcpv4Option[] {
  const instances: DecodedDhcpv4Option[] = [];
  readArea(new PacketReader(bytes, LAYER), instances);
  return concatenate(instances);
}

function writeInstances(w: PacketWriter, options: readonly Dhcpv4Option[]): void {
  const seen = new Set<number>();
  options.forEach((option, i) => {
    const field = `dhcpv4.options[${i}]`;
    checkRange(`${field}.code`, option.code, 1, 254);
    if (option.code === OVERLOAD)
      throw new InvalidArgumentError(
        `${field}.code`,
        "52 (overload) is the encoder's to place, and it never overloads",
      );
    // Two options of one code would be read back as one (RFC 3396).
    if (seen.has(option.code))
      throw new InvalidArgumentError(`${field}.code`, `option ${option.code} is given twice`);
    seen.add(option.code);
    let at = 0;
    do {
      const chunk = option.data.subarray(at, at + 255);
      w.u8(option.code).u8(chunk.length).bytes(chunk);
      at += 255;
    } while (at < option.data.length);
  });
}
