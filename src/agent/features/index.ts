// The agent's core features, chosen by the configuration (no registry: the agent builds its list).
import type { AgentConfig } from "../config.ts";
import type { Feature } from "../pipeline/feature.ts";
import { arpResponder } from "./arp-responder.ts";
import { deadPorts } from "./dead-ports.ts";
import { firewall } from "./firewall/feature.ts";
import { l2Base } from "./l2-base.ts";
import { l2pop } from "./l2pop.ts";
import { provider } from "./provider.ts";
import { tunnels } from "./tunnels.ts";

export { IntTable, PhysTable } from "./l2-base.ts";
export { TunTable } from "./tunnels.ts";

/** The L2 features this configuration runs. */
export function coreFeatures(config: AgentConfig): Feature[] {
  const tunnelling = config.tunnelTypes.length > 0;
  return [
    l2Base,
    deadPorts,
    ...(Object.keys(config.bridgeMappings).length > 0 ? [provider] : []),
    ...(tunnelling ? [tunnels] : []),
    ...(tunnelling && config.l2Population ? [l2pop] : []),
    ...(tunnelling && config.arpResponder ? [arpResponder] : []),
    firewall(config.firewallDriver),
  ];
}

/** Every core feature, whatever the configuration (the pipeline document shows them all). */
export const allCoreFeatures: readonly Feature[] = [
  l2Base,
  deadPorts,
  provider,
  tunnels,
  l2pop,
  arpResponder,
  firewall("openvswitch"),
];
