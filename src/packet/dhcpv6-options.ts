/**
 * DHCPv6 options (RFC 8415 §21): a 16-bit code and length, then the data; IA_NA and IAADDR hold options
 * of their own. The options a server needs are typed; any other code is kept raw, in order, so a
 * message decodes and encodes back to the same bytes.
 */
import { isUtf8 } from "node:buffer";
import { InvalidArgumentError } from "../base/index.ts";
import { encodeDomainName, readDomainName } from "./dns-name.ts";
import { checkDuid, MAX_DUID_LENGTH } from "./duid.ts";
import { checkUint } from "./field-checks.ts";
import { formatIpv6, parseIpv6 } from "./ipv6-address.ts";
import type { PacketReader } from "./reader.ts";
import { PacketWriter } from "./writer.ts";

export const Dhcpv6OptionCode = {
  clientId: 1,
  serverId: 2,
  iaNa: 3,
  iaAddress: 5,
  optionRequest: 6,
  elapsedTime: 8,
  statusCode: 13,
  rapidCommit: 14,
  /** RFC 3646 §3. */
  dnsServers: 23,
  /** RFC 3646 §4. */
  domainList: 24,
  informationRefreshTime: 32,
} as const;

/** Status codes (RFC 8415 §21.13). */
export const Dhcpv6Status = {
  success: 0,
  unspecFail: 1,
  noAddrsAvail: 2,
  noBinding: 3,
  notOnLink: 4,
  useMulticast: 5,
  noPrefixAvail: 6,
} as const;

export type Dhcpv6Option =
  | { readonly kind: "clientId"; readonly duid: Uint8Array }
  | { readonly kind: "serverId"; readonly duid: Uint8Array }
  | {
      /** §21.4: T1 and T2 in seconds; its options are IAADDRs and a status code. */
      readonly kind: "iaNa";
      readonly iaid: number;
      readonly t1: number;
      readonly t2: number;
      readonly options: readonly Dhcpv6Option[];
    }
  | {
      /** §21.6, only inside an IA_NA. Lifetimes in seconds, 0xffffffff infinite. */
      readonly kind: "iaAddress";
      readonly address: string;
      readonly preferredLifetime: number;
      readonly validLifetime: number;
      readonly options: readonly Dhcpv6Option[];
    }
  | { readonly kind: "optionRequest"; readonly codes: readonly number[] }
  /** §21.9: hundredths of a second since the client began, 0xffff for longer. */
  | { readonly kind: "elapsedTime"; readonly hundredths: number }
  | { readonly kind: "statusCode"; readonly status: number; readonly message: string }
  | { readonly kind: "rapidCommit" }
  | { readonly kind: "dnsServers"; readonly servers: readonly string[] }
  | { readonly kind: "domainList"; readonly domains: readonly string[] }
  /** §21.23: seconds. */
  | { readonly kind: "informationRefreshTime"; readonly seconds: number }
  | { readonly kind: "raw"; readonly code: number; readonly data: Uint8Array };

export type Dhcpv6OptionKind = Dhcpv6Option["kind"];

/** Where an option list is: a message's top level, or inside an IA_NA or an IAADDR (§21.4, §21.6). */
type Place = "message" | "iaNa" | "iaAddress";

const typedCodes: ReadonlySet<number> = new Set(Object.values(Dhcpv6OptionCode));

/** The options of `r` to its end. */
export function readDhcpv6Options(r: PacketReader, place: Place = "message"): Dhcpv6Option[] {
  const out: Dhcpv6Option[] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    const code = r.u16("option code");
    const length = r.u16(`option ${code} length`);
    if (length > r.remaining)
      r.fail(`option ${code}`, `runs past the end (length ${length}, ${r.remaining} bytes left)`, at);
    const option = readOption(r.sub(length, `option ${code}`), code, at);
    if (!allowedIn(place, option.kind))
      r.fail(
        `option ${code}`,
        `may not appear ${place === "message" ? "outside an IA_NA" : `inside ${placeName[place]}`}`,
        at,
      );
    out.push(option);
  }
  return out;
}

const placeName = { message: "a message", iaNa: "an IA_NA", iaAddress: "an IAADDR" } as const;

function allowedIn(place: Place, kind: Dhcpv6OptionKind): boolean {
  if (place === "message") return kind !== "iaAddress";
  return kind === "statusCode" || kind === "raw" || (place === "iaNa" && kind === "iaAddress");
}

function readOption(r: PacketReader, code: number, at: number): Dhcpv6Option {
  const field = `option ${code}`;
  const exactly = (n: number) => {
    if (r.remaining !== n) r.fail(field, `has length ${r.remaining}, must be ${n}`, at);
  };
  const atLeast = (n: number) => {
    if (r.remaining < n) r.fail(field, `has length ${r.remaining}, must be at least ${n}`, at);
  };
  switch (code) {
    case Dhcpv6OptionCode.clientId:
    case Dhcpv6OptionCode.serverId: {
      if (r.remaining < 3 || r.remaining > MAX_DUID_LENGTH)
        r.fail(
          field,
          `has a DUID of ${r.remaining} bytes, must be 3 to ${MAX_DUID_LENGTH} (RFC 8415 §11.1)`,
          at,
        );
      const duid = r.copy(r.remaining, `${field} DUID`);
      return code === Dhcpv6OptionCode.clientId ? { kind: "clientId", duid } : { kind: "serverId", duid };
    }
    case Dhcpv6OptionCode.iaNa: {
      atLeast(12);
      const iaid = r.u32("IAID");
      const t1 = r.u32("T1");
      const t2 = r.u32("T2");
      return { kind: "iaNa", iaid, t1, t2, options: readDhcpv6Options(r, "iaNa") };
    }
    case Dhcpv6OptionCode.iaAddress: {
      atLeast(24);
      const address = formatIpv6(r.view(16, "IAADDR address"));
      const preferredLifetime = r.u32("preferred lifetime");
      const validLifetime = r.u32("valid lifetime");
      return {
        kind: "iaAddress",
        address,
        preferredLifetime,
        validLifetime,
        options: readDhcpv6Options(r, "iaAddress"),
      };
    }
    case Dhcpv6OptionCode.optionRequest: {
      if (r.remaining % 2 !== 0) r.fail(field, `has length ${r.remaining}, must be even`, at);
      const codes: number[] = [];
      while (r.remaining > 0) codes.push(r.u16("requested option code"));
      return { kind: "optionRequest", codes };
    }
    case Dhcpv6OptionCode.elapsedTime:
      exactly(2);
      return { kind: "elapsedTime", hundredths: r.u16("elapsed time") };
    case Dhcpv6OptionCode.statusCode: {
      atLeast(2);
      const status = r.u16("status code");
      const text = r.view(r.remaining, "status message");
      if (!isUtf8(text)) r.fail(field, "has a status message that is not UTF-8 (RFC 8415 §21.13)", at);
      return { kind: "statusCode", status, message: text.toString("utf8") };
    }
    case Dhcpv6OptionCode.rapidCommit:
      exactly(0);
      return { kind: "rapidCommit" };
    case Dhcpv6OptionCode.dnsServers: {
      if (r.remaining === 0 || r.remaining % 16 !== 0)
        r.fail(field, `has length ${r.remaining}, must be a positive multiple of 16`, at);
      const servers: string[] = [];
      while (r.remaining > 0) servers.push(formatIpv6(r.view(16, "DNS server")));
      return { kind: "dnsServers", servers };
    }
    case Dhcpv6OptionCode.domainList: {
      atLeast(1);
      const domains: string[] = [];
      while (r.remaining > 0) domains.push(readDomainName(r, `${field} domain ${domains.length + 1}`));
      return { kind: "domainList", domains };
    }
    case Dhcpv6OptionCode.informationRefreshTime:
      exactly(4);
      return { kind: "informationRefreshTime", seconds: r.u32("information refresh time") };
    default:
      return { kind: "raw", code, data: r.copy(r.remaining, `${field} data`) };
  }
}

export function writeDhcpv6Options(
  w: PacketWriter,
  options: readonly Dhcpv6Option[],
  field: string,
  place: Place = "message",
): void {
  options.forEach((option, i) => {
    const f = `${field}[${i}]`;
    if (!allowedIn(place, option.kind))
      throw new InvalidArgumentError(f, `a ${option.kind} option may not appear inside ${placeName[place]}`);
    const body = new PacketWriter(64);
    const code = writeBody(body, option, f);
    const data = body.finish();
    if (data.length > 0xffff)
      throw new InvalidArgumentError(f, `is ${data.length} bytes, at most 65,535 fit`);
    w.u16(code).u16(data.length).bytes(data);
  });
}

/** Writes the option's data; returns its code. */
function writeBody(w: PacketWriter, option: Dhcpv6Option, field: string): number {
  switch (option.kind) {
    case "clientId":
      w.bytes(checkDuid(`${field}.duid`, option.duid));
      return Dhcpv6OptionCode.clientId;
    case "serverId":
      w.bytes(checkDuid(`${field}.duid`, option.duid));
      return Dhcpv6OptionCode.serverId;
    case "iaNa":
      w.u32(checkUint(`${field}.iaid`, option.iaid, 32))
        .u32(checkUint(`${field}.t1`, option.t1, 32))
        .u32(checkUint(`${field}.t2`, option.t2, 32));
      writeDhcpv6Options(w, option.options, `${field}.options`, "iaNa");
      return Dhcpv6OptionCode.iaNa;
    case "iaAddress":
      w.bytes(parseIpv6(option.address, `${field}.address`))
        .u32(checkUint(`${field}.preferredLifetime`, option.preferredLifetime, 32))
        .u32(checkUint(`${field}.validLifetime`, option.validLifetime, 32));
      writeDhcpv6Options(w, option.options, `${field}.options`, "iaAddress");
      return Dhcpv6OptionCode.iaAddress;
    case "optionRequest":
      option.codes.forEach((c, i) => {
        w.u16(checkUint(`${field}.codes[${i}]`, c, 16));
      });
      return Dhcpv6OptionCode.optionRequest;
    case "elapsedTime":
      w.u16(checkUint(`${field}.hundredths`, option.hundredths, 16));
      return Dhcpv6OptionCode.elapsedTime;
    case "statusCode":
      if (!option.message.isWellFormed())
        throw new InvalidArgumentError(`${field}.message`, "is not well-formed Unicode");
      w.u16(checkUint(`${field}.status`, option.status, 16)).bytes(Buffer.from(option.message, "utf8"));
      return Dhcpv6OptionCode.statusCode;
    case "rapidCommit":
      return Dhcpv6OptionCode.rapidCommit;
    case "dnsServers":
      if (option.servers.length === 0)
        throw new InvalidArgumentError(`${field}.servers`, "must hold at least one address");
      option.servers.forEach((s, i) => {
        w.bytes(parseIpv6(s, `${field}.servers[${i}]`));
      });
      return Dhcpv6OptionCode.dnsServers;
    case "domainList":
      if (option.domains.length === 0)
        throw new InvalidArgumentError(`${field}.domains`, "must hold at least one name");
      option.domains.forEach((d, i) => {
        w.bytes(encodeDomainName(`${field}.domains[${i}]`, d));
      });
      return Dhcpv6OptionCode.domainList;
    case "informationRefreshTime":
      w.u32(checkUint(`${field}.seconds`, option.seconds, 32));
      return Dhcpv6OptionCode.informationRefreshTime;
    case "raw":
      checkUint(`${field}.code`, option.code, 16);
      // A typed code sent raw would decode as its type: one byte form per option (canonical round trips).
      if (typedCodes.has(option.code))
        throw new InvalidArgumentError(`${field}.code`, `option ${option.code} has a typed form; use it`);
      w.bytes(option.data);
      return option.code;
  }
}

/** The first option of `kind` in `options`, typed. */
export function findDhcpv6Option<K extends Dhcpv6OptionKind>(
  options: readonly Dhcpv6Option[],
  kind: K,
): Extract<Dhcpv6Option, { kind: K }> | undefined {
  return options.find((o): o is Extract<Dhcpv6Option, { kind: K }> => o.kind === kind);
}
