// What the server and the agent share: the agent channel's messages and the change events. Nothing else.
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
  NetworkEndpoints,
  NetworkInfo,
  NetworkType,
  ReportStateRequest,
  ReportStateResponse,
  SyncRequest,
  SyncResponse,
} from "./agent-messages.ts";
export {
  EndpointsChanged,
  EventPayload,
  FdbRemoved,
  FdbUpdated,
  NetworkDeleted,
  NetworkUpdated,
  PortDeleted,
  PortUnbound,
  PortUpdated,
  ResyncNotice,
  StreamEvent,
} from "./events.ts";
export { type SseMessage, SseParser } from "./sse.ts";
