/**
 * A lease as its punt flow carries it (controller userdata), so that answering needs the packet only:
 *
 *   0     version (1)            1     family (4)
 *   2–7   the client's MAC       8–11  its address (yiaddr)    12  its prefix length
 *   13–16 server identifier      17–22 server MAC              23–26 lease seconds (0xffffffff: infinite)
 *   27–30 siaddr (next server, 0.0.0.0: none)
 *   31–   the options as DHCP encodes them (code, length, data; no End), sent as they are
 *
 * A new layout gets a new version; the responder refuses one it does not know (the flows of a newer
 * agent, left behind by a downgrade, are replaced by this run's swap).
 */
import { InvalidArgumentError } from "../../../base/index.ts";
import {
  type Dhcpv4Option,
  decodeDhcpv4OptionList,
  encodeClasslessRoutes,
  encodeDhcpv4OptionList,
  formatIpv4,
  formatMac,
  PacketDecodeError,
  parseIpv4,
  parseMac,
} from "../../../packet/index.ts";
import type { DhcpOptionValue } from "./extra-options.ts";
import type { Lease } from "./lease.ts";

const VERSION = 1;

const FIXED = 31;

/** One option's data, as its type writes it (RFC 2132 §2; RFC 3442 §3 for classless routes). */
export function optionData(value: DhcpOptionValue): Buffer {
  switch (value.kind) {
    case "ips":
      return Buffer.concat(value.ips.map((ip) => parseIpv4(ip)));
    case "text":
      return Buffer.from(value.text, "utf8");
    case "u8":
      return Buffer.from([value.value]);
    case "u16": {
      const b = Buffer.alloc(2);
      b.writeUInt16BE(value.value);
      return b;
    }
    case "u32": {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(value.value);
      return b;
    }
    case "domains":
      // RFC 3397: names in DNS wire format, uncompressed.
      return Buffer.concat(
        value.domains.map((d) =>
          Buffer.concat([
            ...d
              .replace(/\.$/, "")
              .split(".")
              .filter(Boolean)
              .map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, "ascii")])),
            Buffer.from([0]),
          ]),
        ),
      );
    case "routes":
      return encodeClasslessRoutes("classless static routes", value.routes);
  }
}

export function encodeLease(lease: Lease): Buffer {
  const options = encodeDhcpv4OptionList(
    [...lease.options].map(([code, value]) => ({ code, data: optionData(value) })),
  );
  const fixed = Buffer.alloc(FIXED);
  fixed[0] = VERSION;
  fixed[1] = 4;
  parseMac(lease.clientMac).copy(fixed, 2);
  parseIpv4(lease.address).copy(fixed, 8);
  fixed[12] = lease.prefixLength;
  parseIpv4(lease.serverIp).copy(fixed, 13);
  parseMac(lease.serverMac).copy(fixed, 17);
  fixed.writeUInt32BE(lease.leaseSeconds < 0 ? 0xffffffff : lease.leaseSeconds, 23);
  parseIpv4(lease.nextServer ?? "0.0.0.0").copy(fixed, 27);
  return Buffer.concat([fixed, options]);
}

export interface CarriedLease {
  readonly clientMac: string;
  readonly address: string;
  readonly prefixLength: number;
  readonly serverIp: string;
  readonly serverMac: string;
  /** 0xffffffff: infinite (as option 51 says it). */
  readonly leaseSeconds: number;
  readonly nextServer: string;
  readonly options: readonly Dhcpv4Option[];
}

/** The lease a punt carried; throws InvalidArgumentError for bytes that are not a lease of this layout. */
export function decodeLease(bytes: Uint8Array): CarriedLease {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (b.length < FIXED || b[0] !== VERSION || b[1] !== 4)
    throw new InvalidArgumentError(
      "dhcp userdata",
      `not a version ${VERSION} IPv4 lease (${b.length} bytes)`,
    );
  let options: Dhcpv4Option[];
  try {
    options = decodeDhcpv4OptionList(b.subarray(FIXED));
  } catch (error) {
    if (error instanceof PacketDecodeError) throw new InvalidArgumentError("dhcp userdata", error.message);
    throw error;
  }
  return {
    clientMac: formatMac(b.subarray(2, 8)),
    address: formatIpv4(b.subarray(8, 12)),
    prefixLength: b[12]!,
    serverIp: formatIpv4(b.subarray(13, 17)),
    serverMac: formatMac(b.subarray(17, 23)),
    leaseSeconds: b.readUInt32BE(23),
    nextServer: formatIpv4(b.subarray(27, 31)),
    options,
  };
}
