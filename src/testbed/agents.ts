/**
 * Weir agents for testbed hosts, as real `weir agent` processes. An agent runs in the root namespace (it
 * reaches the host's OVS through the unix sockets in the host's run directory, and the server on
 * loopback); its pidfile and log live in that run directory, so a crashed run's agents are found and
 * stopped by the testbed's cleanup (cleanup.ts), by pid and only after checking the pid is still ours.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { StartupReport } from "../agent/index.ts";
import { WeirError, waitFor } from "../base/index.ts";
import type { HostInfo } from "./host.ts";
import { ovsPaths, vsctl } from "./ovs-daemons.ts";
import { stopWeirProcessIn } from "./processes.ts";
import { hostLinks } from "./underlay.ts";

/** One JSON log line of the agent (pino). */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

const cli = fileURLToPath(new URL("../cli/main.ts", import.meta.url));

export const AGENT_PIDFILE = "agent.pid";

/**
 * Node.js flags the agent runs with, as contrib/weir-agent.service sets them: V8 sizes the young
 * generation for the machine's memory (128 MiB reserved on a 24 GiB host, a quarter of it used); 16 MiB
 * semi-spaces cut the agent's RSS at 10,000 ports by about 60 MiB with no measurable resync cost
 * (docs/BENCHMARKS.md).
 */
export const AGENT_NODE_FLAGS = ["--max-semi-space-size=16"];
export const AGENT_LOG = "agent.log";
export const PHYSICAL_BRIDGE = "br-phys";
export const PHYSICAL_NETWORK = "physnet1";

export interface AgentSetup {
  readonly server: string;
  readonly token?: string;
  readonly tunnelTypes?: readonly ("vxlan" | "gre" | "geneve")[];
  /** Map physnet1 to br-phys (which must exist: addPhysicalBridge). */
  readonly physical?: boolean;
  /** More physical networks → bridges, mapped as well (the bridges must exist). */
  readonly moreMappings?: Readonly<Record<string, string>>;
  readonly arpResponder?: boolean;
  readonly l2Population?: boolean;
  readonly dropFlowsOnStart?: boolean;
  readonly reportInterval?: number;
  readonly metricsListen?: string;
  /** [agent] extensions (names or module paths). */
  readonly extensions?: readonly string[];
  /** [securitygroup] firewall_driver; noop (anti-spoofing only) unless a test is about the firewall. */
  readonly firewallDriver?: "openvswitch" | "noop";
  /** Extra lines appended verbatim (tests of bad configuration, extensions' sections). */
  readonly extra?: string;
}

/** The agent's host name for a testbed host: "<testbed>-h<N>". */
export const agentHostName = (testbed: string, host: HostInfo) => `${testbed}-${host.name}`;

export function agentConfigText(testbed: string, host: HostInfo, setup: AgentSetup): string {
  const lines = [
    "[DEFAULT]",
    `host = ${agentHostName(testbed, host)}`,
    "",
    "[ovs]",
    `integration_bridge = ${host.integrationBridge}`,
    `datapath_type = ${host.datapathType}`,
    `ovsdb_connection = ${host.ovsdb}`,
    `ovs_rundir = ${host.runDir}`,
    `local_ip = ${host.underlayIp}`,
    ...bridgeMappingsLine(setup),
    "",
    "[agent]",
    `tunnel_types = ${(setup.tunnelTypes ?? ["vxlan", "gre", "geneve"]).join(",")}`,
    `l2_population = ${setup.l2Population ?? true}`,
    `arp_responder = ${setup.arpResponder ?? false}`,
    `drop_flows_on_start = ${setup.dropFlowsOnStart ?? false}`,
    ...((setup.extensions ?? []).length > 0 ? [`extensions = ${setup.extensions!.join(", ")}`] : []),
    "",
    "[securitygroup]",
    `firewall_driver = ${setup.firewallDriver ?? "noop"}`,
    "",
    "[weir]",
    `server = ${setup.server}`,
    ...(setup.token ? [`token = ${setup.token}`] : []),
    `report_interval = ${setup.reportInterval ?? 2}`,
    ...(setup.metricsListen ? [`metrics_listen = ${setup.metricsListen}`] : []),
    "",
    setup.extra ?? "",
  ];
  return `${lines.join("\n")}\n`;
}

function bridgeMappingsLine(setup: AgentSetup): string[] {
  const mappings = [
    ...(setup.physical ? [`${PHYSICAL_NETWORK}:${PHYSICAL_BRIDGE}`] : []),
    ...Object.entries(setup.moreMappings ?? {}).map(([physnet, bridge]) => `${physnet}:${bridge}`),
  ];
  return mappings.length > 0 ? [`bridge_mappings = ${mappings.join(",")}`] : [];
}

/** The operator's part before an agent maps a physical network: br-phys holding the trunk NIC. */
export async function addPhysicalBridge(host: HostInfo): Promise<void> {
  await vsctl(ovsPaths(host.runDir), [
    "--may-exist",
    "add-br",
    PHYSICAL_BRIDGE,
    "--",
    "set",
    "Bridge",
    PHYSICAL_BRIDGE,
    `datapath_type=${host.datapathType}`,
    "--",
    "--may-exist",
    "add-port",
    PHYSICAL_BRIDGE,
    hostLinks.trunk,
  ]);
}

export interface AgentProcess {
  readonly host: HostInfo;
  readonly configPath: string;
  readonly logPath: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the start-up report once the agent logged it. */
  startupReport(timeoutMs?: number): Promise<StartupReport>;
  /** SIGTERM and wait; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
  /** This run's log lines (parsed JSON) so far. */
  logLines(): Promise<LogLine[]>;
  /** Let this process exit while the agent keeps running (`weir demo --keep`). */
  detach(): void;
}

/** Starts `weir agent --config <runDir>/agent.ini` for the host; the config is written first. */
export async function startAgent(
  testbed: string,
  host: HostInfo,
  setup: AgentSetup | { configText: string },
  options: { detached?: boolean; cli?: string; env?: Readonly<Record<string, string>> } = {},
): Promise<AgentProcess> {
  const configPath = join(host.runDir, "agent.ini");
  const logPath = join(host.runDir, AGENT_LOG);
  const pidfile = join(host.runDir, AGENT_PIDFILE);
  await writeFile(
    configPath,
    "configText" in setup ? setup.configText : agentConfigText(testbed, host, setup),
  );
  // The log is appended to across restarts; this run's lines start at the current end.
  const offset = await stat(logPath).then(
    (st) => st.size,
    () => 0,
  );
  const log = createWriteStream(logPath, { flags: "a" });
  await once(log, "open");
  const child = spawn(
    process.execPath,
    [...AGENT_NODE_FLAGS, options.cli ?? cli, "agent", "--config", configPath],
    {
      stdio: ["ignore", log, log],
      env: { ...process.env, WEIR_LOG_LEVEL: process.env.WEIR_AGENT_LOG_LEVEL ?? "info", ...options.env },
      // Own process group (the demo): a Ctrl-C reaches the demo, which stops the agents in order, and
      // `--keep` can leave them running after it exits.
      detached: options.detached ?? false,
    },
  );
  const exited = once(child, "exit").then(([code]) => code as number | null);
  if (child.pid === undefined)
    throw new WeirError("WEIR_AGENT_SPAWN", `could not start the agent for ${host.name}`);
  const pid = child.pid;
  await writeFile(pidfile, `${pid}\n`);
  // Read incrementally: tests poll this while probing at 1 ms, and re-parsing a growing log would cost CPU
  // that the userspace datapath of the testbed needs.
  const parsed: LogLine[] = [];
  let readUpTo = offset;
  let partial = "";
  const logLines = async () => {
    const handle = await open(logPath, "r").catch(() => undefined);
    if (handle === undefined) return parsed;
    try {
      const { size } = await handle.stat();
      if (size > readUpTo) {
        const chunk = Buffer.alloc(size - readUpTo);
        await handle.read(chunk, 0, chunk.length, readUpTo);
        readUpTo = size;
        const text = partial + chunk.toString("utf8");
        const end = text.lastIndexOf("\n");
        partial = text.slice(end + 1);
        parsed.push(...parseLog(text.slice(0, end + 1)));
      }
    } finally {
      await handle.close();
    }
    return parsed;
  };
  const finish = async () => {
    log.end();
    await rm(pidfile, { force: true });
  };
  void exited.then(finish);
  return {
    host,
    configPath,
    logPath,
    pid,
    child,
    logLines,
    startupReport: async (timeoutMs = 60_000) => {
      let exitCode: number | null | undefined;
      void exited.then((code) => {
        exitCode = code;
      });
      const line = await waitFor(
        async () => {
          const lines = await logLines();
          const found = lines.find(
            (l) => l.report !== undefined && String(l.msg).startsWith("start-up report"),
          );
          if (found !== undefined) return found;
          if (exitCode !== undefined) {
            const text = await readFile(logPath, "utf8").catch(() => "");
            throw new WeirError(
              "WEIR_AGENT_EXITED",
              `agent on ${host.name} exited (${exitCode}) before converging:\n${text.slice(-3000)}`,
            );
          }
          return undefined;
        },
        { timeoutMs, intervalMs: 50, what: `start-up report of the agent on ${host.name}` },
      );
      return line.report as StartupReport;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const code = await exited;
      return code;
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    detach: () => child.unref(),
  };
}

function parseLog(text: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // a line cut by a kill -9
    }
  }
  return lines;
}

/** Stops the agent whose pidfile is in `dir` (a host's run directory), if it is still ours. */
export function stopAgentIn(dir: string): Promise<string[]> {
  return stopWeirProcessIn(dir, AGENT_PIDFILE, "agent");
}
