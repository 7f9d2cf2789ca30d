/**
 * The answer to a punted IPv6 request, from the request and the lease its flow carried:
 *
 * - a router solicitation → a router advertisement (RFC 4861 §6.2.6), unicast to the soliciting host;
 * - DHCPv6 (RFC 8415 §18.3) on a stateful subnet: SOLICIT → ADVERTISE (REPLY when the client asked for
 *   rapid commit), REQUEST, RENEW and REBIND → REPLY with the port's address in the first IA_NA (any
 *   other IA_NA gets NoAddrsAvail), CONFIRM → Success when the addresses are the port's, else NotOnLink;
 *   RELEASE and DECLINE → Success (the address stays the port's), DECLINE logged;
 * - INFORMATION-REQUEST (stateful or stateless) → REPLY with DNS servers and the domain; a SOLICIT on a
 *   stateless subnet → ADVERTISE with NoAddrsAvail.
 *
 * Every reply carries our DUID-LL (of the subnet's server MAC) and the client's DUID; one naming another
 * server is not ours to answer. Answers come from the server MAC's link-local address. Malformed
 * requests are an outcome, never a throw.
 */
import {
  buildDhcpv6Frame,
  buildRouterAdvertisementFrame,
  DhcpPort,
  type Dhcpv6Message,
  Dhcpv6MessageType,
  type Dhcpv6Option,
  Dhcpv6Status,
  decodeFrame,
  duidLinkLayer,
  findDhcpv6Option,
  linkLocalOfMac,
  type NdOption,
  parseIpv6,
  parseMac,
} from "../../../packet/index.ts";
import type { PuntAnswer, PuntedPacket } from "../../pipeline/feature.ts";
import type { Lease6 } from "./lease6.ts";
import { nothing, readPunted } from "./punt-answers.ts";
import { decodeLease6 } from "./userdata6.ts";

const ALL_NODES = "ff02::1";
const INFINITE = 0xffffffff;
/** radvd's defaults for a prefix (AdvValidLifetime, AdvPreferredLifetime), which Neutron keeps. */
const PREFIX_LIFETIME = { valid: 86_400, preferred: 14_400 } as const;

const bytesEqual = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

export function answerV6(packet: PuntedPacket): PuntAnswer {
  let lease: Lease6;
  try {
    lease = decodeLease6(packet.userdata);
  } catch {
    return nothing("unknown-userdata");
  }
  const read = readPunted(packet, decodeFrame, "malformed IPv6 DHCP or router solicitation dropped");
  if ("answer" in read) return read.answer;
  const frame = read.value;
  const reason = (r: string) =>
    nothing("malformed", {
      message: "punted packet is no DHCPv6 request",
      fields: { port: packet.inPort, reason: r },
    });
  if (frame.ethernet.vlanTags.length > 0) return reason("tagged");
  if (frame.ethernet.src !== lease.clientMac)
    return nothing("spoofed", {
      message: "IPv6 request from another MAC dropped",
      fields: { port: packet.inPort, src: frame.ethernet.src },
    });
  if (frame.kind === "routerSolicitation") {
    if (!lease.advertise) return nothing("ignored");
    return {
      outcome: "ra",
      replies: [{ outPort: packet.inPort, frame: routerAdvertisement(lease, frame.ipv6.src) }],
    };
  }
  if (frame.kind !== "dhcpv6") return reason(frame.kind === "other" ? frame.reason : frame.kind);
  if (frame.udp.srcPort !== DhcpPort.v6Client || frame.udp.dstPort !== DhcpPort.v6Server)
    return reason("udpPort");
  return dhcpv6(packet, lease, frame.dhcpv6, frame.ipv6.src);
}

/** IPv6's minimum link MTU (RFC 8200 §5): hosts ignore an MTU option below it, so none is sent. */
const MIN_MTU = 1280;
/** RFC 4862 §5.5.3 e): an RA may not cut a prefix's valid lifetime below two hours. */
const FAREWELL_VALID = 7_200;

/**
 * The RA for this lease, to `dst` (a solicitation's source; the unspecified address: all nodes). A
 * farewell (RFC 4861 §6.2.5, when the RAs stop) offers no router and deprecates the prefix.
 */
export function routerAdvertisement(lease: Lease6, dst: string, farewell = false): Buffer {
  const options: NdOption[] = [
    { kind: "sourceLinkLayerAddress", address: lease.serverMac },
    ...(lease.mtu >= MIN_MTU ? [{ kind: "mtu", mtu: lease.mtu } as const] : []),
    {
      kind: "prefixInformation",
      prefix: `${lease.prefix}/${lease.prefixLength}`,
      onLink: true,
      autonomous: lease.autonomous,
      validLifetime: farewell ? FAREWELL_VALID : PREFIX_LIFETIME.valid,
      preferredLifetime: farewell ? 0 : PREFIX_LIFETIME.preferred,
    },
  ];
  // RFC 8106 §5.1: by default at least three MaxRtrAdvIntervals, so one lost RA costs nothing.
  if (lease.dnsServers.length > 0)
    options.push({
      kind: "recursiveDnsServers",
      lifetime: farewell ? 0 : 3 * lease.raIntervalSeconds,
      servers: lease.dnsServers,
    });
  return buildRouterAdvertisementFrame({
    ethernet: { src: lease.serverMac, dst: lease.clientMac },
    ipv6: { src: linkLocalOfMac(parseMac(lease.serverMac)), dst: dst === "::" ? ALL_NODES : dst },
    routerAdvertisement: {
      curHopLimit: 64,
      managed: lease.managed,
      other: lease.other,
      routerLifetime: farewell ? 0 : lease.routerLifetime,
      reachableTime: 0,
      retransTimer: 0,
      options,
    },
  });
}

/** §16: the messages that must name the server they are for, and those that must not name one. */
const NAMING: ReadonlySet<number> = new Set([
  Dhcpv6MessageType.request,
  Dhcpv6MessageType.renew,
  Dhcpv6MessageType.release,
  Dhcpv6MessageType.decline,
]);
const ANONYMOUS: ReadonlySet<number> = new Set([
  Dhcpv6MessageType.solicit,
  Dhcpv6MessageType.confirm,
  Dhcpv6MessageType.rebind,
]);

function dhcpv6(packet: PuntedPacket, lease: Lease6, request: Dhcpv6Message, src: string): PuntAnswer {
  const T = Dhcpv6MessageType;
  const clientId = findDhcpv6Option(request.options, "clientId");
  const serverId = findDhcpv6Option(request.options, "serverId");
  const ourId = duidLinkLayer(lease.serverMac);
  if (serverId !== undefined && !bytesEqual(serverId.duid, ourId)) return nothing("other-server");
  const type = request.messageType;
  if (clientId === undefined && type !== T.informationRequest) return nothing("malformed");
  if (lease.dhcpv6 === "none") return nothing("ignored");
  if (NAMING.has(type) && serverId === undefined) return nothing("malformed");
  if (ANONYMOUS.has(type) && serverId !== undefined) return nothing("malformed");
  const send = (messageType: number, options: Dhcpv6Option[], outcome: string, log?: PuntAnswer["log"]) => ({
    ...reply(packet, lease, request, src, messageType, [
      { kind: "serverId", duid: ourId },
      ...(clientId ? [clientId] : []),
      ...options,
    ]),
    outcome,
    ...(log ? { log } : {}),
  });
  if (type === T.informationRequest) return send(T.reply, configuration(lease), "info");
  if (lease.dhcpv6 === "stateless") {
    if (type !== T.solicit) return nothing("ignored");
    return send(
      T.advertise,
      [status(Dhcpv6Status.noAddrsAvail, "addresses are not assigned by DHCPv6 here")],
      "no-addresses",
    );
  }
  switch (type) {
    case T.solicit: {
      const rapid = findDhcpv6Option(request.options, "rapidCommit") !== undefined;
      const answer = [
        ...addresses(lease, request),
        ...configuration(lease),
        ...(rapid ? [{ kind: "rapidCommit" } as const] : []),
      ];
      return rapid ? send(T.reply, answer, "reply") : send(T.advertise, answer, "advertise");
    }
    case T.request:
    case T.renew:
    case T.rebind:
      return send(
        T.reply,
        [...addresses(lease, request), ...configuration(lease)],
        type === T.request ? "reply" : type === T.renew ? "renew" : "rebind",
      );
    case T.confirm: {
      const asked = request.options
        .flatMap((o) => (o.kind === "iaNa" ? o.options : []))
        .flatMap((o) => (o.kind === "iaAddress" ? [o.address] : []));
      // §18.3.3: with no addresses to confirm, no reply.
      if (asked.length === 0) return nothing("ignored");
      const ours = asked.every((a) => bytesEqual(parseIpv6(a), parseIpv6(lease.address)));
      return send(
        T.reply,
        [ours ? status(Dhcpv6Status.success, "") : status(Dhcpv6Status.notOnLink, "not this port's address")],
        "confirm",
      );
    }
    case T.release:
      return send(T.reply, [status(Dhcpv6Status.success, "")], "release");
    case T.decline:
      return send(T.reply, [status(Dhcpv6Status.success, "")], "decline", {
        message: "DHCPv6 decline: the client found its address in use on the link",
        fields: { port: packet.inPort, address: lease.address },
      });
    default:
      return nothing("ignored");
  }
}

const status = (code: number, message: string): Dhcpv6Option => ({
  kind: "statusCode",
  status: code,
  message,
});

function configuration(lease: Lease6): Dhcpv6Option[] {
  return [
    ...(lease.dnsServers.length > 0 ? [{ kind: "dnsServers", servers: lease.dnsServers } as const] : []),
    { kind: "domainList", domains: lease.domains },
  ];
}

/** The port's address in the request's first IA_NA; NoAddrsAvail for the others, and when there is none. */
function addresses(lease: Lease6, request: Dhcpv6Message): Dhcpv6Option[] {
  const ias = request.options.filter((o) => o.kind === "iaNa");
  if (ias.length === 0) return [status(Dhcpv6Status.noAddrsAvail, "only IA_NA addresses are assigned")];
  const seconds = lease.leaseSeconds;
  const finite = seconds !== INFINITE;
  return ias.map((ia, i) =>
    i === 0
      ? {
          kind: "iaNa",
          iaid: ia.iaid,
          // §21.4: T1 0.5 and T2 0.8 of the preferred lifetime; infinite for an infinite lease.
          t1: finite ? Math.floor(seconds / 2) : INFINITE,
          t2: finite ? Math.floor((seconds * 4) / 5) : INFINITE,
          options: [
            {
              kind: "iaAddress",
              address: lease.address,
              preferredLifetime: seconds,
              validLifetime: seconds,
              options: [],
            },
          ],
        }
      : {
          kind: "iaNa",
          iaid: ia.iaid,
          t1: 0,
          t2: 0,
          options: [status(Dhcpv6Status.noAddrsAvail, "one address per port")],
        },
  );
}

function reply(
  packet: PuntedPacket,
  lease: Lease6,
  request: Dhcpv6Message,
  dst: string,
  messageType: number,
  options: Dhcpv6Option[],
): Omit<PuntAnswer, "outcome"> {
  const frame = buildDhcpv6Frame({
    ethernet: { src: lease.serverMac, dst: lease.clientMac },
    ipv6: { src: linkLocalOfMac(parseMac(lease.serverMac)), dst, hopLimit: 255 },
    dhcpv6: { messageType, transactionId: request.transactionId, options },
  });
  return { replies: [{ outPort: packet.inPort, frame }] };
}
