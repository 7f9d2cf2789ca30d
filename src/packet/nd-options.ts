/**
 * Neighbor Discovery options (RFC 4861 §4.6): type, length in units of 8 bytes (never 0), data.
 * Typed: source and target link-layer address (§4.6.1, Ethernet's as RFC 2464 §6 lays it out), prefix
 * information (§4.6.2), MTU (§4.6.4), recursive DNS servers and DNS search list (RFC 8106 §5.1, §5.2).
 * Others are kept raw, in order.
 */
import { InvalidArgumentError } from "../base/index.ts";
import { encodeDomainName, readDomainName } from "./dns-name.ts";
import { checkUint } from "./field-checks.ts";
import { formatIpv6, parseIpv6 } from "./ipv6-address.ts";
import { formatMac, parseMac } from "./mac-address.ts";
import { formatPrefix, maskTo, parsePrefix } from "./prefix.ts";
import type { PacketReader } from "./reader.ts";
import { PacketWriter } from "./writer.ts";

export const NdOptionType = {
  sourceLinkLayerAddress: 1,
  targetLinkLayerAddress: 2,
  prefixInformation: 3,
  mtu: 5,
  recursiveDnsServers: 25,
  dnsSearchList: 31,
} as const;

export type NdOption =
  | { readonly kind: "sourceLinkLayerAddress"; readonly address: string }
  | { readonly kind: "targetLinkLayerAddress"; readonly address: string }
  | {
      readonly kind: "prefixInformation";
      /** CIDR text; bits past the length are cleared on decode (§4.6.2: "ignored by the receiver"). */
      readonly prefix: string;
      /** L: the prefix is on this link. */
      readonly onLink: boolean;
      /** A: hosts may form addresses in it (SLAAC, RFC 4862 §5.5.3). */
      readonly autonomous: boolean;
      /** Seconds; 0xffffffff is infinite. */
      readonly validLifetime: number;
      readonly preferredLifetime: number;
    }
  | { readonly kind: "mtu"; readonly mtu: number }
  | { readonly kind: "recursiveDnsServers"; readonly lifetime: number; readonly servers: readonly string[] }
  | { readonly kind: "dnsSearchList"; readonly lifetime: number; readonly domains: readonly string[] }
  /** `data` is what follows the type and length bytes. */
  | { readonly kind: "raw"; readonly type: number; readonly data: Uint8Array };

const typedTypes: ReadonlySet<number> = new Set(Object.values(NdOptionType));

const ON_LINK = 0x80;
const AUTONOMOUS = 0x40;

/** The options from `r`'s position to its end. */
export function readNdOptions(r: PacketReader): NdOption[] {
  const out: NdOption[] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    const type = r.u8("option type");
    const units = r.u8(`option ${type} length`);
    if (units === 0) r.fail(`option ${type}`, "has length 0, which RFC 4861 §4.6 forbids", at);
    if (units * 8 - 2 > r.remaining)
      r.fail(`option ${type}`, `runs past the end (length ${units * 8}, ${r.remaining + 2} bytes left)`, at);
    out.push(readOption(r.sub(units * 8 - 2, `option ${type}`), type, units, at));
  }
  return out;
}

function readOption(r: PacketReader, type: number, units: number, at: number): NdOption {
  const field = `option ${type}`;
  const exactly = (n: number) => {
    if (units !== n) r.fail(field, `has length ${units * 8}, must be ${n * 8}`, at);
  };
  switch (type) {
    case NdOptionType.sourceLinkLayerAddress:
    case NdOptionType.targetLinkLayerAddress: {
      exactly(1);
      const address = formatMac(r.view(6, "link-layer address"));
      return type === NdOptionType.sourceLinkLayerAddress
        ? { kind: "sourceLinkLayerAddress", address }
        : { kind: "targetLinkLayerAddress", address };
    }
    case NdOptionType.prefixInformation: {
      exactly(4);
      const length = r.u8("prefix length");
      if (length > 128) r.fail("prefix length", `is ${length}, at most 128`, at + 2);
      const flags = r.u8("prefix flags");
      const validLifetime = r.u32("valid lifetime");
      const preferredLifetime = r.u32("preferred lifetime");
      r.skip(4, "reserved");
      const prefix = formatPrefix(maskTo(r.view(16, "prefix"), length), length);
      const onLink = (flags & ON_LINK) !== 0;
      return {
        kind: "prefixInformation",
        prefix,
        onLink,
        autonomous: (flags & AUTONOMOUS) !== 0,
        validLifetime,
        preferredLifetime,
      };
    }
    case NdOptionType.mtu:
      exactly(1);
      r.skip(2, "reserved");
      return { kind: "mtu", mtu: r.u32("MTU") };
    case NdOptionType.recursiveDnsServers: {
      if (units < 3 || units % 2 === 0)
        r.fail(field, `has length ${units * 8}, must be 8 + 16 × n for n ≥ 1 (RFC 8106 §5.1)`, at);
      r.skip(2, "reserved");
      const lifetime = r.u32("lifetime");
      const servers: string[] = [];
      while (r.remaining > 0) servers.push(formatIpv6(r.view(16, "DNS server")));
      return { kind: "recursiveDnsServers", lifetime, servers };
    }
    case NdOptionType.dnsSearchList: {
      if (units < 2) r.fail(field, `has length ${units * 8}, must be at least 16 (RFC 8106 §5.2)`, at);
      r.skip(2, "reserved");
      const lifetime = r.u32("lifetime");
      const domains: string[] = [];
      // The names are followed by zeros up to the option's end.
      while (r.remaining > 0 && r.peek(r.offset) !== 0)
        domains.push(readDomainName(r, `${field} domain ${domains.length + 1}`));
      const padding = r.view(r.remaining, "padding");
      if (domains.length === 0) r.fail(field, "holds no domain name", at);
      if (padding.some((b) => b !== 0)) r.fail(field, "has padding that is not zeros", at);
      return { kind: "dnsSearchList", lifetime, domains };
    }
    default:
      return { kind: "raw", type, data: r.copy(r.remaining, `${field} data`) };
  }
}

export function writeNdOptions(w: PacketWriter, options: readonly NdOption[], field: string): void {
  options.forEach((option, i) => {
    const f = `${field}[${i}]`;
    const body = new PacketWriter(64);
    const type = writeBody(body, option, f);
    const data = body.finish();
    // Bodies are padded to a multiple of 8 bytes with the type and length (§4.6: zeros).
    const units = Math.ceil((data.length + 2) / 8);
    if (units > 255) throw new InvalidArgumentError(f, `is ${data.length + 2} bytes, at most 2040 fit`);
    w.u8(type)
      .u8(units)
      .bytes(data)
      .zeros(units * 8 - 2 - data.length);
  });
}

function writeBody(w: PacketWriter, option: NdOption, field: string): number {
  switch (option.kind) {
    case "sourceLinkLayerAddress":
      w.bytes(parseMac(option.address, `${field}.address`));
      return NdOptionType.sourceLinkLayerAddress;
    case "targetLinkLayerAddress":
      w.bytes(parseMac(option.address, `${field}.address`));
      return NdOptionType.targetLinkLayerAddress;
    case "prefixInformation": {
      const { address, length } = parsePrefix(option.prefix, 6, `${field}.prefix`);
      const valid = checkUint(`${field}.validLifetime`, option.validLifetime, 32);
      const preferred = checkUint(`${field}.preferredLifetime`, option.preferredLifetime, 32);
      // RFC 4862 §5.5.3 (c): a host ignores a prefix preferred for longer than it is valid.
      if (preferred > valid)
        throw new InvalidArgumentError(
          `${field}.preferredLifetime`,
          `${preferred} is longer than validLifetime ${valid}`,
        );
      w.u8(length)
        .u8((option.onLink ? ON_LINK : 0) | (option.autonomous ? AUTONOMOUS : 0))
        .u32(valid)
        .u32(preferred)
        .zeros(4)
        .bytes(address);
      return NdOptionType.prefixInformation;
    }
    case "mtu":
      // RFC 8200 §5: IPv6 links carry at least 1280 bytes.
      if (option.mtu < 1280 || !Number.isInteger(option.mtu) || option.mtu > 0xffffffff)
        throw new InvalidArgumentError(
          `${field}.mtu`,
          `must be a whole number of at least 1280, got ${option.mtu}`,
        );
      w.zeros(2).u32(option.mtu);
      return NdOptionType.mtu;
    case "recursiveDnsServers":
      if (option.servers.length === 0)
        throw new InvalidArgumentError(`${field}.servers`, "must hold at least one address");
      w.zeros(2).u32(checkUint(`${field}.lifetime`, option.lifetime, 32));
      option.servers.forEach((s, i) => {
        w.bytes(parseIpv6(s, `${field}.servers[${i}]`));
      });
      return NdOptionType.recursiveDnsServers;
    case "dnsSearchList":
      if (option.domains.length === 0)
        throw new InvalidArgumentError(`${field}.domains`, "must hold at least one name");
      w.zeros(2).u32(checkUint(`${field}.lifetime`, option.lifetime, 32));
      option.domains.forEach((d, i) => {
        w.bytes(encodeDomainName(`${field}.domains[${i}]`, d));
      });
      return NdOptionType.dnsSearchList;
    case "raw":
      checkUint(`${field}.type`, option.type, 8);
      if (option.type === 0) throw new InvalidArgumentError(`${field}.type`, "0 is reserved");
      // A typed option sent raw would decode as its type: one form per option keeps round trips exact.
      if (typedTypes.has(option.type))
        throw new InvalidArgumentError(`${field}.type`, `option ${option.type} has a typed form; use it`);
      if ((option.data.length + 2) % 8 !== 0)
        throw new InvalidArgumentError(
          `${field}.data`,
          "must make the option a multiple of 8 bytes with its type and length",
        );
      w.bytes(option.data);
      return option.type;
  }
}

/** The first option of `kind`, typed. */
export function findNdOption<K extends NdOption["kind"]>(
  options: readonly NdOption[],
  kind: K,
): Extract<NdOption, { kind: K }> | undefined {
  return options.find((o): o is Extract<NdOption, { kind: K }> => o.kind === kind);
}
