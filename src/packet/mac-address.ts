/** Ethernet MAC addresses: six bytes on the wire, `02:77:65:69:72:01` (lower case, colons) as text. */
import { InvalidArgumentError } from "../base/index.ts";

export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(":");
}

/** Six bytes from `aa:bb:cc:dd:ee:ff` (either case); anything else is refused. */
export function parseMac(text: string, field = "mac"): Buffer {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(text))
    throw new InvalidArgumentError(
      field,
      `must be a MAC address like 02:00:00:00:00:01, got ${JSON.stringify(text)}`,
    );
  return Buffer.from(text.replaceAll(":", ""), "hex");
}
