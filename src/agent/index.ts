// The agent module: the only way in (others import this file, never a deep path). Extensions need only
// the types exported here, and get everything else from the ExtensionApi object the agent hands them.
export { Agent, type AgentOptions } from "./agent.ts";
export { type AgentConfig, loadAgentConfig, parseAgentConfig } from "./config.ts";
export type { ExtensionApi } from "./extensions/api.ts";
export { builtInExtensions, type ExtensionModule, loadExtensions } from "./extensions/load.ts";
export { AgentMetrics } from "./metrics.ts";
export { renderPipelineDocument } from "./pipeline/document.ts";
export type {
  BandDecl,
  BridgeKind,
  Feature,
  FeatureContext,
  FeatureExample,
  FlowsByBridge,
  HostContext,
  NetworkContext,
  RemotePortContext,
  ReplicaColumns,
  StageDecl,
  StageKind,
  TableDecl,
  TunnelPortContext,
  VifContext,
  VifPlan,
  VifRows,
} from "./pipeline/feature.ts";
export { PipelineError } from "./pipeline/pipeline.ts";
export { AGENT_LOCK, type FeatureReport, type StartupReport } from "./startup.ts";
