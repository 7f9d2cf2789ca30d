import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidArgumentError } from "../../src/base/index.ts";
import {
  type Dhcpv4Message,
  decodeClasslessRoutes,
  decodeDhcpv4,
  dhcpv4ClientMac,
  encodeDhcpv4,
  findDhcpv4Option,
  parseDhcpv4RequestOptions,
} from "../../src/packet/index.ts";
import { assertMalformed } from "./assert-decode.ts";
import { bootp, dhcpv4Of, hex, samples } from "./samples.ts";

const chaddr = hex("027765697201 00000000000000000000");
const weirpkVm = Buffer.from("weirpk-vm");
const prl = [1, 28, 3, 15, 6, 12, 26, 121];

test("dhclient's DISCOVER: the fixed part and its options, with their offsets", () => {
  assert.deepEqual(decodeDhcpv4(dhcpv4Of(samples.discover)), {
    op: 1,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: 0x88049621,
    secs: 0,
    broadcast: false,
    ciaddr: "0.0.0.0",
    yiaddr: "0.0.0.0",
    siaddr: "0.0.0.0",
    giaddr: "0.0.0.0",
    chaddr,
    sname: "",
    file: "",
    options: [
      { code: 53, data: hex("01"), offset: 240 },
      { code: 12, data: weirpkVm, offset: 243 },
      { code: 55, data: Buffer.from(prl), offset: 254 },
    ],
  });
});

test("what a server reads of the DISCOVER and the REQUEST", () => {
  const discover = decodeDhcpv4(dhcpv4Of(samples.discover));
  assert.deepEqual(parseDhcpv4RequestOptions(discover), {
    messageType: 1,
    parameterRequestList: prl,
    hostname: "weirpk-vm",
  });
  assert.equal(dhcpv4ClientMac(discover), "02:77:65:69:72:01");
  const request = decodeDhcpv4(dhcpv4Of(samples.request));
  assert.deepEqual(parseDhcpv4RequestOptions(request), {
    messageType: 3,
    serverIdentifier: "198.18.0.1",
    requestedAddress: "198.18.0.125",
    hostname: "weirpk-vm",
    parameterRequestList: prl,
  });
  assert.equal(request.xid, discover.xid);
});

test("dnsmasq's OFFER and ACK: the addresses of the fixed part", () => {
  for (const frame of [samples.offer, samples.ack]) {
    const reply = decodeDhcpv4(dhcpv4Of(frame));
    assert.deepEqual(
      [reply.op, reply.xid, reply.ciaddr, reply.yiaddr, reply.siaddr, reply.giaddr, reply.chaddr],
      [2, 0x88049621, "0.0.0.0", "198.18.0.125", "198.18.0.1", "0.0.0.0", chaddr],
    );
  }
  const ack = decodeDhcpv4(dhcpv4Of(samples.ack));
  assert.deepEqual(
    ack.options.map((o) => o.code),
    [53, 54, 51, 58, 59, 1, 28, 12, 121, 26, 15, 6, 3],
  );
  assert.deepEqual(findDhcpv4Option(ack, 26), { code: 26, data: hex("05aa"), offset: 305 });
});

test("the four captured messages encode back to their bytes", () => {
  // Canonical: dhclient pads with zeros after End to 300 bytes, as the encoder does; dnsmasq's replies
  // are longer than 300 and end at End.
  for (const name of ["discover", "offer", "request", "ack"] as const) {
    const bytes = dhcpv4Of(samples[name]);
    assert.deepEqual(encodeDhcpv4(decodeDhcpv4(bytes)), bytes, name);
  }
  assert.equal(dhcpv4Of(samples.discover).length, 300);
});

const message: Dhcpv4Message = {
  op: 2,
  htype: 1,
  hlen: 6,
  hops: 0,
  xid: 0x01020304,
  secs: 0,
  broadcast: true,
  ciaddr: "0.0.0.0",
  yiaddr: "198.18.0.125",
  siaddr: "0.0.0.0",
  giaddr: "0.0.0.0",
  chaddr: hex("027765697201"),
  sname: "",
  file: "",
  options: [{ code: 53, data: hex("05") }],
};

test("the broadcast flag is the flags' top bit; the others are written as zero and ignored when read", () => {
  const bytes = encodeDhcpv4(message);
  assert.deepEqual(bytes.subarray(10, 12), hex("8000"));
  assert.deepEqual(bytes.subarray(28, 44), chaddr);
  bytes.writeUInt16BE(0x7fff, 10);
  assert.equal(decodeDhcpv4(bytes).broadcast, false);
  bytes.writeUInt16BE(0x8001, 10);
  assert.equal(decodeDhcpv4(bytes).broadcast, true);
});

test("sname and file are NUL-terminated text in fixed fields", () => {
  const bytes = encodeDhcpv4({ ...message, sname: "dnsmasq", file: "pxelinux.0" });
  assert.deepEqual(bytes.subarray(44, 52), Buffer.from("dnsmasq\0"));
  assert.deepEqual(bytes.subarray(108, 119), Buffer.from("pxelinux.0\0"));
  const decoded = decodeDhcpv4(bytes);
  assert.deepEqual([decoded.sname, decoded.file], ["dnsmasq", "pxelinux.0"]);
});

test("an option over 255 bytes is split into consecutive instances and read back whole (RFC 3396)", () => {
  const vendor = Buffer.from(Array.from({ length: 600 }, (_, i) => i & 0xff));
  const bytes = encodeDhcpv4({
    ...message,
    options: [
      { code: 53, data: hex("05") },
      { code: 43, data: vendor },
    ],
  });
  assert.deepEqual(bytes.subarray(240, 245), hex("350105 2bff"));
  assert.deepEqual(bytes.subarray(245, 500), vendor.subarray(0, 255));
  assert.deepEqual(bytes.subarray(500, 502), hex("2bff"));
  assert.deepEqual(bytes.subarray(502, 757), vendor.subarray(255, 510));
  assert.deepEqual(bytes.subarray(757, 759), hex("2b5a"));
  assert.deepEqual(bytes.subarray(759, 850), Buffer.concat([vendor.subarray(510), hex("ff")]));
  assert.equal(bytes.length, 850);
  assert.deepEqual(findDhcpv4Option(decodeDhcpv4(bytes), 43), { code: 43, data: vendor, offset: 243 });
  // Exactly 255 bytes is one instance; none is an option of length 0.
  const edge = encodeDhcpv4({
    ...message,
    options: [
      { code: 43, data: vendor.subarray(0, 255) },
      { code: 80, data: hex("") },
    ],
  });
  assert.deepEqual(edge.subarray(240, 242), hex("2bff"));
  assert.deepEqual(edge.subarray(497, 500), hex("5000 ff"));
});

test("instances of one code anywhere in the options are joined in order", () => {
  // dnsmasq's classless routes split mid-route around the message type.
  const bytes = bootp(hex("7906 15c61208c612 350101 7907 000100c6120001 ff"));
  const decoded = decodeDhcpv4(bytes);
  assert.deepEqual(decoded.options, [
    { code: 121, data: hex("15c61208c612000100c6120001"), offset: 240 },
    { code: 53, data: hex("01"), offset: 248 },
  ]);
  assert.deepEqual(decodeClasslessRoutes(decoded.options[0]!), [
    { destination: "198.18.8.0/21", nexthop: "198.18.0.1" },
    { destination: "0.0.0.0/0", nexthop: "198.18.0.1" },
  ]);
});

test("option overload: file, then sname, read after the options field, their instances joined too", () => {
  const options = hex("350101 340103 0c03616263 ff");
  const file = Buffer.concat([hex("0f0c"), Buffer.from("example.test"), hex("0c026465 ff")]);
  const sname = hex("0604c6120035 ff");
  const decoded = decodeDhcpv4(bootp(options, { sname, file }));
  assert.deepEqual(decoded.options, [
    { code: 53, data: hex("01"), offset: 240 },
    { code: 12, data: Buffer.from("abcde"), offset: 246 },
    { code: 15, data: Buffer.from("example.test"), offset: 108 },
    { code: 6, data: hex("c6120035"), offset: 44 },
  ]);
  assert.deepEqual([decoded.sname, decoded.file], ["", ""]);
  // Overload 1: the file field only; sname stays a name.
  const fileOnly = decodeDhcpv4(bootp(hex("340101 ff"), { sname: Buffer.from("dnsmasq"), file }));
  assert.deepEqual([fileOnly.sname, fileOnly.file], ["dnsmasq", ""]);
  assert.deepEqual(
    fileOnly.options.map((o) => o.code),
    [15, 12],
  );
  // The encoder never overloads, so an overloaded message does not encode back to its bytes.
  assert.equal(encodeDhcpv4(decoded).includes(hex("340103")), false);
});

test("option overload that is malformed", () => {
  assertMalformed(
    () => decodeDhcpv4(bootp(hex("340104 ff"))),
    "dhcpv4: option 52 (overload) at offset 240 must be one byte of 1, 2 or 3, got 04",
  );
  assertMalformed(
    () => decodeDhcpv4(bootp(hex("340101 340102 ff"))),
    "dhcpv4: option 52 (overload) at offset 240 must be one byte of 1, 2 or 3, got 0102",
  );
  assertMalformed(
    () => decodeDhcpv4(bootp(hex("340101 ff"), { file: hex("340102 ff") })),
    "dhcpv4: option 52 (overload) at offset 108 is in the file or sname field; only the options field may hold it (RFC 2131 §4.1)",
  );
  const sname = Buffer.concat([Buffer.alloc(60), hex("0604")]);
  assertMalformed(
    () => decodeDhcpv4(bootp(hex("340102 ff"), { sname })),
    "dhcpv4: option 6 at offset 104 runs past the end (length 4, 2 bytes left)",
  );
});

test("Pad is skipped, End ends the options whatever follows, and a field may end without End", () => {
  assert.deepEqual(decodeDhcpv4(bootp(hex("0000 350101 00 ff 35"))).options, [
    { code: 53, data: hex("01"), offset: 242 },
  ]);
  assert.deepEqual(decodeDhcpv4(bootp(hex("350101"))).options, [{ code: 53, data: hex("01"), offset: 240 }]);
  assert.deepEqual(decodeDhcpv4(bootp(hex(""))).options, []);
});

test("malformed messages: cut short, a wrong magic cookie, an option past the end, bad op and hlen", () => {
  const discover = dhcpv4Of(samples.discover);
  assertMalformed(
    () => decodeDhcpv4(discover.subarray(0, 239)),
    "dhcpv4: magic cookie at offset 236 needs 4 bytes, 3 left",
  );
  assertMalformed(
    () => decodeDhcpv4(discover.subarray(0, 100)),
    "dhcpv4: sname at offset 44 needs 64 bytes, 56 left",
  );
  assertMalformed(
    () => decodeDhcpv4(discover.subarray(0, 3)),
    "dhcpv4: hops at offset 3 needs 1 byte, 0 left",
  );
  const cookie = Buffer.from(discover);
  cookie[239] = 0x64;
  assertMalformed(
    () => decodeDhcpv4(cookie),
    "dhcpv4: magic cookie at offset 236 is 0x63825364, must be 0x63825363",
  );
  assertMalformed(
    () => decodeDhcpv4(bootp(hex("350101 3504aabb"))),
    "dhcpv4: option 53 at offset 243 runs past the end (length 4, 2 bytes left)",
  );
  assertMalformed(
    () => decodeDhcpv4(bootp(hex("350101 0c"))),
    "dhcpv4: option 12 at offset 243 has no length byte",
  );
  const op = bootp(hex("ff"));
  op[0] = 3;
  assertMalformed(() => decodeDhcpv4(op), "dhcpv4: op at offset 0 is 3, must be 1 or 2");
  const hlen = bootp(hex("ff"));
  hlen[2] = 17;
  assertMalformed(() => decodeDhcpv4(hlen), "dhcpv4: hlen at offset 2 is 17, more than chaddr's 16 bytes");
});

test("request options with values their RFCs forbid are malformed; good ones are typed", () => {
  const read = (options: string) => parseDhcpv4RequestOptions(decodeDhcpv4(bootp(hex(options))));
  assert.deepEqual(read("3d07 01027765697201 3902 05dc 0c0a 77656972706b2d766d00 ff"), {
    clientIdentifier: hex("01027765697201"),
    maxMessageSize: 1500,
    // A trailing NUL, which some clients send, is not part of the name.
    hostname: "weirpk-vm",
  });
  assertMalformed(() => read("3502 0101"), "dhcpv4: option 53 at offset 240 has length 2, must be 1");
  assertMalformed(
    () => read("3501 00"),
    "dhcpv4: option 53 at offset 240 is 0, which is no message type (RFC 2132 §9.6)",
  );
  assertMalformed(() => read("3203 c61200"), "dhcpv4: option 50 at offset 240 has length 3, must be 4");
  assertMalformed(() => read("3605 c612000101"), "dhcpv4: option 54 at offset 240 has length 5, must be 4");
  assertMalformed(() => read("3700"), "dhcpv4: option 55 at offset 240 has length 0, must be at least 1");
  assertMalformed(() => read("3d01 01"), "dhcpv4: option 61 at offset 240 has length 1, must be at least 2");
  assertMalformed(() => read("0c00"), "dhcpv4: option 12 at offset 240 is empty, must hold at least 1 byte");
  assertMalformed(
    () => read("3902 023f"),
    "dhcpv4: option 57 at offset 240 is 575, below the minimum of 576 (RFC 2132 §9.10)",
  );
});

test("the encoder refuses what it cannot write", () => {
  const refused = (m: Dhcpv4Message, field: string) =>
    assert.throws(
      () => encodeDhcpv4(m),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
      field,
    );
  refused({ ...message, chaddr: Buffer.alloc(17) }, "dhcpv4.chaddr");
  refused({ ...message, op: 3 }, "dhcpv4.op");
  refused({ ...message, hlen: 17 }, "dhcpv4.hlen");
  refused({ ...message, xid: 2 ** 32 }, "dhcpv4.xid");
  refused({ ...message, yiaddr: "198.18.0.300" }, "dhcpv4.yiaddr");
  refused({ ...message, sname: "x".repeat(64) }, "dhcpv4.sname");
  refused({ ...message, file: "a\0b" }, "dhcpv4.file");
  refused({ ...message, options: [{ code: 0, data: hex("") }] }, "dhcpv4.options[0].code");
  refused({ ...message, options: [{ code: 255, data: hex("") }] }, "dhcpv4.options[0].code");
  refused({ ...message, options: [{ code: 52, data: hex("01") }] }, "dhcpv4.options[0].code");
  refused(
    {
      ...message,
      options: [
        { code: 53, data: hex("05") },
        { code: 53, data: hex("05") },
      ],
    },
    "dhcpv4.options[1].code",
  );
});
