/**
 * The answer to a punted DHCPv4 request, from the request and the lease its flow carried (RFC 2131):
 * DISCOVER → OFFER; REQUEST → ACK for the lease's address, NAK for any other, nothing when the client
 * chose another server; INFORM → ACK with the options only; RELEASE and DECLINE are logged (the address
 * is the port's: nothing to free or to take back). Replies go where §4.1 says: broadcast for a NAK and
 * for a client that asked for it, else unicast to the client's address (ciaddr when it has one).
 * Malformed requests are an outcome, never a throw.
 */
import {
  BootpOp,
  buildDhcpv4Frame,
  buildDhcpv4ReplyOptions,
  DhcpPort,
  type Dhcpv4Message,
  Dhcpv4MessageType,
  type Dhcpv4Option,
  decodeFrame,
  dhcpv4ClientMac,
  findDhcpv4Option,
  formatIpv4,
} from "../../../packet/index.ts";
import type { PuntAnswer, PuntedPacket } from "../../pipeline/feature.ts";
import { nothing, readPunted } from "./punt-answers.ts";
import { type CarriedLease, decodeLease } from "./userdata.ts";

const BROADCAST_IP = "255.255.255.255";
const BROADCAST_MAC = "ff:ff:ff:ff:ff:ff";
const NO_ADDRESS = "0.0.0.0";
const INFINITE = 0xffffffff;

const Opt = { requestedIp: 50, messageType: 53, serverId: 54, message: 56, clientId: 61 } as const;

function optionIp(message: Dhcpv4Message, code: number): string | undefined {
  const o = findDhcpv4Option(message, code);
  return o !== undefined && o.data.length === 4 ? formatIpv4(o.data) : undefined;
}

interface Request {
  readonly frame: { readonly src: string };
  readonly dhcp: Dhcpv4Message;
  readonly type: number;
}

/** The request in a punted frame; a PacketDecodeError (or a string saying why) when it is not one. */
function readRequest(frame: Buffer): Request | string {
  const decoded = decodeFrame(frame);
  if (decoded.kind !== "dhcpv4") return decoded.kind === "other" ? decoded.reason : decoded.kind;
  const { ethernet: eth, udp, dhcpv4: dhcp } = decoded;
  if (eth.vlanTags.length > 0) return "tagged";
  if (udp.srcPort !== DhcpPort.v4Client || udp.dstPort !== DhcpPort.v4Server) return "udpPort";
  if (dhcp.op !== BootpOp.request) return "not-request";
  const type = findDhcpv4Option(dhcp, Opt.messageType);
  if (type === undefined || type.data.length !== 1) return "no-message-type";
  return { frame: eth, dhcp, type: type.data[0]! };
}

export function answer(packet: PuntedPacket): PuntAnswer {
  let lease: CarriedLease;
  try {
    lease = decodeLease(packet.userdata);
  } catch {
    // Not this run's layout: a flow of another version, replaced by the next swap.
    return nothing("unknown-userdata");
  }
  const read = readPunted(packet, readRequest, "malformed DHCP request dropped");
  if ("answer" in read) return read.answer;
  const request = read.value;
  if (typeof request === "string")
    return nothing("malformed", {
      message: "punted packet is no DHCP request",
      fields: { port: packet.inPort, reason: request },
    });
  const { dhcp, type } = request;
  // The flow matched the port's MAC as the frame's source; the client's own idea of itself must agree.
  if (dhcpv4ClientMac(dhcp) !== lease.clientMac || request.frame.src !== lease.clientMac)
    return nothing("spoofed", {
      message: "DHCP request for another MAC dropped",
      fields: { port: packet.inPort, chaddr: dhcpv4ClientMac(dhcp) ?? "not ethernet" },
    });
  switch (type) {
    case Dhcpv4MessageType.discover:
      return reply(packet, lease, dhcp, Dhcpv4MessageType.offer, "offer");
    case Dhcpv4MessageType.request: {
      const server = optionIp(dhcp, Opt.serverId);
      // SELECTING another server's offer: not ours to answer (RFC 2131 §4.3.2).
      if (server !== undefined && server !== lease.serverIp) return nothing("other-server");
      const wanted =
        optionIp(dhcp, Opt.requestedIp) ?? (dhcp.ciaddr !== NO_ADDRESS ? dhcp.ciaddr : undefined);
      if (wanted === lease.address) return reply(packet, lease, dhcp, Dhcpv4MessageType.ack, "ack");
      return reply(packet, lease, dhcp, Dhcpv4MessageType.nak, "nak");
    }
    case Dhcpv4MessageType.inform:
      return reply(packet, lease, dhcp, Dhcpv4MessageType.ack, "inform");
    case Dhcpv4MessageType.release:
      return nothing("release", {
        message: "DHCP release (the address stays the port's)",
        fields: { port: packet.inPort, address: dhcp.ciaddr },
      });
    case Dhcpv4MessageType.decline:
      return nothing("decline", {
        message: "DHCP decline: the client found its address in use on the link",
        fields: { port: packet.inPort, address: optionIp(dhcp, Opt.requestedIp) ?? "unknown" },
      });
    default:
      return nothing("ignored");
  }
}

function reply(
  packet: PuntedPacket,
  lease: CarriedLease,
  request: Dhcpv4Message,
  type: number,
  outcome: string,
): PuntAnswer {
  const nak = type === Dhcpv4MessageType.nak;
  const inform = outcome === "inform";
  // The lease's options (none in a NAK, RFC 2131 Table 3), then the client identifier echoed (RFC 6842).
  const extra: Dhcpv4Option[] = nak
    ? [{ code: Opt.message, data: Buffer.from("requested address is not this port's") }]
    : [...lease.options];
  const clientId = findDhcpv4Option(request, Opt.clientId);
  if (clientId !== undefined) extra.push({ code: Opt.clientId, data: clientId.data });
  const timed = !nak && !inform;
  const finite = lease.leaseSeconds !== INFINITE;
  const options = buildDhcpv4ReplyOptions({
    messageType: type,
    serverIdentifier: lease.serverIp,
    ...(timed ? { leaseTime: lease.leaseSeconds } : {}),
    ...(timed && finite
      ? {
          renewalTime: Math.floor(lease.leaseSeconds / 2),
          rebindingTime: Math.floor((lease.leaseSeconds * 7) / 8),
        }
      : {}),
    extra,
  });
  const message: Dhcpv4Message = {
    op: BootpOp.reply,
    htype: request.htype,
    hlen: request.hlen,
    hops: 0,
    xid: request.xid,
    secs: 0,
    broadcast: request.broadcast,
    ciaddr: type === Dhcpv4MessageType.ack ? request.ciaddr : NO_ADDRESS,
    yiaddr: nak || inform ? NO_ADDRESS : lease.address,
    siaddr: nak ? NO_ADDRESS : lease.nextServer,
    giaddr: request.giaddr,
    chaddr: request.chaddr,
    sname: "",
    file: "",
    options,
  };
  // RFC 2131 §4.1: a NAK and a client that asked are broadcast; a client with an address gets unicast at
  // it; else the offered address, at the client's MAC (we build the frame, so no ARP entry is needed).
  let dstIp: string;
  let dstMac = lease.clientMac;
  if (nak || (request.broadcast && request.ciaddr === NO_ADDRESS)) {
    dstIp = BROADCAST_IP;
    dstMac = BROADCAST_MAC;
  } else if (request.ciaddr !== NO_ADDRESS) dstIp = request.ciaddr;
  else dstIp = lease.address;
  const frame = buildDhcpv4Frame({
    ethernet: { src: lease.serverMac, dst: dstMac },
    ipv4: { src: lease.serverIp, dst: dstIp, ttl: 64 },
    dhcpv4: message,
  });
  return { outcome, replies: [{ outPort: packet.inPort, frame }] };
}
