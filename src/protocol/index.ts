// What the server and the agent share: the agent channel's paths, messages and change events. Nothing else.
export {
  AGENT_TYPE_OVS,
  AgentConfigurations,
  DeviceDetails,
  DeviceDetailsRequest,
  DeviceDetailsResponse,
  DeviceStatusRequest,
  DeviceStatusResponse,
  Endpoint,
  FdbEntry,
  FixedIp,
  isTunnelType,
  NetworkEndpoints,
  NetworkInfo,
  NetworkType,
  ReportStateRequest,
  ReportStateResponse,
  SyncRequest,
  SyncResponse,
  TunnelType,
} from "./agent-messages.ts";
export { DhcpSection, DhcpSubnetInfo, ExtraDhcpOpt, HostRoute, Ipv6Mode } from "./dhcp.ts";
export { renderProtocolDocument } from "./document.ts";
export {
  AddressGroupUpdated,
  DhcpSubnetDeleted,
  DhcpSubnetUpdated,
  EndpointsChanged,
  type EventKind,
  EventPayload,
  FdbRemoved,
  FdbUpdated,
  GroupMembersChanged,
  GroupMembersSet,
  NetworkDeleted,
  NetworkUpdated,
  PortDeleted,
  PortUnbound,
  PortUpdated,
  parseStreamEvent,
  QosPolicyDeleted,
  QosPolicyUpdated,
  type ReceivedEvent,
  ResyncNotice,
  SecurityGroupDeleted,
  SecurityGroupUpdated,
  StreamEvent,
} from "./events.ts";
export {
  BandwidthLimitRule,
  DscpMarkingRule,
  QosPolicyInfo,
  QosRule,
  QosSection,
} from "./qos.ts";
export { type AgentRoute, AgentRoutes } from "./routes.ts";
export {
  AddressGroupInfo,
  GroupMember,
  RemoteGroupMembers,
  SecurityGroupInfo,
  SecurityGroupRuleInfo,
  SecurityGroupsSection,
} from "./security-groups.ts";
export { type SseMessage, SseParser } from "./sse.ts";
export { FEATURE_NAME, Section } from "./values.ts";
