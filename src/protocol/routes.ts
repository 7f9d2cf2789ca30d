/**
 * The agent channel's paths, defined once: the server registers them, the agent calls them and
 * docs/PROTOCOL.md lists them from here.
 */
export const AgentRoutes = {
  reportState: "/agent/v1/report-state",
  sync: "/agent/v1/sync",
  deviceDetails: "/agent/v1/devices/details",
  deviceStatus: "/agent/v1/devices/status",
  stream: "/agent/v1/stream",
} as const;
export type AgentRoute = (typeof AgentRoutes)[keyof typeof AgentRoutes];
