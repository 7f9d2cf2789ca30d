import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidArgumentError } from "../../src/base/index.ts";
import {
  buildDhcpv6Frame,
  type Dhcpv6Message,
  decodeDhcpv6,
  decodeFrame,
  duidLinkLayer,
  encodeDhcpv6,
  findDhcpv6Option,
  parseDuid,
} from "../../src/packet/index.ts";
import { assertMalformed } from "./assert-decode.ts";
import { dhcpv6Of, hex, samples } from "./samples.ts";

/** dhclient's DUID-LLT: type 1, hardware type 1, time 0x32a3d2f2, its MAC. */
const clientDuid = hex("0001 0001 32a3d2f2 027765697201");
/** dnsmasq's, made eight seconds earlier on the other end of the veth. */
const serverDuid = hex("0001 0001 32a3d2ea 027765697202");
const iaid = 0x65697201;
const address = "2001:db8:1::1dc";
const success = { kind: "statusCode", status: 0, message: "success" } as const;

test("dhclient's SOLICIT: client id, the option request, elapsed time, an empty IA_NA with its T1 and T2", () => {
  assert.deepEqual(decodeDhcpv6(dhcpv6Of(samples.solicit)), {
    messageType: 1,
    transactionId: 0x763a28,
    options: [
      { kind: "clientId", duid: clientDuid },
      // DNS servers, domain list, client FQDN (39, RFC 4704), DNS search list's RA twin (31).
      { kind: "optionRequest", codes: [23, 24, 39, 31] },
      { kind: "elapsedTime", hundredths: 0 },
      { kind: "iaNa", iaid, t1: 3600, t2: 5400, options: [] },
    ],
  });
});

test("dnsmasq's ADVERTISE: an address in the IA_NA, status, preference kept raw, domain list, DNS", () => {
  assert.deepEqual(decodeDhcpv6(dhcpv6Of(samples.advertise)), {
    messageType: 2,
    transactionId: 0x763a28,
    options: [
      { kind: "clientId", duid: clientDuid },
      { kind: "serverId", duid: serverDuid },
      {
        kind: "iaNa",
        iaid,
        t1: 21600,
        t2: 37800,
        options: [
          { kind: "iaAddress", address, preferredLifetime: 43200, validLifetime: 43200, options: [] },
        ],
      },
      success,
      { kind: "raw", code: 7, data: hex("00") },
      { kind: "domainList", domains: ["example.test"] },
      { kind: "dnsServers", servers: ["2001:db8:1::53"] },
    ],
  });
});

test("the REQUEST asks for the advertised address; the REPLY grants it for 7200/7500 s", () => {
  const request = decodeDhcpv6(dhcpv6Of(samples.request6));
  assert.deepEqual([request.messageType, request.transactionId], [3, 0x72c2b3]);
  assert.deepEqual(findDhcpv6Option(request.options, "serverId"), { kind: "serverId", duid: serverDuid });
  const reply = decodeDhcpv6(dhcpv6Of(samples.reply6));
  assert.deepEqual(reply, {
    messageType: 7,
    transactionId: 0x72c2b3,
    options: [
      { kind: "clientId", duid: clientDuid },
      { kind: "serverId", duid: serverDuid },
      {
        kind: "iaNa",
        iaid,
        t1: 3600,
        t2: 6300,
        options: [{ kind: "iaAddress", address, preferredLifetime: 7200, validLifetime: 7500, options: [] }],
      },
      success,
      { kind: "domainList", domains: ["example.test"] },
      { kind: "dnsServers", servers: ["2001:db8:1::53"] },
    ],
  });
});

test("the four captured messages encode back to their bytes", () => {
  for (const name of ["solicit", "advertise", "request6", "reply6"] as const) {
    const bytes = dhcpv6Of(samples[name]);
    assert.deepEqual(encodeDhcpv6(decodeDhcpv6(bytes)), bytes, name);
  }
});

test("whole reply frames: dnsmasq's ADVERTISE and REPLY rebuilt from their decoded layers", () => {
  for (const name of ["advertise", "reply6"] as const) {
    const frame = decodeFrame(samples[name]);
    assert.equal(frame.kind, "dhcpv6");
    if (frame.kind !== "dhcpv6") continue;
    const { src, dst, hopLimit, trafficClass, flowLabel } = frame.ipv6;
    const built = buildDhcpv6Frame({
      ethernet: { src: frame.ethernet.src, dst: frame.ethernet.dst },
      ipv6: { src, dst, hopLimit, trafficClass, flowLabel },
      dhcpv6: frame.dhcpv6,
    });
    assert.deepEqual(built, samples[name], name);
  }
});

test("DUIDs: what the captured ones hold, and a DUID-LL made from a MAC", () => {
  assert.deepEqual(parseDuid(clientDuid), {
    type: "llt",
    hardwareType: 1,
    time: 0x32a3d2f2,
    linkLayerAddress: "02:77:65:69:72:01",
  });
  const ll = duidLinkLayer("02:77:65:69:72:02");
  assert.deepEqual(ll, hex("0003 0001 027765697202"));
  assert.deepEqual(parseDuid(ll), { type: "ll", hardwareType: 1, linkLayerAddress: "02:77:65:69:72:02" });
  assert.deepEqual(parseDuid(hex("0002 0000a0b7 0102")), {
    type: "en",
    enterpriseNumber: 41143,
    identifier: hex("0102"),
  });
  assert.deepEqual(parseDuid(hex("0004 00112233445566778899aabbccddeeff")), {
    type: "uuid",
    uuid: hex("00112233445566778899aabbccddeeff"),
  });
  assert.deepEqual(parseDuid(hex("0009 ab")), { type: "other", code: 9, body: hex("ab") });
  assertMalformed(() => parseDuid(hex("0001 0001 32a3")), "duid: time at offset 4 needs 4 bytes, 2 left");
  assertMalformed(() => parseDuid(hex("0003 0001")), "duid: link-layer address at offset 4 is missing");
  assertMalformed(
    () => parseDuid(hex("0004 0011")),
    "duid: UUID at offset 2 is 2 bytes, must be 16 (RFC 6355 §4)",
  );
});

test("an information-request and its reply with rapid commit and the information refresh time", () => {
  const reply: Dhcpv6Message = {
    messageType: 7,
    transactionId: 0xabcdef,
    options: [
      { kind: "clientId", duid: clientDuid },
      { kind: "serverId", duid: duidLinkLayer("02:77:65:69:72:02") },
      { kind: "rapidCommit" },
      { kind: "dnsServers", servers: ["2001:db8:1::53", "2001:db8:1::54"] },
      { kind: "domainList", domains: ["example.test", "weir.example"] },
      { kind: "informationRefreshTime", seconds: 86400 },
      { kind: "statusCode", status: 0, message: "" },
    ],
  };
  const bytes = encodeDhcpv6(reply);
  assert.deepEqual(bytes.subarray(0, 4), hex("07abcdef"));
  assert.deepEqual(bytes.subarray(36, 40), hex("000e 0000"));
  assert.deepEqual(bytes.subarray(76, 80), hex("0018 001c"));
  assert.deepEqual(bytes.subarray(108), hex("0020 0004 00015180 000d 0002 0000"));
  assert.deepEqual(decodeDhcpv6(bytes), reply);
  const informationRequest = decodeDhcpv6(
    hex("0b 010203 0001000a 0003 0001 027765697201 0006 0004 0017 0018 0008 0002 ffff"),
  );
  assert.deepEqual(informationRequest.options.slice(1), [
    { kind: "optionRequest", codes: [23, 24] },
    { kind: "elapsedTime", hundredths: 0xffff },
  ]);
});

test("malformed messages and options", () => {
  const msg = (options: string, type = "01") => decodeDhcpv6(hex(`${type} 000001 ${options}`));
  assertMalformed(
    () => msg("0008 0002 00"),
    "dhcpv6: option 8 at offset 4 runs past the end (length 2, 1 bytes left)",
  );
  assertMalformed(() => msg("0008 00"), "dhcpv6: option 8 length at offset 6 needs 2 bytes, 1 left");
  assertMalformed(() => msg("0008 0003 000000"), "dhcpv6: option 8 at offset 4 has length 3, must be 2");
  assertMalformed(() => msg("0006 0003 001700"), "dhcpv6: option 6 at offset 4 has length 3, must be even");
  assertMalformed(() => msg("000e 0001 00"), "dhcpv6: option 14 at offset 4 has length 1, must be 0");
  assertMalformed(
    () => msg("0017 000f 20010db8000100000000000000000053"),
    "dhcpv6: option 23 at offset 4 has length 15, must be a positive multiple of 16",
  );
  // An IAADDR ends inside its IA_NA, not the message.
  assertMalformed(
    () =>
      msg(
        "0003 0010 65697201 00000000 00000000 0005 0018 20010db80001000000000000000001dc 0000a8c0 0000a8c0",
      ),
    "dhcpv6: option 5 at offset 20 runs past the end (length 24, 0 bytes left)",
  );
  assertMalformed(
    () => msg("0017 0004 20010db8"),
    "dhcpv6: option 23 at offset 4 has length 4, must be a positive multiple of 16",
  );
  assertMalformed(
    () => msg("0018 0002 c00c"),
    "dhcpv6: option 24 domain 1 at offset 8 has a label length byte 0xc0 (compression and extended labels are not allowed)",
  );
  assertMalformed(
    () => msg("0018 0003 036162"),
    "dhcpv6: option 24 domain 1 label at offset 9 needs 3 bytes, 2 left",
  );
  assertMalformed(
    () => msg("0018 0001 00"),
    "dhcpv6: option 24 domain 1 at offset 8 is the root alone, not a domain name",
  );
  assertMalformed(
    () => msg("0018 0003 01 2e 00"),
    "dhcpv6: option 24 domain 1 at offset 8 has a label that is not printable ASCII without dots",
  );
  assertMalformed(
    () => msg("0005 0018 20010db80001000000000000000001dc 0000a8c0 0000a8c0"),
    "dhcpv6: option 5 at offset 4 may not appear outside an IA_NA",
  );
  assertMalformed(
    () => msg("0003 0014 65697201 00000000 00000000 0001 0004 00030001"),
    "dhcpv6: option 1 at offset 20 may not appear inside an IA_NA",
  );
  assertMalformed(
    () => msg("0003 000b 65697201 00000000 000000"),
    "dhcpv6: option 3 at offset 4 has length 11, must be at least 12",
  );
  assertMalformed(
    () => msg("000d 0003 0000ff"),
    "dhcpv6: option 13 at offset 4 has a status message that is not UTF-8 (RFC 8415 §21.13)",
  );
  assertMalformed(
    () => msg("0001 0002 0001"),
    "dhcpv6: option 1 at offset 4 has a DUID of 2 bytes, must be 3 to 130 (RFC 8415 §11.1)",
  );
  assertMalformed(() => msg("0020 0002 0000"), "dhcpv6: option 32 at offset 4 has length 2, must be 4");
  assertMalformed(
    () => msg("", "0c"),
    "dhcpv6: message type at offset 0 is 12, a relay message (not decoded here)",
  );
  assertMalformed(() => msg("", "00"), "dhcpv6: message type at offset 0 is 0, which is reserved");
  assertMalformed(
    () => decodeDhcpv6(hex("0100")),
    "dhcpv6: transaction id at offset 2 needs 2 bytes, 0 left",
  );
  // A header and nothing else is a message without options.
  assert.deepEqual(msg(""), { messageType: 1, transactionId: 1, options: [] });
});

test("the encoder refuses what it cannot write", () => {
  const refused = (m: Dhcpv6Message, field: string) =>
    assert.throws(
      () => encodeDhcpv6(m),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
      field,
    );
  const base = { messageType: 7, transactionId: 1, options: [] };
  refused({ ...base, transactionId: 0x1000000 }, "dhcpv6.transactionId");
  refused({ ...base, messageType: 13 }, "dhcpv6.messageType");
  refused({ ...base, options: [{ kind: "clientId", duid: hex("0001") }] }, "dhcpv6.options[0].duid");
  refused(
    {
      ...base,
      options: [{ kind: "iaAddress", address, preferredLifetime: 1, validLifetime: 1, options: [] }],
    },
    "dhcpv6.options[0]",
  );
  refused(
    { ...base, options: [{ kind: "iaNa", iaid, t1: 0, t2: 0, options: [{ kind: "rapidCommit" }] }] },
    "dhcpv6.options[0].options[0]",
  );
  refused(
    { ...base, options: [{ kind: "dnsServers", servers: ["198.18.0.53"] }] },
    "dhcpv6.options[0].servers[0]",
  );
  refused(
    { ...base, options: [{ kind: "domainList", domains: ["example..test"] }] },
    "dhcpv6.options[0].domains[0]",
  );
  refused(
    { ...base, options: [{ kind: "domainList", domains: [`${"a".repeat(64)}.test`] }] },
    "dhcpv6.options[0].domains[0]",
  );
  refused({ ...base, options: [{ kind: "raw", code: 23, data: hex("") }] }, "dhcpv6.options[0].code");
  refused(
    { ...base, options: [{ kind: "statusCode", status: 0, message: "\ud800" }] },
    "dhcpv6.options[0].message",
  );
  refused({ ...base, options: [{ kind: "elapsedTime", hundredths: 65536 }] }, "dhcpv6.options[0].hundredths");
});
