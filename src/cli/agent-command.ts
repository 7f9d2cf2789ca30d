import { Command } from "commander";
import { Agent } from "../agent/agent.ts";
import { loadAgentConfig } from "../agent/config.ts";
import { createLogger } from "./logger.ts";

export function agentCommand(): Command {
  return new Command("agent")
    .description(
      "run the Open vSwitch L2 agent of this host: bridges, local VLANs, port wiring, tunnels; restarts drop nothing",
    )
    .option(
      "--config <file>",
      "openvswitch_agent.ini-style file ([DEFAULT] host; [ovs]; [agent]; [securitygroup]; [weir] server, token, metrics_listen)",
      "/etc/weir/agent.ini",
    )
    .option("--check-config", "validate the configuration file and exit; touches nothing")
    .addHelpText(
      "after",
      `
Exit codes: 0 stopped by SIGTERM/SIGINT (OVS left exactly as it is), 1 failure, 2 bad configuration
(nothing was changed). Logs are JSON lines (pretty on a terminal); WEIR_LOG_LEVEL=debug for more.`,
    )
    .action(async (options: { config: string; checkConfig?: boolean }) => {
      const config = loadAgentConfig(options.config);
      if (options.checkConfig) {
        process.stdout.write(`${options.config}: OK (host ${config.host}, ${describe(config)})\n`);
        return;
      }
      const log = createLogger("weir-agent");
      log.info({ config: options.config, host: config.host, server: config.server }, "weir agent starting");
      const abort = new AbortController();
      let agent: Agent | undefined;
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        abort.abort();
        log.info({ signal }, "stopping; bridges, ports and flows stay as they are");
        await agent?.stop();
        log.flush?.();
        process.exit(0);
      };
      process.once("SIGTERM", () => void stop("SIGTERM"));
      process.once("SIGINT", () => void stop("SIGINT"));
      agent = await Agent.start({ config, log, signal: abort.signal });
      if (stopping) await agent.stop();
    });
}

function describe(config: ReturnType<typeof loadAgentConfig>): string {
  const parts = [`integration bridge ${config.integrationBridge}`];
  const mappings = Object.entries(config.bridgeMappings);
  if (mappings.length > 0) parts.push(`bridge mappings ${mappings.map(([p, b]) => `${p}:${b}`).join(",")}`);
  if (config.tunnelTypes.length > 0)
    parts.push(`tunnels ${config.tunnelTypes.join(",")} from ${config.localIp}`);
  return parts.join(", ");
}
