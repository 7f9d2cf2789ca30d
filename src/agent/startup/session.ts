/**
 * The server session of this run: register and sync; events feed the converger; a later full snapshot
 * (after a reconnect) makes it look at everything again, and the first one after a start without the
 * server swaps generations.
 */
import type { AgentConfigurations, SyncResponse } from "../../protocol/index.ts";
import { type AgentParts, built } from "../agent.ts";
import { ServerSession } from "../control/session.ts";
import { swapAll } from "./swap.ts";

export function makeSession(parts: AgentParts): ServerSession {
  const { control, metrics, log, config } = parts;
  return new ServerSession(
    parts.server,
    {
      onSync: (snapshot) => onSync(parts, snapshot),
      onEvent: (event, revision) =>
        built(parts).converger.onControlChange(control.applyEvent(event, revision)),
      onReachability: (online) => {
        if (!online) metrics.reconnects.inc({ peer: "server" });
        else void parts.status?.flush();
      },
      configurations: () => configurations(parts),
    },
    log,
    config.reportInterval,
  );
}

/** A full snapshot from the server: everything is looked at again; the first one after start swaps. */
async function onSync(parts: AgentParts, snapshot: SyncResponse): Promise<void> {
  const started = performance.now();
  const change = parts.control.applySync(snapshot);
  parts.log.info(
    { revision: snapshot.revision, ports: snapshot.ports.length, networks: snapshot.networks.length },
    "synced with the server",
  );
  // The first sync of start-up is followed by runStartup itself (swap, report, measurement).
  if (!parts.running) return;
  const running = built(parts);
  running.converger.onControlChange(change);
  if (!parts.swapped) {
    const flows = await swapAll(running);
    parts.log.info({ flows }, "server back: previous generation replaced");
  }
  await running.converger.idle();
  parts.metrics.resyncSeconds.observe({ kind: "resync" }, (performance.now() - started) / 1000);
}

/** What the agent tells the server about itself (agent state's configurations). */
function configurations(parts: AgentParts): AgentConfigurations {
  const { config } = parts;
  return {
    bridge_mappings: { ...config.bridgeMappings },
    tunnel_types: [...config.tunnelTypes],
    tunneling_ip: config.localIp ?? null,
    integration_bridge: config.integrationBridge,
    datapath_type: config.datapathType,
    firewall_driver: config.firewallDriver,
    l2_population: config.l2Population,
    arp_responder: config.arpResponder,
    devices: parts.converger?.vifs.size ?? 0,
    extensions: (parts.pipeline?.features ?? []).filter((f) => f.extension).map((f) => f.feature.name),
  };
}
