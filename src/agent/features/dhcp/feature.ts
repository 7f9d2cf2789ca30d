/**
 * DHCP answered by the agent (`[agent] extensions = dhcp`): every VIF on a subnet with enable_dhcp gets
 * its address, routes, DNS and MTU from flows on its own host — no dnsmasq, no namespace, nothing to
 * respawn. A VIF's lease is computed from what the server sent (lease.ts) and carried in its punt flow
 * (flows.ts, userdata.ts), so the agent answers a request (responder.ts) from the packet alone: while a
 * pass runs, while the server is away, and — from the previous run's flows — as soon as a restarted agent
 * has its punt session, before it has read OVSDB or heard from the server.
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
import { type DhcpConfig, defaultDhcpConfig, parseDhcpConfig } from "./config.ts";
import { DHCP_IPV4_TABLE, DHCP_METER_IDS, dhcpFlows, dhcpMeter } from "./flows.ts";
import { type Lease, leaseOf } from "./lease.ts";
import { answer } from "./responder.ts";
import { encodeLease } from "./userdata.ts";

function plan(vif: VifContext, ctx: FeatureContext, config: DhcpConfig): VifPlan | undefined {
  if (vif.state !== "wired" || vif.details === undefined) return undefined;
  const bridge = ctx.host.integrationBridge;
  const lease = leaseOf(vif.details, (id) => ctx.section<DhcpSubnetInfo>(Section.dhcpSubnet, id), config);
  if (lease === undefined) return { flows: new Map(), meters: new Map([[bridge, []]]) };
  return {
    flows: on(bridge, dhcpFlows(vif.ofport, lease.clientMac, encodeLease(lease))),
    meters: new Map([[bridge, [dhcpMeter(vif.ofport, config)]]]),
  };
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

export function dhcpFeature(): Feature {
  let config = defaultDhcpConfig;
  return {
    name: "dhcp",
    summary: "DHCPv4 answered on the host from flows that carry each port's lease",
    tables: [
      {
        bridge: "int",
        number: DHCP_IPV4_TABLE,
        name: "DHCP_IPV4",
        purpose:
          "DHCP requests from VIFs with a lease: from the VIF's own MAC to the agent through the VIF's meter, with the lease as userdata; others dropped.",
        miss: (ctx) => ctx.next(),
      },
    ],
    stage: { kind: "filter", table: DHCP_IPV4_TABLE },
    meterIds: DHCP_METER_IDS,
    sections: [Section.dhcpSubnet],
    onConfigLoaded(section) {
      config = parseDhcpConfig(section);
    },
    vif: (vif, ctx) => plan(vif, ctx, config),
    punt: answer,
    examples: (ctx) => [
      {
        title: "a VIF with a lease on 198.18.0.0/24 (its meter: 131072 + ofport)",
        flows: on(
          ctx.host.integrationBridge,
          dhcpFlows(DocPort.tap, exampleLease.clientMac, encodeLease(exampleLease)),
        ),
      },
    ],
  };
}
