// The OpenFlow module: OpenFlow 1.5 + Nicira extensions, flows as values, bundles, the flow monitor and
// desired-state reconciliation. Knows nothing of networks, ports or VLANs of a cloud.
export {
  type ApplyResult,
  BridgeFlows,
  type BridgeFlowsOptions,
  type Disturbance,
  type SwapResult,
} from "./bridge-flows.ts";
export {
  type FlowModRequest,
  OpenFlowConnection,
  type OpenFlowConnectionOptions,
  type SwitchStatus,
} from "./connection.ts";
export {
  CLASS_MASK,
  COOKIE_MAGIC,
  type CookieParts,
  classSelector,
  cookieParts,
  EXTENSION_CLASS_MAX,
  EXTENSION_CLASS_MIN,
  type FlowOwner,
  formatClassSelector,
  formatCookie,
  GENERATION_MASK,
  GENERATION_SELECT_MASK,
  generationCookie,
  isWeirCookie,
  LEARNED_CLASS,
  LEARNED_MASK,
  LEARNED_VALUE,
  learnedCookie,
  MAGIC_MASK,
  MAGIC_VALUE,
  makeCookie,
  nextGeneration,
  OWNER_MASK,
  ownerCookie,
  ownerId,
  ownerObject,
} from "./cookie.ts";
export { DesiredFlows, FlowConflictError, type FlowDelta } from "./desired.ts";
export {
  BundleError,
  MeterModError,
  OpenFlowDecodeError,
  OpenFlowError,
  OpenFlowTransportError,
} from "./errors.ts";
export {
  BridgeMeters,
  MeterConflictError,
  type MeterDelta,
  type MeterIdRange,
  type MeterReconcileOptions,
  type MeterReconcileResult,
  meterRangesWithout,
} from "./meters.ts";
export type { Action, LearnSpec, NatSpec, Subfield } from "./model/actions.ts";
export * as actions from "./model/actions.ts";
export { actionsEqual, flowBodyEqual } from "./model/equality.ts";
export { DEFAULT_PRIORITY, type Flow, type FlowSpec, flow, flowKey } from "./model/flow.ts";
export { formatMatch, type Match, type MatchField, type MatchSpec, match, matchKey } from "./model/match.ts";
export {
  canonicalMeter,
  formatMeter,
  type Meter,
  type MeterBand,
  type MeterBandSpec,
  type MeterSpec,
  type MeterUnit,
  meter,
  meterEqual,
} from "./model/meter.ts";
export { formatActions, formatFlow } from "./model/ofctl-text.ts";
export { FlowModCommand, METER_MAX, MeterModCommand, Port } from "./wire/constants.ts";
export type { FlowStats, FlowUpdate, FullFlowUpdate } from "./wire/messages.ts";
export type { MeterCapability, MeterFeatures, MeterStats } from "./wire/meter-messages.ts";
export {
  type PacketIn,
  PacketInReason,
  type PacketOut,
  packetInPort,
} from "./wire/packet-messages.ts";
