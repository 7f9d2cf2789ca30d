// The DHCP feature's IPv6 parts: leases by the subnet's IPv6 modes (Neutron's table of ipv6_ra_mode and
// ipv6_address_mode), the lease a punt flow carries, the flows, and the answers to real router
// solicitations and DHCPv6 messages (RFC 4861, RFC 8415), the replies decoded by the packet module.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Advertiser,
  dhcpv6Answer as answer,
  DHCP_METER_BASE,
  decodeLease6,
  defaultDhcpConfig,
  dhcpv6Flows,
  encodeLease6,
  lease6Of,
  parseDhcpConfig,
  routerAdvertisement,
  serverMacOf,
} from "../../src/agent/internal.ts";
import {
  buildDhcpv6Frame,
  type DecodedFrame,
  type Dhcpv6Option,
  Dhcpv6Status,
  decodeFrame,
  duidLinkLayer,
  EtherType,
  encodeEthernet,
  encodeIcmpv6,
  encodeIpv6,
  findDhcpv6Option,
  findNdOption,
  IpProtocol,
  linkLocalOfMac,
  parseMac,
  Dhcpv6MessageType as T,
} from "../../src/packet/index.ts";
import { DhcpSubnetInfo } from "../../src/protocol/index.ts";
import { details, uuid } from "./fixtures.ts";

const SUBNET = uuid(0xee6);
const MAC = "fa:16:3e:00:00:01";
const CLIENT_LL = "fe80::f816:3eff:fe00:1";
const EUI64 = "2001:db8:1:0:f816:3eff:fe00:1";

type Mode = DhcpSubnetInfo["ipv6_ra_mode"];
const subnet = (ra: Mode, address: Mode, overrides: Partial<DhcpSubnetInfo> = {}): DhcpSubnetInfo =>
  DhcpSubnetInfo.parse({
    subnet_id: SUBNET,
    network_id: uuid(0x100),
    ip_version: 6,
    cidr: "2001:db8:1::/64",
    gateway_ip: "2001:db8:1::1",
    enable_dhcp: true,
    dns_nameservers: ["2001:db8::53", "198.18.0.53"],
    host_routes: [],
    ipv6_address_mode: address,
    ipv6_ra_mode: ra,
    revision_number: 1,
    ...overrides,
  });
const port = (address = EUI64) =>
  details(uuid(1), uuid(0x100), {
    mac_address: MAC,
    fixed_ips: [
      { subnet_id: uuid(0xeee), ip_address: "198.18.0.5" },
      { subnet_id: SUBNET, ip_address: address },
    ],
  });
const leaseFor = (s: DhcpSubnetInfo, p = port()) =>
  lease6Of(p, (id) => (id === s.subnet_id ? s : undefined), defaultDhcpConfig);

test("IPv6 leases follow Neutron's modes: who advertises, the RA flags, and what DHCPv6 serves", () => {
  const cases: [Mode, Mode, Record<string, unknown> | undefined][] = [
    ["slaac", "slaac", { advertise: true, managed: false, other: false, autonomous: true, dhcpv6: "none" }],
    [
      "dhcpv6-stateless",
      "dhcpv6-stateless",
      { advertise: true, managed: false, other: true, autonomous: true, dhcpv6: "stateless" },
    ],
    [
      "dhcpv6-stateful",
      "dhcpv6-stateful",
      { advertise: true, managed: true, other: false, autonomous: false, dhcpv6: "stateful" },
    ],
    // An outside router advertises; we serve DHCPv6 only.
    [null, "dhcpv6-stateful", { advertise: false, managed: true, dhcpv6: "stateful" }],
    [null, "dhcpv6-stateless", { advertise: false, other: true, dhcpv6: "stateless" }],
    // Nothing of ours to say.
    [null, "slaac", undefined],
    // No modes: Neutron's dnsmasq serves such a subnet statically.
    [null, null, { advertise: false, managed: false, dhcpv6: "stateful" }],
  ];
  for (const [ra, address, want] of cases) {
    const lease = leaseFor(subnet(ra, address));
    const label = `ra ${ra}, address ${address}`;
    if (want === undefined) {
      assert.equal(lease, undefined, label);
      continue;
    }
    assert.ok(lease, label);
    for (const [k, v] of Object.entries(want))
      assert.equal(lease[k as keyof typeof lease], v, `${label}: ${k}`);
    assert.equal(lease.address, EUI64);
    assert.equal(lease.prefix, "2001:db8:1::");
    assert.equal(lease.prefixLength, 64);
    assert.equal(lease.serverMac, serverMacOf(SUBNET));
    assert.deepEqual(lease.dnsServers, ["2001:db8::53"], "IPv6 name servers only");
    assert.equal(lease.routerLifetime, 0, "no default router until Weir routes (issue 14)");
    assert.equal(lease.raIntervalSeconds, 100);
  }
  assert.equal(leaseFor(subnet("slaac", "slaac", { enable_dhcp: false })), undefined);
  assert.equal(leaseOfOtherSubnet(), undefined, "the server did not send the subnet");
});

const leaseOfOtherSubnet = () => lease6Of(port(), () => undefined, defaultDhcpConfig);

test("the IPv6 lease a flow carries, and back; other bytes are refused", () => {
  const lease = leaseFor(subnet("dhcpv6-stateless", "dhcpv6-stateless"))!;
  const bytes = encodeLease6(lease);
  assert.equal(bytes[0], 1, "version");
  assert.equal(bytes[1], 6, "family");
  assert.deepEqual(decodeLease6(bytes), lease);
  assert.throws(() => decodeLease6(bytes.subarray(0, bytes.length - 1)), /do not hold/);
  assert.throws(() => decodeLease6(Buffer.concat([bytes, Buffer.from([0])])), /do not hold/);
  const v4 = Buffer.from(bytes);
  v4[1] = 4;
  assert.throws(() => decodeLease6(v4), /not a version 1 IPv6 lease/);
});

test("the [dhcp] section: max_rtr_adv_interval, RFC 4861's 4 to 1800 seconds", () => {
  assert.equal(defaultDhcpConfig.raIntervalSeconds, 100, "Neutron's default");
  assert.equal(parseDhcpConfig({ max_rtr_adv_interval: "4" }).raIntervalSeconds, 4);
  assert.throws(() => parseDhcpConfig({ max_rtr_adv_interval: "3" }), /max_rtr_adv_interval must be/);
  assert.throws(() => parseDhcpConfig({ max_rtr_adv_interval: "1801" }), /max_rtr_adv_interval must be/);
});

test("flows: DHCPv6 from the port's MAC punted through its meter, others dropped; solicitations only when the RAs are ours", () => {
  const fields = (f: { match: readonly { field: string; value: unknown }[] }) =>
    Object.fromEntries(f.match.map((m) => [m.field, m.value]));
  const ours = dhcpv6Flows(7, MAC, Buffer.from([1, 6]), { advertise: true, dhcpv6: true });
  assert.equal(ours.length, 3);
  const [punt, refuse, solicit] = ours;
  assert.deepEqual(
    punt!.actions.map((a) => a.type),
    ["meter", "controller"],
  );
  assert.deepEqual(punt!.actions[0], { type: "meter", id: DHCP_METER_BASE + 7 });
  assert.notEqual(fields(punt!).eth_src, undefined, "the port's own MAC");
  assert.equal(Number(fields(punt!).udp_src), 546);
  assert.equal(Number(fields(refuse!).udp_dst), 547);
  assert.equal(fields(refuse!).eth_src, undefined, "the drop catches every other source");
  assert.deepEqual(refuse!.actions, []);
  assert.ok(punt!.priority > refuse!.priority);
  assert.equal(Number(fields(solicit!).icmpv6_type), 133);
  assert.notEqual(fields(solicit!).eth_src, undefined);
  const theirs = dhcpv6Flows(7, MAC, Buffer.from([1, 6]), { advertise: false, dhcpv6: true });
  assert.equal(theirs.length, 2);
  assert.ok(!theirs.some((f) => fields(f).icmpv6_type !== undefined), "RS go on to an outside router");
  // SLAAC: solicitations only; DHCPv6 requests go on to the network (a server of the operator's).
  const slaac = dhcpv6Flows(7, MAC, Buffer.from([1, 6]), { advertise: true, dhcpv6: false });
  assert.deepEqual(
    slaac.map((f) => Number(fields(f).icmpv6_type)),
    [133],
  );
});

// Requests as a client sends them.
const CLIENT_DUID = duidLinkLayer(MAC);
function dhcpv6Request(messageType: number, options: Dhcpv6Option[], src = MAC): Buffer {
  return buildDhcpv6Frame({
    ethernet: { src, dst: "33:33:00:01:00:02" },
    ipv6: { src: CLIENT_LL, dst: "ff02::1:2", hopLimit: 1 },
    udp: { srcPort: 546, dstPort: 547 },
    dhcpv6: { messageType, transactionId: 0xabcdef, options },
  });
}
function routerSolicitation(src = CLIENT_LL): Buffer {
  const pseudo = { version: 6 as const, src, dst: "ff02::2" };
  const icmp = encodeIcmpv6(133, 0, Buffer.alloc(4), pseudo);
  const ip = encodeIpv6({ src, dst: "ff02::2", hopLimit: 255, protocol: IpProtocol.icmpv6 }, icmp);
  return encodeEthernet({ src: MAC, dst: "33:33:00:00:00:02", ethertype: EtherType.ipv6 }, ip);
}
const clientId: Dhcpv6Option = { kind: "clientId", duid: CLIENT_DUID };
const iaNa = (iaid: number): Dhcpv6Option => ({ kind: "iaNa", iaid, t1: 0, t2: 0, options: [] });

function ask(s: DhcpSubnetInfo, frame: Buffer) {
  return answer({ bridge: "br-int", inPort: 7, frame, userdata: encodeLease6(leaseFor(s)!) });
}
function only(
  s: DhcpSubnetInfo,
  frame: Buffer,
): Extract<DecodedFrame, { kind: "dhcpv6" | "routerAdvertisement" }> & {
  outcome: string;
} {
  const a = ask(s, frame);
  assert.equal(a.replies.length, 1, `one reply (${a.outcome})`);
  assert.equal(a.replies[0]!.outPort, 7, "out of the port it came in on");
  const decoded = decodeFrame(a.replies[0]!.frame);
  assert.ok(decoded.kind === "dhcpv6" || decoded.kind === "routerAdvertisement", decoded.kind);
  return Object.assign(decoded, { outcome: a.outcome });
}
const serverLl = linkLocalOfMac(parseMac(serverMacOf(SUBNET)));

test("a router solicitation → an RA from the server's link-local address: flags, prefix, MTU, DNS, router", () => {
  for (const [mode, managed, other, autonomous] of [
    ["slaac", false, false, true],
    ["dhcpv6-stateless", false, true, true],
    ["dhcpv6-stateful", true, false, false],
  ] as const) {
    const r = only(subnet(mode, mode), routerSolicitation());
    assert.equal(r.kind, "routerAdvertisement");
    if (r.kind !== "routerAdvertisement") continue;
    assert.equal(r.outcome, "ra");
    assert.equal(r.ipv6.src, serverLl);
    assert.equal(r.ipv6.dst, CLIENT_LL, "unicast to the solicitor");
    assert.equal(r.ipv6.hopLimit, 255);
    assert.equal(r.ethernet.src, serverMacOf(SUBNET));
    assert.equal(r.ethernet.dst, MAC);
    const ra = r.routerAdvertisement;
    assert.deepEqual([ra.managed, ra.other], [managed, other], mode);
    assert.equal(ra.routerLifetime, 0, "no default router until Weir routes");
    const prefix = findNdOption(ra.options, "prefixInformation");
    assert.deepEqual(
      prefix && [prefix.prefix, prefix.onLink, prefix.autonomous],
      ["2001:db8:1::/64", true, autonomous],
      mode,
    );
    assert.equal(findNdOption(ra.options, "mtu")?.mtu, 1450);
    const rdnss = findNdOption(ra.options, "recursiveDnsServers");
    assert.deepEqual(rdnss?.servers, ["2001:db8::53"]);
    assert.equal(rdnss?.lifetime, 300, "three MaxRtrAdvIntervals (RFC 8106 §5.1)");
    assert.equal(findNdOption(ra.options, "sourceLinkLayerAddress")?.address, serverMacOf(SUBNET));
  }
  // From the unspecified address (no link-local yet): to all nodes.
  const fromNothing = only(subnet("slaac", "slaac"), routerSolicitation("::"));
  assert.equal(fromNothing.ipv6.dst, "ff02::1");
  // No RA mode: not ours to answer.
  assert.deepEqual(ask(subnet(null, "dhcpv6-stateful"), routerSolicitation()), {
    outcome: "ignored",
    replies: [],
  });
});

test("stateful DHCPv6: SOLICIT → ADVERTISE (REPLY with rapid commit), REQUEST/RENEW/REBIND → REPLY with the port's address", () => {
  const s = subnet("dhcpv6-stateful", "dhcpv6-stateful");
  const serverId: Dhcpv6Option = { kind: "serverId", duid: duidLinkLayer(serverMacOf(SUBNET)) };
  const check = (
    type: number,
    options: Dhcpv6Option[],
    want: number,
    outcome: string,
  ): readonly Dhcpv6Option[] | undefined => {
    const r = only(s, dhcpv6Request(type, options));
    assert.equal(r.kind, "dhcpv6");
    if (r.kind !== "dhcpv6") return;
    assert.equal(r.outcome, outcome);
    assert.equal(r.dhcpv6.messageType, want);
    assert.equal(r.dhcpv6.transactionId, 0xabcdef);
    assert.equal(r.ipv6.src, serverLl);
    assert.equal(r.ipv6.dst, CLIENT_LL);
    assert.deepEqual([r.udp.srcPort, r.udp.dstPort], [547, 546]);
    const o = r.dhcpv6.options;
    assert.deepEqual(findDhcpv6Option(o, "clientId")?.duid, CLIENT_DUID);
    assert.deepEqual(findDhcpv6Option(o, "serverId")?.duid, duidLinkLayer(serverMacOf(SUBNET)));
    if (["advertise", "reply", "renew", "rebind"].includes(outcome)) {
      assert.deepEqual(findDhcpv6Option(o, "dnsServers")?.servers, ["2001:db8::53"]);
      assert.deepEqual(findDhcpv6Option(o, "domainList")?.domains, ["openstacklocal"]);
    }
    return o;
  };
  const advertised = check(T.solicit, [clientId, iaNa(42)], T.advertise, "advertise")!;
  const ia = findDhcpv6Option(advertised, "iaNa");
  assert.equal(ia?.iaid, 42);
  assert.deepEqual([ia?.t1, ia?.t2], [43_200, 69_120]);
  const address = ia && findDhcpv6Option(ia.options, "iaAddress");
  assert.deepEqual(address && [address.address, address.preferredLifetime, address.validLifetime], [
    EUI64,
    86_400,
    86_400,
  ]);
  const rapid = check(T.solicit, [clientId, iaNa(42), { kind: "rapidCommit" }], T.reply, "reply")!;
  assert.ok(findDhcpv6Option(rapid, "rapidCommit"));
  for (const [type, outcome] of [
    [T.request, "reply"],
    [T.renew, "renew"],
  ] as const) {
    const replied: readonly Dhcpv6Option[] = check(type, [clientId, serverId, iaNa(42)], T.reply, outcome)!;
    const ia42 = findDhcpv6Option(replied, "iaNa");
    assert.equal(ia42 && findDhcpv6Option(ia42.options, "iaAddress")?.address, EUI64);
  }
  check(T.rebind, [clientId, iaNa(42)], T.reply, "rebind");
  // A second IA_NA gets none: one address per port.
  const two = check(T.solicit, [clientId, iaNa(1), iaNa(2)], T.advertise, "advertise")!;
  const second = two.filter((x) => x.kind === "iaNa")[1];
  assert.equal(
    second?.kind === "iaNa" && findDhcpv6Option(second.options, "statusCode")?.status,
    Dhcpv6Status.noAddrsAvail,
  );
  // CONFIRM: the port's address is on-link, another is not.
  const confirm = (addr: string) =>
    findDhcpv6Option(
      check(
        T.confirm,
        [
          clientId,
          {
            kind: "iaNa",
            iaid: 42,
            t1: 0,
            t2: 0,
            options: [
              { kind: "iaAddress", address: addr, preferredLifetime: 0, validLifetime: 0, options: [] },
            ],
          },
        ],
        T.reply,
        "confirm",
      )!,
      "statusCode",
    )?.status;
  assert.equal(confirm(EUI64), Dhcpv6Status.success);
  assert.equal(confirm("2001:db8:1::99"), Dhcpv6Status.notOnLink);
  check(T.release, [clientId, serverId, iaNa(42)], T.reply, "release");
  const declined = ask(s, dhcpv6Request(T.decline, [clientId, serverId, iaNa(42)]));
  assert.equal(declined.outcome, "decline");
  assert.ok(declined.log, "a DECLINE is logged");
});

test("stateless DHCPv6: INFORMATION-REQUEST → REPLY with DNS and domain; SOLICIT → NoAddrsAvail; SLAAC subnets: no DHCPv6", () => {
  const s = subnet("dhcpv6-stateless", "dhcpv6-stateless");
  const info = only(s, dhcpv6Request(T.informationRequest, [clientId]));
  assert.equal(info.kind === "dhcpv6" && info.dhcpv6.messageType, T.reply);
  assert.equal(info.outcome, "info");
  if (info.kind === "dhcpv6") {
    assert.deepEqual(findDhcpv6Option(info.dhcpv6.options, "dnsServers")?.servers, ["2001:db8::53"]);
    assert.equal(findDhcpv6Option(info.dhcpv6.options, "iaNa"), undefined);
  }
  const sol = only(s, dhcpv6Request(T.solicit, [clientId, iaNa(1)]));
  assert.equal(sol.kind === "dhcpv6" && sol.dhcpv6.messageType, T.advertise);
  if (sol.kind === "dhcpv6")
    assert.equal(findDhcpv6Option(sol.dhcpv6.options, "statusCode")?.status, Dhcpv6Status.noAddrsAvail);
  assert.deepEqual(ask(s, dhcpv6Request(T.request, [clientId, iaNa(1)])).replies, []);
  // Information requests may come without a client id (RFC 8415 §18.2.6).
  assert.equal(ask(s, dhcpv6Request(T.informationRequest, [])).replies.length, 1);
  const slaac = subnet("slaac", "slaac");
  assert.deepEqual(ask(slaac, dhcpv6Request(T.informationRequest, [clientId])), {
    outcome: "ignored",
    replies: [],
  });
});

test("another server's messages, missing ids, a spoofed MAC, malformed frames and unknown userdata get nothing, never a throw", () => {
  const s = subnet("dhcpv6-stateful", "dhcpv6-stateful");
  const other: Dhcpv6Option = { kind: "serverId", duid: duidLinkLayer("02:99:99:99:99:99") };
  const ours: Dhcpv6Option = { kind: "serverId", duid: duidLinkLayer(serverMacOf(SUBNET)) };
  // §16: a SOLICIT, CONFIRM or REBIND naming a server is discarded, even ours.
  for (const type of [T.solicit, T.confirm, T.rebind])
    assert.equal(ask(s, dhcpv6Request(type, [clientId, ours, iaNa(1)])).outcome, "malformed", `type ${type}`);
  // §18.3.3: a CONFIRM with no addresses gets no reply.
  assert.deepEqual(ask(s, dhcpv6Request(T.confirm, [clientId, iaNa(1)])), {
    outcome: "ignored",
    replies: [],
  });
  assert.equal(ask(s, dhcpv6Request(T.request, [clientId, other, iaNa(1)])).outcome, "other-server");
  assert.equal(ask(s, dhcpv6Request(T.solicit, [iaNa(1)])).outcome, "malformed", "no client id");
  assert.equal(ask(s, dhcpv6Request(T.request, [clientId, iaNa(1)])).outcome, "malformed", "no server id");
  assert.equal(ask(s, dhcpv6Request(T.solicit, [clientId, iaNa(1)], "fa:16:3e:00:00:99")).outcome, "spoofed");
  const good = dhcpv6Request(T.solicit, [clientId, iaNa(1)]);
  for (let cut = 0; cut < good.length; cut += 7) {
    const a = ask(s, good.subarray(0, cut));
    assert.equal(a.replies.length, 0, `cut at ${cut}`);
    assert.ok(["malformed", "spoofed"].includes(a.outcome), `cut at ${cut}: ${a.outcome}`);
  }
  const corrupt = Buffer.from(good);
  corrupt[corrupt.length - 3]! ^= 0xff;
  assert.equal(ask(s, corrupt).outcome, "malformed", "bad UDP checksum");
  assert.equal(
    answer({ bridge: "br-int", inPort: 7, frame: good, userdata: Buffer.from([9, 6, 0]) }).outcome,
    "unknown-userdata",
  );
});

test("a farewell RA offers no router, deprecates the prefix and ends the DNS servers; no MTU option below 1280", () => {
  const lease = decodeLease6(encodeLease6(leaseFor(subnet("slaac", "slaac"))!));
  const decoded = decodeFrame(routerAdvertisement(lease, "::", true));
  assert.equal(decoded.kind, "routerAdvertisement");
  if (decoded.kind !== "routerAdvertisement") return;
  assert.equal(decoded.ipv6.dst, "ff02::1");
  const ra = decoded.routerAdvertisement;
  assert.equal(ra.routerLifetime, 0);
  const prefix = findNdOption(ra.options, "prefixInformation");
  assert.deepEqual(
    prefix && [prefix.preferredLifetime, prefix.validLifetime],
    [0, 7200],
    "RFC 4862 §5.5.3 e",
  );
  assert.equal(findNdOption(ra.options, "recursiveDnsServers")?.lifetime, 0);
  const small = decodeFrame(routerAdvertisement({ ...lease, mtu: 1000 }, "::"));
  assert.ok(
    small.kind === "routerAdvertisement" &&
      findNdOption(small.routerAdvertisement.options, "mtu") === undefined,
  );
});

test("the advertiser: three quick RAs for a new or changed VIF, then between a third of the interval and all of it; a farewell when it stops", () => {
  let r = 1; // the longest interval, 30 s; but the initial ones are at most 16 s apart
  const advertiser = new Advertiser(() => r);
  const ra = (n: number) => Buffer.from([n]);
  const sent = (bridge: string, now: number) =>
    advertiser.due(bridge, now, 30).map((x) => [x.outPort, x.frame[0]]);
  advertiser.set("tap1", { bridge: "br-int", ofport: 5, frame: ra(1), farewell: ra(9) }, 0);
  assert.deepEqual(sent("br-other", 0), [], "only on its bridge");
  assert.deepEqual(sent("br-int", 0), [[5, 1]], "at once");
  assert.deepEqual(sent("br-int", 15_999), []);
  assert.deepEqual(sent("br-int", 16_000), [[5, 1]]);
  assert.deepEqual(sent("br-int", 32_000), [[5, 1]], "the third initial one");
  assert.deepEqual(sent("br-int", 61_999), [], "then the full interval");
  r = 0; // the shortest: a third of it
  assert.deepEqual(sent("br-int", 62_000), [[5, 1]]);
  assert.deepEqual(sent("br-int", 71_999), []);
  assert.deepEqual(sent("br-int", 72_000), [[5, 1]]);
  // Planned again unchanged: the schedule stands; changed: a new burst at once.
  advertiser.set("tap1", { bridge: "br-int", ofport: 5, frame: ra(1), farewell: ra(9) }, 72_001);
  assert.deepEqual(sent("br-int", 72_001), []);
  advertiser.set("tap1", { bridge: "br-int", ofport: 5, frame: ra(2), farewell: ra(9) }, 72_002);
  assert.deepEqual(sent("br-int", 72_002), [[5, 2]]);
  // Stopped while the VIF is there: its farewell, once; removed VIFs hear nothing.
  advertiser.stop("tap1", true);
  assert.deepEqual(sent("br-int", 80_000), [[5, 9]]);
  assert.deepEqual(sent("br-int", 200_000), []);
  advertiser.set("tap2", { bridge: "br-int", ofport: 6, frame: ra(3), farewell: ra(8) }, 0);
  advertiser.stop("tap2", false);
  assert.deepEqual(sent("br-int", 300_000), []);
  assert.equal(advertiser.has("tap2"), false);
});

test("IPv6 extra_dhcp_opts: dns-server and domain-search (by name or number) replace the subnet's; misfits are not sent", () => {
  const withOpts = (opts: { opt_name: string; opt_value: string | null; ip_version: 4 | 6 }[]) =>
    details(uuid(1), uuid(0x100), {
      mac_address: MAC,
      fixed_ips: [{ subnet_id: SUBNET, ip_address: EUI64 }],
      extra_dhcp_opts: opts,
    });
  const s = subnet("dhcpv6-stateless", "dhcpv6-stateless");
  const lease = leaseFor(
    s,
    withOpts([
      { opt_name: "dns-server", opt_value: "[2001:db8::99], 2001:db8::98", ip_version: 6 },
      { opt_name: "24", opt_value: "example.org.,lab.example.org", ip_version: 6 },
      { opt_name: "dns-server", opt_value: "198.18.0.1", ip_version: 4 },
    ]),
  )!;
  assert.deepEqual(lease.dnsServers, ["2001:db8::99", "2001:db8::98"]);
  assert.deepEqual(lease.domains, ["example.org", "lab.example.org"]);
  assert.deepEqual(decodeLease6(encodeLease6(lease)).domains, ["example.org", "lab.example.org"]);
  const misfits = leaseFor(
    s,
    withOpts([
      { opt_name: "dns-server", opt_value: "not-an-address", ip_version: 6 },
      { opt_name: "domain-search", opt_value: "bad domain", ip_version: 6 },
      { opt_name: "domain-search", opt_value: null, ip_version: 6 },
    ]),
  )!;
  assert.deepEqual(misfits.dnsServers, ["2001:db8::53"], "the subnet's");
  assert.deepEqual(misfits.domains, ["openstacklocal"]);
});
