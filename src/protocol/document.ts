/** Renders docs/PROTOCOL.md from the schemas, so the document cannot drift from what is validated. */
import { z } from "zod";
import * as M from "./agent-messages.ts";
import * as D from "./dhcp.ts";
import * as E from "./events.ts";
import * as Q from "./qos.ts";
import { AgentRoutes } from "./routes.ts";
import * as S from "./security-groups.ts";

const schema = (s: z.ZodType) => `\`\`\`json\n${JSON.stringify(z.toJSONSchema(s), null, 2)}\n\`\`\``;

interface Call {
  readonly method: "GET" | "POST";
  readonly query?: string;
  readonly request: string;
  readonly response: string;
  readonly what: string;
}

/** Every route, documented (a route added to AgentRoutes without a row here does not compile). */
const calls: Record<keyof typeof AgentRoutes, Call> = {
  reportState: {
    method: "POST",
    request: "ReportStateRequest",
    response: "ReportStateResponse",
    what: "registers (`start_flag`) or heartbeats; a new or changed agent gets failed bindings on its host retried; its `configurations.extensions` say what it reads",
  },
  sync: {
    method: "POST",
    request: "SyncRequest",
    response: "SyncResponse",
    what: "a consistent snapshot of the host's bound ports, their networks and endpoints (and QoS policies, security groups, DHCP subnets), at `revision`",
  },
  deviceDetails: {
    method: "POST",
    request: "DeviceDetailsRequest",
    response: "DeviceDetailsResponse",
    what: "details of up to 1000 ports by id (and the QoS policies, security groups and subnets they use)",
  },
  deviceStatus: {
    method: "POST",
    request: "DeviceStatusRequest",
    response: "DeviceStatusResponse",
    what: "ports wired (ACTIVE) or unwired (DOWN) on this host",
  },
  stream: {
    method: "GET",
    query: "?host=H&since=R",
    request: "—",
    response: "Server-Sent Events",
    what: "every change after revision R that concerns host H",
  },
};

function routeTable(): string[] {
  return [
    "| call | request | response | what it does |",
    "| --- | --- | --- | --- |",
    ...Object.entries(calls).map(
      ([key, c]) =>
        `| \`${c.method} ${AgentRoutes[key as keyof typeof AgentRoutes]}${c.query ?? ""}\` | ${c.request} | ${c.response} | ${c.what} |`,
    ),
  ];
}

const evolution = [
  "## How the protocol evolves",
  "",
  "Server and agents are upgraded one at a time, so neither may assume the other's version:",
  "",
  "- **Requests are strict.** What an agent sends (the `…Request` schemas, `configurations` included) is",
  "  refused with a 400 naming the first unknown or malformed key: a typo is an error, not a silent default.",
  "- **Replies and events are tolerant.** Agents drop keys they do not know in replies and events, and new",
  "  fields are optional, so an agent reads what a newer server adds without understanding it.",
  "- **Unknown event kinds are skipped.** An agent counts an event of a kind it does not know as seen (its",
  "  revision advances) and does nothing else; a malformed event of a known kind is an error.",
  "- **Capabilities are declared.** An agent lists the features it reads in report-state as",
  "  `configurations.extensions` (Neutron's `[agent] extensions`); the server uses the last report of the",
  "  host's agent. A feature's fields, reply sections and events go only to agents that named it — `qos`",
  "  and `dhcp` today — and security groups only to agents that declared `extensions` (any, even none) and run",
  "  `firewall_driver = openvswitch`.",
  "- **First-protocol agents get first-protocol shapes.** An agent whose `configurations` have no",
  "  `extensions` key at all is of the first protocol, which refused unknown keys everywhere: it gets",
  "  exactly the shapes it knows (no `qos_policy_id`, no `qos` section, no `qos.*` events, nothing of DHCP).",
  "  So does an agent that declared `extensions` without `qos` as far as QoS goes, and without `dhcp` as far",
  "  as DHCP goes.",
  "",
];

const qos = [
  "## QoS",
  "",
  "For agents that declared `qos`:",
  "",
  "- every DeviceDetails (sync, devices/details, `port.updated`) carries `qos_policy_id`: the policy to",
  "  enforce on the port — its own, else its network's, except on the network's own ports (`device_owner`",
  "  `network:…` or `neutron:…`, router and DVR floating-IP gateways excepted), as Neutron decides — or null;",
  "- sync and devices/details replies carry `qos.policies`: every policy the returned ports use, with its",
  "  rules (QosPolicyInfo);",
  "- `qos.policy.updated` comes when a policy's rules change, to every host with bound ports enforcing it,",
  "  and just before a `port.updated` whose policy the host may not hold yet (at most once per host and",
  "  policy for one change), so the policy is known when the port names it;",
  "- a network's policy change sends `port.updated` for its bound ports whose effective policy changed;",
  "  such a port.updated repeats the port's `revision_number` (the port did not change): compare contents,",
  "  not revisions;",
  "- `qos.policy.deleted` comes to every qos agent when a policy is deleted (no port or network uses it",
  "  by then): forget it.",
  "",
  "Rules the agent does not know (a newer server's types) are dropped from a policy before validation.",
  "",
];

const dhcp = [
  "## DHCP",
  "",
  "For agents that declared `dhcp` (the others, the first protocol's included, get none of this):",
  "",
  "- every DeviceDetails (sync, devices/details, `port.updated`) carries `extra_dhcp_opts`: the port's extra",
  "  DHCP options (Neutron's `extra_dhcp_opt`: a name as dnsmasq knows it or a number, a value — empty only",
  "  for `router` and `classless-static-route` — and the IP version it is for), sorted by IP version then",
  "  name, `[]` for none; a change of them is a `port.updated` to the port's host;",
  "- sync and devices/details replies carry `dhcp.subnets`: every subnet of the returned ports' networks,",
  "  those with `enable_dhcp` false included (DhcpSubnetInfo, sorted by id): `gateway_ip` null when the",
  "  subnet has none, `dns_nameservers` and `host_routes` as the API stores them, the IPv6 modes, and the",
  "  subnet's `revision_number`;",
  "- before a `port.updated` for a port new to the host (created, bound or moved there), in the same commit:",
  "  `dhcp.subnet.updated` for each subnet of its network, unless another bound port of the host is on that",
  "  network (at most once per host and subnet for one change), so the subnets are known when the port",
  "  comes;",
  "- `dhcp.subnet.updated` when a subnet is created or changed, and `dhcp.subnet.deleted` when it is",
  "  deleted, to every such agent with a bound port on its network;",
  "- `dhcp.subnet.deleted` for each subnet of a network to a host whose last bound port on it was unbound,",
  "  moved away or deleted (after its `port.unbound` or `port.deleted`): forget them.",
  "",
  "A host holds a network's subnets while one of its bound ports is on that network.",
  "",
];

const securityGroups = [
  "## Security groups",
  "",
  "For agents that declared `extensions` and run `firewall_driver = openvswitch` (the others, the first",
  "protocol's included, get none of this):",
  "",
  "- every DeviceDetails carries `security_groups`: the port's groups, sorted (`[]` with port security off);",
  "- sync and devices/details replies carry the `security_groups` section: the groups of the returned ports",
  "  with their rules as the firewall applies them (SecurityGroupInfo), the members of every group those",
  "  rules name as `remote_group_id` — one entry per fixed IP of every port in it, bound or not, with the",
  "  port's MAC, and one per allowed address pair (an IP or a CIDR) — and the address groups they name;",
  "- before a `port.updated` for a port new to the host (created, bound or moved there, or with new groups),",
  "  in the same commit: `group_members.set` and `address_group.updated` for the remotes its new groups'",
  "  rules name, then `security_group.updated` for those groups — what the host does not hold already",
  "  through its other bound ports (a host may still be sent something it holds: apply it again);",
  "- `security_group.updated` when a group's rules or statefulness change, to every host with a bound port",
  "  in it, after `group_members.set` / `address_group.updated` for remotes that new rules name and the host",
  "  did not hold; `security_group.deleted` to every such agent when a group is deleted (the rules of other",
  "  groups that named it go with it: those groups' hosts get `security_group.updated`);",
  "- `group_members.changed` when a port joins or leaves a group, is created or deleted in it, or its fixed",
  "  IPs, MAC or address pairs change: the addresses added and removed (an address another member still has",
  "  is not removed), to every host holding the group as a remote, except a host sent its full list",
  "  (`group_members.set`) in the same commit. A change for a group the agent does not hold can be ignored;",
  "- `address_group.updated` when an address group changes, to every host holding it.",
  "",
  "A host holds a group when one of its bound ports is in it, and a remote when a rule of such a group",
  "names it. Nothing tells a host that it no longer needs something: it may forget what its ports no longer",
  "name.",
  "",
];

export function renderProtocolDocument(): string {
  const section = (title: string, s: z.ZodType, text: string) => `### ${title}\n\n${text}\n\n${schema(s)}\n`;
  return [
    "# The agent channel",
    "",
    "<!-- Generated by `npm run gen:protocol` from src/protocol/; a test fails when this file is stale. -->",
    "",
    "Agents talk to the server over HTTP on the same listener as the Networking API. Every request carries",
    "`X-Auth-Token`: the agent token (or the admin token) with static tokens, a Keystone token with the",
    "`service` or `admin` role with `auth_strategy = keystone`, nothing with `--noauth`. Bodies are JSON and are",
    "validated against the schemas below on both sides (see how the protocol evolves, below). Errors come",
    'as `{"NeutronError": {"type", "message", "detail"}}` with status 400 (invalid message), 401/403',
    "(token) or 5xx.",
    "",
    ...routeTable(),
    "",
    ...evolution,
    "## The event stream",
    "",
    `\`GET ${AgentRoutes.stream}\` answers \`text/event-stream\`. Each event is`,
    "",
    "```",
    "id: <revision>",
    "event: <kind>",
    'data: {"revision": <revision>, "event": <EventPayload>}',
    "```",
    "",
    "Revisions are committed in order (writers are serialized), so an agent that saw revision R has seen",
    "every earlier event meant for it. Start with the `revision` of a sync; after a dropped connection,",
    "reconnect with `Last-Event-ID: <last id>` and nothing is missed. Port and QoS events go to the host",
    "the port is (or was) bound to, security-group and DHCP events to the hosts whose ports need them;",
    "network, endpoint and fdb events go to every agent. A comment line (`: keepalive`) comes every 15 s. When the",
    "server no longer holds the events after R (it keeps `event_retention`), it sends one `event: resync`",
    "with a ResyncNotice and closes: sync again and reconnect from its revision.",
    "",
    ...qos,
    ...securityGroups,
    ...dhcp,
    "## Messages",
    "",
    section(
      "ReportStateRequest",
      M.ReportStateRequest,
      "`configurations` is what `GET /v2.0/agents` shows; binding uses bridge_mappings, tunnel_types, tunneling_ip, firewall_driver, datapath_type and integration_bridge; `extensions` (optional) lists the features the agent reads (`qos`, `dhcp`); with it, `firewall_driver = openvswitch` means the agent reads security groups.",
    ),
    section(
      "ReportStateResponse",
      M.ReportStateResponse,
      "`agent_down_time`: heartbeat more often than this, or be reported dead (and new bindings fail).",
    ),
    section("SyncRequest", M.SyncRequest, ""),
    section(
      "SyncResponse",
      M.SyncResponse,
      "`qos` and each port's `qos_policy_id`: agents that declared `qos` only. `security_groups` and each port's `security_groups`: agents that run the openvswitch firewall only. `dhcp` and each port's `extra_dhcp_opts`: agents that declared `dhcp` only.",
    ),
    section("DeviceDetailsRequest", M.DeviceDetailsRequest, ""),
    section(
      "DeviceDetailsResponse",
      M.DeviceDetailsResponse,
      "`failed` lists ports that do not exist or are not bound to this host. `qos`: agents that declared `qos` only. `security_groups`: agents that run the openvswitch firewall only. `dhcp`: agents that declared `dhcp` only.",
    ),
    section("DeviceStatusRequest", M.DeviceStatusRequest, ""),
    section("DeviceStatusResponse", M.DeviceStatusResponse, ""),
    section(
      "QosPolicyInfo",
      Q.QosPolicyInfo,
      "A policy's rules, as the sync and details `qos` section and `qos.policy.updated` carry them. `bandwidth_limit`: kbit/s and kbit, `egress` from the VM, `ingress` towards it; `dscp_marking`: the DSCP of IP packets the VM sends.",
    ),
    section(
      "SecurityGroupsSection",
      S.SecurityGroupsSection,
      "The `security_groups` section of sync and details replies. A rule's `protocol` is its IP protocol number (null: any); `port_range_min`/`port_range_max` as given (null: any; ICMP type and code); `remote_ip_prefix` the network of the rule's prefix (Neutron's normalized_cidr: 10.0.0.34/24 is 10.0.0.0/24), null for none or the whole address space; at most one of it, `remote_group_id` and `remote_address_group_id`. Members are sorted by IP then MAC, address groups' addresses as strings.",
    ),
    section(
      "DhcpSubnetInfo",
      D.DhcpSubnetInfo,
      "A subnet as the sync and details `dhcp` section and `dhcp.subnet.updated` carry it. `ipv6_address_mode` and `ipv6_ra_mode` are Neutron's (`slaac`, `dhcpv6-stateful`, `dhcpv6-stateless`, or null; both set means both equal); a subnet whose address mode (or, without one, RA mode) is `slaac` or `dhcpv6-stateless` gives its ports EUI-64 addresses from their MACs.",
    ),
    "## Events",
    "",
    section(
      "StreamEvent",
      E.StreamEvent,
      "The `data` of every event. Kinds: `port.updated` (bound here: wire or rewire it), `port.unbound` (moved away: unwire), `port.deleted`, `network.updated`, `network.deleted`, `endpoints.changed` (l2-population: the hosts with bound ports on a network and their tunnelling IPs — the full list each time), `fdb.updated` (a bound port appeared or its host, MAC or addresses changed — not for a status change) / `fdb.removed` (a bound port's host, MAC and IPs, for ARP responders), `qos.policy.updated` / `qos.policy.deleted` (agents that declared `qos` only), `security_group.updated` / `security_group.deleted`, `group_members.set` / `group_members.changed`, `address_group.updated` (openvswitch-firewall agents only, see Security groups), `dhcp.subnet.updated` / `dhcp.subnet.deleted` (agents that declared `dhcp` only, see DHCP).",
    ),
    section("ResyncNotice", E.ResyncNotice, ""),
  ].join("\n");
}
