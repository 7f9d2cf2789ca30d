/**
 * DHCP Unique Identifiers (RFC 8415 §11): kept as the bytes the client sent, since a server only compares
 * them; `parseDuid` says what is inside one, and `duidLinkLayer` makes a server's own DUID-LL from its MAC.
 */
import { InvalidArgumentError } from "../base/index.ts";
import { formatMac, parseMac } from "./mac-address.ts";
import { PacketReader } from "./reader.ts";

export const DuidType = { linkLayerPlusTime: 1, enterpriseNumber: 2, linkLayer: 3, uuid: 4 } as const;

/** Ethernet's hardware type (IANA "Hardware Types", shared with ARP). */
const ETHERNET = 1;

/** §11.1: at most 128 bytes after the 2-byte type code. */
export const MAX_DUID_LENGTH = 130;

export type ParsedDuid =
  | {
      readonly type: "llt";
      readonly hardwareType: number;
      readonly time: number;
      readonly linkLayerAddress: string;
    }
  | { readonly type: "en"; readonly enterpriseNumber: number; readonly identifier: Buffer }
  | { readonly type: "ll"; readonly hardwareType: number; readonly linkLayerAddress: string }
  | { readonly type: "uuid"; readonly uuid: Buffer }
  | { readonly type: "other"; readonly code: number; readonly body: Buffer };

/** DUID-LL (§11.4) of an Ethernet MAC: type 3, hardware type 1, the six bytes. */
export function duidLinkLayer(mac: string): Buffer {
  const out = Buffer.alloc(10);
  out.writeUInt16BE(DuidType.linkLayer, 0);
  out.writeUInt16BE(ETHERNET, 2);
  parseMac(mac, "duid mac").copy(out, 4);
  return out;
}

/**
 * What a DUID holds. Link-layer addresses are shown as MACs when six bytes (Ethernet's), in hex
 * otherwise. Throws PacketDecodeError (layer "duid") when too short for its type.
 */
export function parseDuid(duid: Uint8Array): ParsedDuid {
  const r = new PacketReader(duid, "duid");
  const code = r.u16("type");
  const address = (bytes: Buffer) => (bytes.length === 6 ? formatMac(bytes) : bytes.toString("hex"));
  switch (code) {
    case DuidType.linkLayerPlusTime: {
      // §11.2: hardware type, time (seconds since 2000-01-01 UTC, mod 2^32), address.
      const hardwareType = r.u16("hardware type");
      const time = r.u32("time");
      return {
        type: "llt",
        hardwareType,
        time,
        linkLayerAddress: address(nonEmpty(r, "link-layer address")),
      };
    }
    case DuidType.enterpriseNumber:
      return {
        type: "en",
        enterpriseNumber: r.u32("enterprise number"),
        identifier: nonEmpty(r, "identifier"),
      };
    case DuidType.linkLayer: {
      const hardwareType = r.u16("hardware type");
      return { type: "ll", hardwareType, linkLayerAddress: address(nonEmpty(r, "link-layer address")) };
    }
    case DuidType.uuid: {
      // RFC 6355 §4: exactly 16 bytes of UUID.
      if (r.remaining !== 16) r.fail("UUID", `is ${r.remaining} bytes, must be 16 (RFC 6355 §4)`);
      return { type: "uuid", uuid: r.copy(16, "UUID") };
    }
    default:
      return { type: "other", code, body: r.copy(r.remaining, "body") };
  }
}

function nonEmpty(r: PacketReader, field: string): Buffer {
  if (r.remaining === 0) r.fail(field, "is missing");
  return r.copy(r.remaining, field);
}

export function checkDuid(field: string, duid: Uint8Array): Uint8Array {
  if (duid.length < 3 || duid.length > MAX_DUID_LENGTH)
    throw new InvalidArgumentError(
      field,
      `is ${duid.length} bytes, a DUID has 3 to ${MAX_DUID_LENGTH} (RFC 8415 §11.1)`,
    );
  return duid;
}
