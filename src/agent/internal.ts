// For the agent's own unit tests only: the parts they exercise one by one. Nothing outside test/ imports
// this (the import-graph test says so).
export { ServerClient } from "./control/client.ts";
export { keystoneCredentials, staticCredentials } from "./control/credentials.ts";
export { ControlState, isEmptyChange } from "./control/state.ts";
export { StatusReports } from "./control/status-reports.ts";
export { Converger, FEATURE_RETRY_MS, type FlowSink, type MeterSink } from "./converge/converger.ts";
export { assignClasses, formatClassRecord, parseClassRecord } from "./extensions/classes.ts";
export { removedMeterRanges } from "./extensions/removed.ts";
export { Advertiser } from "./features/dhcp/advertiser.ts";
export { defaultDhcpConfig, parseDhcpConfig } from "./features/dhcp/config.ts";
export { extraOption } from "./features/dhcp/extra-options.ts";
export { DHCP_METER_BASE, dhcpFlows, dhcpv6Flows } from "./features/dhcp/flows.ts";
export { type Lease, leaseOf, serverMacOf } from "./features/dhcp/lease.ts";
export { type Lease6, lease6Of } from "./features/dhcp/lease6.ts";
export { answer as dhcpAnswer } from "./features/dhcp/responder.ts";
export { answerV6 as dhcpv6Answer, routerAdvertisement } from "./features/dhcp/responder6.ts";
export { decodeLease, encodeLease, optionData } from "./features/dhcp/userdata.ts";
export { decodeLease6, encodeLease6 } from "./features/dhcp/userdata6.ts";
export { linkLocalOf } from "./features/firewall/addresses.ts";
export {
  ClauseMemos,
  collisions,
  conjunctionFlows,
  conjunctionId,
  keyOf,
} from "./features/firewall/conjunctions.ts";
export { antiSpoofingOnly, firewallPort, PortRenders } from "./features/firewall/port-flows.ts";
export { ruleFlows } from "./features/firewall/rule-flows.ts";
export { l4Matches, portMasks, rulePriority } from "./features/firewall/rules.ts";
export { allCoreFeatures, coreFeatures } from "./features/index.ts";
export { qos } from "./features/qos/feature.ts";
export { cleanup as qosCleanup } from "./features/qos/index.ts";
export {
  leftoverOperations,
  policingOperations,
  portQosOperations,
  vifQosClearOperations,
} from "./features/qos/ovsdb.ts";
export { portQos } from "./features/qos/rules.ts";
export { OvsView, replicaSpec } from "./host/ovs-view.ts";
export {
  parseTunnelPort,
  TUNNEL_NETWORKS_KEY,
  TUNNEL_REMOTE_HOST_KEY,
  tunnelPortName,
  wantedTunnelPorts,
} from "./host/tunnel-ports.ts";
export { dispatcherFlow } from "./pipeline/dispatcher.ts";
export { documentedPipeline } from "./pipeline/document.ts";
export { type LoadedFeature, Pipeline, PipelineError } from "./pipeline/pipeline.ts";
export { stageMark } from "./pipeline/registers.ts";
export { decideVif, type HostCapabilities, type PortFacts, unwireable } from "./ports/decisions.ts";
export {
  DEAD_VLAN,
  LocalVlanExhaustedError,
  LocalVlans,
  MAX_LVID,
  MIN_LVID,
  portNetworkKeys,
  type Segment,
  segmentFromOtherConfig,
  segmentToOtherConfig,
} from "./ports/local-vlans.ts";
export { classifyVifs, type InterfaceView, isVifCandidate } from "./ports/vifs.ts";
