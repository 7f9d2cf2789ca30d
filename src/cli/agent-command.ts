import { Command } from "commander";
import { Agent, builtInExtensions, loadAgentConfig, loadExtensions } from "../agent/index.ts";

import { createLogger } from "./logger.ts";

export function agentCommand(): Command {
  return new Command("agent")
    .description(
      "run the Open vSwitch L2 agent of this host: bridges, local VLANs, port wiring, tunnels; restarts drop nothing",
    )
    .option(
      "--config <file>",
      "openvswitch_agent.ini-style file ([DEFAULT] host; [ovs]; [agent] (extensions = qos, …); [securitygroup]; [weir] server, token, metrics_listen)",
      "/etc/weir/agent.ini",
    )
    .option(
      "--check-config",
      "validate the configuration file (and load its extensions) and exit; touches nothing",
    )
    .addHelpText(
      "after",
      `
Exit codes: 0 stopped by SIGTERM/SIGINT (OVS left exactly as it is), 1 failure, 2 bad configuration
or a pipeline whose features contradict each other (nothing was changed). Extensions: built in ${builtInExtensions.join(", ")}, or
the path of a module exporting createFeature(api) (docs/EXTENSIONS.md). Logs are JSON lines (pretty on
a terminal); WEIR_LOG_LEVEL=debug for more.`,
    )
    .action(async (options: { config: string; checkConfig?: boolean }) => {
      const config = loadAgentConfig(options.config);
      const extensions = await loadExtensions(config);
      if (options.checkConfig) {
        const names = extensions.map((f) => f.name);
        process.stdout.write(
          `${options.config}: OK (host ${config.host}, ${describe(config)}${names.length > 0 ? `, extensions ${names.join(",")}` : ""})\n`,
        );
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
      agent = await Agent.start({ config, log, extensions, signal: abort.signal });
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
