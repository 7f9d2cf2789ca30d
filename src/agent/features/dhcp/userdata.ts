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
import { type Dhcpv4Option, encodeClasslessRoutes, formatMac, parseMac } from "../../../packet/index.ts";
import type { DhcpOptionValue } from "./extra-options.ts";
import type { Lease } from "./lease.ts";

const VERSION = 1;

// Addresses in the layout: dotted quads as four bytes (the lease's values were checked by the server).
const parseIpv4 = (ip: string) => Buffer.from(ip.split(".").map(Number));
const formatIpv4 = (b: Uint8Array) => [...b].join(".");
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
  const options = [...lease.options].map(([code, value]) => ({ code, data: optionData(value) }));
  const tlvs: Buffer[] = [];
  for (const { code, data } of options) {
    // RFC 3396: data over 255 bytes goes in consecutive instances of the code.
    for (let at = 0; at === 0 || at < data.length; at += 255) {
      const chunk = data.subarray(at, at + 255);
      tlvs.push(Buffer.from([code, chunk.length]), chunk);
    }
  }
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
  return Buffer.concat([fixed, ...tlvs]);
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
  const byCode = new Map<number, Buffer[]>();
  for (let at = FIXED; at < b.length; ) {
    if (at + 2 > b.length || at + 2 + b[at + 1]! > b.length)
      throw new InvalidArgumentError("dhcp userdata", `option at ${at} runs past the end`);
    const code = b[at]!;
    const list = byCode.get(code) ?? [];
    list.push(b.subarray(at + 2, at + 2 + b[at + 1]!));
    byCode.set(code, list);
    at += 2 + b[at + 1]!;
  }
  return {
    clientMac: formatMac(b.subarray(2, 8)),
    address: formatIpv4(b.subarray(8, 12)),
    prefixLength: b[12]!,
    serverIp: formatIpv4(b.subarray(13, 17)),
    serverMac: formatMac(b.subarray(17, 23)),
    leaseSeconds: b.readUInt32BE(23),
    nextServer: formatIpv4(b.subarray(27, 31)),
    options: [...byCode].map(([code, parts]) => ({ code, data: Buffer.concat(parts) })),
  };
}
