/**
 * DHCP answered by the agent (`[agent] extensions = dhcp`): every VIF on a subnet with enable_dhcp gets
 * its address, routes, DNS and MTU from flows on its own host — no dnsmasq, no radvd, no namespace,
 * nothing to respawn. A VIF's leases (IPv4: lease.ts; IPv6: lease6.ts) are computed from what the server
 * sent and carried in its punt flows (flows.ts, userdata.ts, userdata6.ts), so the agent answers a
 * request (responder.ts, responder6.ts) from the packet alone: while a pass runs, while the server is
 * away, and — from the previous run's flows — as soon as a restarted agent has its punt session, before
 * it has read OVSDB or heard from the server. Unsolicited router advertisements go out as the
 * advertiser schedules them (advertiser.ts), from the IPv6 leases the last passes planned.
 */

import type { DhcpSubnetInfo } from "../../../protocol/index.ts";
import { Section } from "../../../protocol/index.ts";
import { DocPort } from "../../pipeline/doc-ports.ts";
import {
  type Feature,
  type FeatureContext,
  on,
  type VifContext,
  type VifPlan,
} from "../../pipeline/feature.ts";
import { Advertiser } from "./advertiser.ts";
import { type DhcpConfig, defaultDhcpConfig, parseDhcpConfig } from "./config.ts";
import { DHCP_METER_IDS, DHCP_TABLE, dhcpFlows, dhcpMeter, dhcpv6Flows } from "./flows.ts";
import { type Lease, leaseOf } from "./lease.ts";
import { type Lease6, lease6Of } from "./lease6.ts";
import { answer } from "./responder.ts";
import { answerV6, routerAdvertisement } from "./responder6.ts";
import { encodeLease } from "./userdata.ts";
import { decodeLease6, encodeLease6, isLease6 } from "./userdata6.ts";

/** How often the advertiser is asked what is due (its schedule is finer than MaxRtrAdvInterval). */
const ADVERTISER_TICK_MS = 1_000;

function plan(
  vif: VifContext,
  ctx: FeatureContext,
  config: DhcpConfig,
  advertiser: Advertiser,
): VifPlan | undefined {
  if (vif.state === "dead") advertiser.stop(vif.iface, false);
  // A kept VIF (the server away) keeps its flows, and its RAs with them.
  if (vif.state !== "wired" || vif.details === undefined) return undefined;
  const bridge = ctx.host.integrationBridge;
  const subnet = (id: string) => ctx.section<DhcpSubnetInfo>(Section.dhcpSubnet, id);
  const lease = leaseOf(vif.details, subnet, config);
  const lease6 = lease6Of(vif.details, subnet, config);
  const userdata6 = lease6 === undefined ? undefined : encodeLease6(lease6);
  const flows = [
    ...(lease === undefined ? [] : dhcpFlows(vif.ofport, lease.clientMac, encodeLease(lease))),
    ...(lease6 === undefined || userdata6 === undefined
      ? []
      : dhcpv6Flows(vif.ofport, lease6.clientMac, userdata6, {
          advertise: lease6.advertise,
          dhcpv6: lease6.dhcpv6 !== "none",
        })),
  ];
  // Built through the carried form, so a periodic RA says what a solicited one says; only once the
  // flows are built, so a lease that cannot be encoded leaves no RA behind.
  if (lease6?.advertise && userdata6 !== undefined) {
    const carried = decodeLease6(userdata6);
    advertiser.set(
      vif.iface,
      {
        bridge,
        ofport: vif.ofport,
        frame: routerAdvertisement(carried, "::"),
        farewell: routerAdvertisement(carried, "::", true),
      },
      Date.now(),
    );
  } else advertiser.stop(vif.iface, true);
  if (flows.length === 0) return { flows: new Map(), meters: new Map([[bridge, []]]) };
  return { flows: on(bridge, flows), meters: new Map([[bridge, [dhcpMeter(vif.ofport, config)]]]) };
}

const exampleLease: Lease = {
  clientMac: "fa:16:3e:00:00:01",
  address: "198.18.0.5",
  prefixLength: 24,
  serverIp: "198.18.0.1",
  serverMac: "02:11:22:33:44:55",
  leaseSeconds: 86_400,
  nextServer: undefined,
  options: new Map([
    [1, { kind: "ips", ips: ["255.255.255.0"] }],
    [3, { kind: "ips", ips: ["198.18.0.1"] }],
    [26, { kind: "u16", value: 1450 }],
  ]),
};

const exampleLease6: Lease6 = {
  clientMac: "fa:16:3e:00:00:01",
  serverMac: "02:11:22:33:44:55",
  prefix: "2001:db8:1::",
  prefixLength: 64,
  address: "2001:db8:1:0:f816:3eff:fe00:1",
  advertise: true,
  managed: false,
  other: false,
  autonomous: true,
  routerLifetime: 0,
  raIntervalSeconds: 100,
  dhcpv6: "none",
  mtu: 1450,
  leaseSeconds: 86_400,
  dnsServers: [],
  domains: ["openstacklocal"],
};

export function dhcpFeature(): Feature {
  let config = defaultDhcpConfig;
  const advertiser = new Advertiser();
  return {
    name: "dhcp",
    summary:
      "DHCPv4, DHCPv6 and router advertisements answered on the host from flows that carry each port's lease",
    tables: [
      {
        bridge: "int",
        number: DHCP_TABLE,
        name: "DHCP",
        purpose:
          "DHCPv4 and DHCPv6 requests, and router solicitations where the RAs are ours, from VIFs with a lease: from the VIF's own MAC to the agent through the VIF's meter, with the lease as userdata; other DHCP requests dropped.",
        miss: (ctx) => ctx.next(),
      },
    ],
    stage: { kind: "filter", table: DHCP_TABLE },
    meterIds: DHCP_METER_IDS,
    sections: [Section.dhcpSubnet],
    onConfigLoaded(section) {
      config = parseDhcpConfig(section);
    },
    vif: (vif, ctx) => plan(vif, ctx, config, advertiser),
    onPortRemoved: (iface) => advertiser.stop(iface, false),
    punt: (packet) => (isLease6(packet.userdata) ? answerV6(packet) : answer(packet)),
    unsolicited: {
      everyMs: ADVERTISER_TICK_MS,
      frames: (bridge) => advertiser.due(bridge, Date.now(), config.raIntervalSeconds),
    },
    examples: (ctx) => [
      {
        title: "a VIF with a lease on 198.18.0.0/24 (its meter: 131072 + ofport)",
        flows: on(
          ctx.host.integrationBridge,
          dhcpFlows(DocPort.tap, exampleLease.clientMac, encodeLease(exampleLease)),
        ),
      },
      {
        title: "the same VIF with a SLAAC subnet whose RAs are ours (ipv6_ra_mode slaac)",
        flows: on(
          ctx.host.integrationBridge,
          dhcpv6Flows(DocPort.tap, exampleLease6.clientMac, encodeLease6(exampleLease6), {
            advertise: true,
            dhcpv6: false,
          }),
        ),
      },
    ],
  };
}
