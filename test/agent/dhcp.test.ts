// The DHCP feature's pure parts: leases from what the server sent, extra_dhcp_opts as dnsmasq reads
// them, the lease a punt flow carries (byte by byte), the flows, and the responder's answers to real
// requests (RFC 2131 message by message), with the replies decoded by the packet module.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  dhcpAnswer as answer,
  DHCP_METER_BASE,
  decodeLease,
  defaultDhcpConfig,
  dhcpFlows,
  encodeLease,
  extraOption,
  type Lease,
  leaseOf,
  optionData,
  parseDhcpConfig,
  serverMacOf,
} from "../../src/agent/internal.ts";
import {
  BootpOp,
  buildDhcpv4Frame,
  Dhcpv4MessageType,
  decodeFrame,
  findDhcpv4Option,
  parseMac,
} from "../../src/packet/index.ts";
import { DhcpSubnetInfo } from "../../src/protocol/index.ts";
import { details, uuid } from "./fixtures.ts";

const SUBNET = uuid(0xeee);
const MAC = "fa:16:3e:00:00:01";

const subnet = (overrides: Partial<DhcpSubnetInfo> = {}): DhcpSubnetInfo =>
  DhcpSubnetInfo.parse({
    subnet_id: SUBNET,
    network_id: uuid(0x100),
    ip_version: 4,
    cidr: "198.18.0.0/24",
    gateway_ip: "198.18.0.1",
    enable_dhcp: true,
    dns_nameservers: ["198.18.0.53", "198.18.1.53"],
    host_routes: [],
    ipv6_address_mode: null,
    ipv6_ra_mode: null,
    revision_number: 1,
    ...overrides,
  });

const port = (overrides: Parameters<typeof details>[2] = {}) =>
  details(uuid(1), uuid(0x100), {
    fixed_ips: [{ subnet_id: SUBNET, ip_address: "198.18.0.5" }],
    ...overrides,
  });

const leaseFor = (p = port(), s = subnet()) =>
  leaseOf(p, (id) => (id === s.subnet_id ? s : undefined), defaultDhcpConfig);

test("a lease: the port's address and its subnet's mask, router, DNS, MTU, broadcast, host name and domain", () => {
  const lease = leaseFor();
  assert.ok(lease);
  assert.equal(lease.address, "198.18.0.5");
  assert.equal(lease.prefixLength, 24);
  assert.equal(lease.serverIp, "198.18.0.1", "the gateway is the server identifier");
  assert.equal(lease.serverMac, serverMacOf(SUBNET));
  assert.equal(lease.leaseSeconds, 86_400);
  assert.deepEqual([...lease.options.keys()], [1, 3, 6, 12, 15, 26, 28], "by code, ascending");
  assert.deepEqual(lease.options.get(1), { kind: "ips", ips: ["255.255.255.0"] });
  assert.deepEqual(lease.options.get(6), { kind: "ips", ips: ["198.18.0.53", "198.18.1.53"] });
  assert.deepEqual(lease.options.get(12), { kind: "text", text: "host-198-18-0-5" });
  assert.deepEqual(lease.options.get(15), { kind: "text", text: "openstacklocal" });
  assert.deepEqual(lease.options.get(26), { kind: "u16", value: 1450 });
  assert.deepEqual(lease.options.get(28), { kind: "ips", ips: ["198.18.0.255"] });
});

test("no lease without an IPv4 subnet with DHCP enabled that the server sent", () => {
  assert.equal(leaseFor(port(), subnet({ enable_dhcp: false })), undefined);
  assert.equal(
    leaseOf(port(), () => undefined, defaultDhcpConfig),
    undefined,
    "subnet not sent yet",
  );
  assert.equal(leaseFor(port({ fixed_ips: [] })), undefined);
  // No gateway: no router option, and the server answers as the metadata address.
  const lease = leaseFor(port(), subnet({ gateway_ip: null }));
  assert.equal(lease?.options.has(3), false);
  assert.equal(lease?.serverIp, "169.254.169.254");
});

test("host routes go in option 121 with the default route through the gateway (RFC 3442)", () => {
  const lease = leaseFor(
    port(),
    subnet({ host_routes: [{ destination: "198.19.8.0/21", nexthop: "198.18.0.9" }] }),
  );
  const routes = lease?.options.get(121);
  assert.deepEqual(routes, {
    kind: "routes",
    routes: [
      { destination: "198.19.8.0/21", nexthop: "198.18.0.9" },
      { destination: "0.0.0.0/0", nexthop: "198.18.0.1" },
    ],
  });
  assert.equal(optionData(routes!).toString("hex"), "15c61308c6120009" + "00c6120001");
});

test("extra_dhcp_opts: dnsmasq's names and numbers, typed; server-ip-address is siaddr; misfits are not sent", () => {
  assert.deepEqual(extraOption({ opt_name: "mtu", opt_value: "1400" }), {
    kind: "option",
    code: 26,
    value: { kind: "u16", value: 1400 },
  });
  assert.deepEqual(extraOption({ opt_name: "option:router", opt_value: "198.18.0.254" }), {
    kind: "option",
    code: 3,
    value: { kind: "ips", ips: ["198.18.0.254"] },
  });
  assert.deepEqual(extraOption({ opt_name: "bootfile-name", opt_value: "pxelinux.0" }), {
    kind: "option",
    code: 67,
    value: { kind: "text", text: "pxelinux.0" },
  });
  assert.deepEqual(extraOption({ opt_name: "server-ip-address", opt_value: "198.18.0.10" }), {
    kind: "next-server",
    address: "198.18.0.10",
  });
  assert.deepEqual(extraOption({ opt_name: "252", opt_value: "http://wpad/wpad.dat" }), {
    kind: "option",
    code: 252,
    value: { kind: "text", text: "http://wpad/wpad.dat" },
  });
  assert.deepEqual(extraOption({ opt_name: "42", opt_value: "198.18.0.7,198.18.0.8" }), {
    kind: "option",
    code: 42,
    value: { kind: "ips", ips: ["198.18.0.7", "198.18.0.8"] },
  });
  assert.equal(extraOption({ opt_name: "mtu", opt_value: "big" }), undefined);
  assert.equal(extraOption({ opt_name: "router", opt_value: "not-an-ip" }), undefined);
  assert.equal(extraOption({ opt_name: "no-such-option", opt_value: "1" }), undefined);
  assert.equal(
    extraOption({ opt_name: "53", opt_value: "5" }),
    undefined,
    "the message type is the responder's",
  );
  // Over the subnet's own: a port's mtu option replaces the network's MTU; v6 ones and nulls are not v4's.
  const lease = leaseFor(
    port({
      extra_dhcp_opts: [
        { opt_name: "mtu", opt_value: "1400", ip_version: 4 },
        { opt_name: "dns-server", opt_value: "198.18.9.9", ip_version: 6 },
        { opt_name: "ntp-server", opt_value: null, ip_version: 4 },
        { opt_name: "server-ip-address", opt_value: "198.18.0.10", ip_version: 4 },
      ],
    }),
  );
  assert.deepEqual(lease?.options.get(26), { kind: "u16", value: 1400 });
  assert.deepEqual(lease?.options.get(6), { kind: "ips", ips: ["198.18.0.53", "198.18.1.53"] });
  assert.equal(lease?.options.has(42), false);
  assert.equal(lease?.nextServer, "198.18.0.10");
});

test("the [dhcp] section: defaults, bounds, and errors naming the key", () => {
  assert.deepEqual(parseDhcpConfig(undefined), defaultDhcpConfig);
  assert.equal(parseDhcpConfig({ lease_duration: "-1" }).leaseSeconds, -1);
  assert.deepEqual(parseDhcpConfig({ rate_limit: "100" }), {
    ...defaultDhcpConfig,
    rateLimit: 100,
    burst: 200,
  });
  assert.throws(() => parseDhcpConfig({ lease_duration: "0" }), /lease_duration/);
  assert.throws(() => parseDhcpConfig({ rate_limit: "lots" }), /rate_limit must be a whole number/);
  assert.throws(() => parseDhcpConfig({ dns_domain: "bad domain" }), /dns_domain/);
  assert.throws(() => parseDhcpConfig({ leases: "1" }), /unknown key leases/);
});

test("the lease a flow carries, byte by byte, and back", () => {
  const lease: Lease = {
    clientMac: MAC,
    address: "198.18.0.5",
    prefixLength: 24,
    serverIp: "198.18.0.1",
    serverMac: "02:00:00:00:0e:ee",
    leaseSeconds: 600,
    nextServer: undefined,
    options: new Map([
      [1, { kind: "ips", ips: ["255.255.255.0"] }],
      [26, { kind: "u16", value: 1450 }],
    ]),
  };
  const bytes = encodeLease(lease);
  assert.equal(
    bytes.toString("hex"),
    "01" +
      "04" +
      "fa163e000001" +
      "c6120005" +
      "18" +
      "c6120001" +
      "020000000eee" +
      "00000258" +
      "00000000" +
      "0104ffffff00" +
      "1a0205aa",
  );
  const back = decodeLease(bytes);
  assert.equal(back.clientMac, MAC);
  assert.equal(back.address, "198.18.0.5");
  assert.equal(back.leaseSeconds, 600);
  assert.equal(back.nextServer, "0.0.0.0");
  assert.deepEqual(
    back.options.map((o) => [o.code, Buffer.from(o.data).toString("hex")]),
    [
      [1, "ffffff00"],
      [26, "05aa"],
    ],
  );
  // RFC 3396: a 300-byte option is two instances, read back as one.
  const long = encodeLease({ ...lease, options: new Map([[67, { kind: "text", text: "x".repeat(300) }]]) });
  assert.equal(decodeLease(long).options[0]?.data.length, 300);
  assert.throws(() => decodeLease(Buffer.from("00", "hex")), /not a version 1/);
  assert.throws(() => decodeLease(Buffer.concat([bytes, Buffer.from("1a05", "hex")])), /runs past the end/);
});

test("flows: the port's own DHCP requests through its meter to the agent with the lease; others dropped", () => {
  const flows = dhcpFlows(7, MAC, Buffer.from("lease"));
  assert.equal(flows.length, 2);
  const [punt, refuse] = flows;
  assert.deepEqual(
    punt!.actions.map((a) => a.type),
    ["meter", "controller"],
  );
  assert.deepEqual(punt!.actions[0], { type: "meter", id: DHCP_METER_BASE + 7 });
  assert.ok(punt!.match.some((f) => f.field === "eth_src"));
  assert.ok(punt!.priority > refuse!.priority);
  assert.deepEqual(refuse!.actions, []);
  assert.ok(!refuse!.match.some((f) => f.field === "eth_src"), "the drop catches every other source");
});

// ── the responder, against requests encoded as a client sends them ─────────────────────────────────────

const carried = encodeLease(leaseFor()!);

function requestFrame(
  type: number,
  fields: {
    ciaddr?: string;
    broadcast?: boolean;
    options?: { code: number; data: Uint8Array }[];
    chaddr?: string;
    src?: string;
    dstIp?: string;
  } = {},
) {
  const dhcpv4 = {
    op: BootpOp.request,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: 0x1234abcd,
    secs: 0,
    broadcast: fields.broadcast ?? false,
    ciaddr: fields.ciaddr ?? "0.0.0.0",
    yiaddr: "0.0.0.0",
    siaddr: "0.0.0.0",
    giaddr: "0.0.0.0",
    chaddr: parseMac(fields.chaddr ?? MAC),
    sname: "",
    file: "",
    options: [{ code: 53, data: Buffer.from([type]) }, ...(fields.options ?? [])],
  };
  return buildDhcpv4Frame({
    ethernet: { src: fields.src ?? MAC, dst: "ff:ff:ff:ff:ff:ff" },
    ipv4: { src: fields.ciaddr ?? "0.0.0.0", dst: fields.dstIp ?? "255.255.255.255" },
    udp: { srcPort: 68, dstPort: 67 },
    dhcpv4,
  });
}

function decodeReply(frame: Uint8Array) {
  const decoded = decodeFrame(frame);
  assert.equal(decoded.kind, "dhcpv4");
  if (decoded.kind !== "dhcpv4") throw new Error("not DHCPv4");
  const { ethernet: eth, ipv4: ip, udp, dhcpv4: dhcp } = decoded;
  const type = findDhcpv4Option(dhcp, 53)?.data[0];
  const opt = (code: number) => findDhcpv4Option(dhcp, code)?.data.toString("hex");
  return { eth, ip, udp, dhcp, type, opt };
}

const ask = (frame: Buffer, inPort = 7) => answer({ bridge: "br-int", inPort, frame, userdata: carried });
const ip = (a: string) => Buffer.from(a.split(".").map(Number));

test("DISCOVER → OFFER of the port's address with every option, unicast to its MAC; broadcast when asked", () => {
  const a = ask(requestFrame(Dhcpv4MessageType.discover));
  assert.equal(a.outcome, "offer");
  assert.equal(a.replies.length, 1);
  assert.equal(a.replies[0]!.outPort, 7);
  const r = decodeReply(a.replies[0]!.frame);
  assert.equal(r.type, Dhcpv4MessageType.offer);
  assert.equal(r.dhcp.xid, 0x1234abcd);
  assert.equal(r.dhcp.yiaddr, "198.18.0.5");
  assert.equal(r.eth.dst, MAC);
  assert.equal(r.eth.src, serverMacOf(SUBNET));
  assert.equal(r.ip.src, "198.18.0.1");
  assert.equal(r.ip.dst, "198.18.0.5");
  assert.deepEqual([r.udp.srcPort, r.udp.dstPort], [67, 68]);
  assert.equal(r.opt(54), ip("198.18.0.1").toString("hex"));
  assert.equal(r.opt(51), "00015180", "86400 s");
  assert.equal(r.opt(58), "0000a8c0", "T1: half");
  assert.equal(r.opt(59), "00012750", "T2: seven eighths");
  assert.equal(r.opt(1), "ffffff00");
  assert.equal(r.opt(3), ip("198.18.0.1").toString("hex"));
  assert.equal(r.opt(26), "05aa");
  assert.equal(Buffer.from(r.opt(12)!, "hex").toString(), "host-198-18-0-5");
  const b = decodeReply(ask(requestFrame(Dhcpv4MessageType.discover, { broadcast: true })).replies[0]!.frame);
  assert.equal(b.eth.dst, "ff:ff:ff:ff:ff:ff");
  assert.equal(b.ip.dst, "255.255.255.255");
});

test("REQUEST → ACK for the port's address (selecting, renewing), NAK for another, nothing for another server's", () => {
  const requested = { code: 50, data: ip("198.18.0.5") };
  const ours = { code: 54, data: ip("198.18.0.1") };
  const ack = ask(requestFrame(Dhcpv4MessageType.request, { options: [requested, ours] }));
  assert.equal(ack.outcome, "ack");
  assert.equal(decodeReply(ack.replies[0]!.frame).type, Dhcpv4MessageType.ack);
  // Renewing: ciaddr set, sent unicast to the server; answered unicast to ciaddr.
  const renew = ask(requestFrame(Dhcpv4MessageType.request, { ciaddr: "198.18.0.5", dstIp: "198.18.0.1" }));
  assert.equal(renew.outcome, "ack");
  const r = decodeReply(renew.replies[0]!.frame);
  assert.equal(r.ip.dst, "198.18.0.5");
  assert.equal(r.dhcp.ciaddr, "198.18.0.5");
  const nak = ask(
    requestFrame(Dhcpv4MessageType.request, { options: [{ code: 50, data: ip("198.18.0.99") }] }),
  );
  assert.equal(nak.outcome, "nak");
  const n = decodeReply(nak.replies[0]!.frame);
  assert.equal(n.type, Dhcpv4MessageType.nak);
  assert.equal(n.dhcp.yiaddr, "0.0.0.0");
  assert.equal(n.eth.dst, "ff:ff:ff:ff:ff:ff");
  assert.equal(n.opt(51), undefined, "a NAK carries no lease");
  const other = ask(
    requestFrame(Dhcpv4MessageType.request, { options: [requested, { code: 54, data: ip("198.18.0.2") }] }),
  );
  assert.deepEqual([other.outcome, other.replies.length], ["other-server", 0]);
});

test("INFORM → ACK with options and no address or lease; RELEASE and DECLINE are logged, not answered", () => {
  const inform = ask(requestFrame(Dhcpv4MessageType.inform, { ciaddr: "198.18.0.5", dstIp: "198.18.0.1" }));
  assert.equal(inform.outcome, "inform");
  const r = decodeReply(inform.replies[0]!.frame);
  assert.equal(r.type, Dhcpv4MessageType.ack);
  assert.equal(r.dhcp.yiaddr, "0.0.0.0");
  assert.equal(r.opt(51), undefined);
  assert.equal(r.opt(6), Buffer.concat([ip("198.18.0.53"), ip("198.18.1.53")]).toString("hex"));
  for (const [type, outcome] of [
    [Dhcpv4MessageType.release, "release"],
    [Dhcpv4MessageType.decline, "decline"],
  ] as const) {
    const a = ask(requestFrame(type, { ciaddr: "198.18.0.5" }));
    assert.deepEqual([a.outcome, a.replies.length], [outcome, 0]);
    assert.ok(a.log?.message);
  }
});

test("a request for another MAC, a malformed packet and unknown userdata get nothing, never a throw", () => {
  assert.equal(
    ask(requestFrame(Dhcpv4MessageType.discover, { chaddr: "fa:16:3e:00:00:99" })).outcome,
    "spoofed",
  );
  assert.equal(
    ask(requestFrame(Dhcpv4MessageType.discover, { src: "fa:16:3e:00:00:99" })).outcome,
    "spoofed",
  );
  const good = requestFrame(Dhcpv4MessageType.discover);
  for (let cut = 0; cut < good.length; cut += 7) {
    const a = ask(good.subarray(0, cut));
    assert.equal(a.replies.length, 0, `cut at ${cut}`);
    assert.equal(a.outcome, "malformed", `cut at ${cut}`);
  }
  const badCookie = Buffer.from(good);
  badCookie.writeUInt32BE(0xdeadbeef, 14 + 20 + 8 + 236);
  // The UDP checksum no longer matches either: whichever layer notices, it is malformed.
  assert.equal(ask(badCookie).outcome, "malformed");
  assert.equal(
    answer({ bridge: "br-int", inPort: 7, frame: good, userdata: Buffer.from("junk") }).outcome,
    "unknown-userdata",
  );
});
