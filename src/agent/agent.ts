/**
 * The agent's life: start-up in an order that never disturbs a forwarding data plane (startup.ts), then
 * the converger and the server session running until SIGTERM — which stops the agent and touches nothing.
 * This file builds the parts and holds them; what each does is in its own module.
 */
import type { Server } from "node:http";
import { type Log, WeirError } from "../base/index.ts";
import type { BridgeFlows, BridgeMeters, OpenFlowConnection } from "../openflow/index.ts";
import type { VswitchDb } from "../ovs/index.ts";
import type { OvsdbClient } from "../ovsdb/index.ts";
import type { AgentConfig } from "./config.ts";
import { ServerClient } from "./control/client.ts";
import { keystoneCredentials, staticCredentials } from "./control/credentials.ts";
import type { ServerSession } from "./control/session.ts";
import { ControlState } from "./control/state.ts";
import type { StatusReports } from "./control/status-reports.ts";
import type { Converger, VifRecord } from "./converge/converger.ts";
import type { AgentBridge } from "./host/bridges.ts";
import type { OvsView } from "./host/ovs-view.ts";
import { AgentMetrics } from "./metrics.ts";
import type { Observer } from "./observe.ts";
import type { Feature } from "./pipeline/feature.ts";
import type { Pipeline } from "./pipeline/pipeline.ts";
import { LocalVlans } from "./ports/local-vlans.ts";
import { openSwitch, runStartup, type StartupReport } from "./startup.ts";

export interface AgentOptions {
  readonly config: AgentConfig;
  readonly log: Log;
  /** The extensions [agent] extensions named, loaded (extensions/load.ts); the core features are added. */
  readonly extensions?: readonly Feature[];
  readonly metrics?: AgentMetrics;
  /** Aborts a start-up that is still waiting (for OVSDB, say). */
  readonly signal?: AbortSignal;
}

export interface ManagedBridge {
  readonly spec: AgentBridge;
  readonly connection: OpenFlowConnection;
  readonly flows: BridgeFlows;
  readonly meters: BridgeMeters;
  readonly previous: number | undefined;
}

/** The parts of a running agent; startup.ts fills them in, in order. */
export interface AgentParts {
  readonly config: AgentConfig;
  readonly log: Log;
  readonly metrics: AgentMetrics;
  readonly client: OvsdbClient;
  readonly db: VswitchDb;
  readonly generation: number;
  readonly control: ControlState;
  readonly server: ServerClient;
  readonly vlans: LocalVlans;
  readonly bridges: Map<string, ManagedBridge>;
  readonly cleanups: (() => void | Promise<void>)[];
  pipeline: Pipeline | undefined;
  view: OvsView | undefined;
  converger: Converger | undefined;
  session: ServerSession | undefined;
  observer: Observer | undefined;
  metricsServer: Server | undefined;
  status: StatusReports | undefined;
  /** True once this run's generation replaced the previous one on every bridge. */
  swapped: boolean;
  /** Start-up is done with the server's first answer (or gave up waiting): later syncs are onSync's. */
  running: boolean;
  stopped: boolean;
}

/** The parts once start-up built them all; callbacks that run after that read them through built(). */
export interface BuiltParts extends AgentParts {
  readonly pipeline: Pipeline;
  readonly view: OvsView;
  readonly converger: Converger;
  readonly session: ServerSession;
  readonly observer: Observer;
  readonly status: StatusReports;
}

/** The parts as BuiltParts; throws if start-up has not built them yet (a bug in the start-up order). */
export function built(parts: AgentParts): BuiltParts {
  const { pipeline, view, converger, session, observer, status } = parts;
  if ([pipeline, view, converger, session, observer, status].includes(undefined))
    throw new WeirError("WEIR_AGENT_NOT_STARTED", "a part of the agent was used before start-up built it");
  return parts as BuiltParts;
}

export class Agent {
  readonly config: AgentConfig;
  readonly metrics: AgentMetrics;
  readonly report: StartupReport;
  readonly #parts: AgentParts;

  private constructor(parts: AgentParts, report: StartupReport) {
    this.config = parts.config;
    this.metrics = parts.metrics;
    this.#parts = parts;
    this.report = report;
  }

  /** Starts the agent; resolves once the start-up report is in (converged, or forwarding while the server is away). */
  static async start(options: AgentOptions): Promise<Agent> {
    const { config, log } = options;
    const started = performance.now();
    const { client, db, previous, generation } = await openSwitch(config, log, options.signal);
    const parts: AgentParts = {
      config,
      log,
      metrics: options.metrics ?? new AgentMetrics(),
      client,
      db,
      generation,
      control: new ControlState(config.host),
      server: new ServerClient({
        url: config.server,
        host: config.host,
        credentials:
          config.keystone === undefined
            ? staticCredentials(config.token)
            : keystoneCredentials(config.keystone),
      }),
      vlans: new LocalVlans(),
      bridges: new Map(),
      cleanups: [],
      pipeline: undefined,
      view: undefined,
      converger: undefined,
      session: undefined,
      observer: undefined,
      metricsServer: undefined,
      status: undefined,
      swapped: false,
      running: false,
      stopped: false,
    };
    try {
      const report = await runStartup(parts, { extensions: options.extensions ?? [], previous, started });
      return new Agent(parts, report);
    } catch (error) {
      await stopParts(parts);
      throw error;
    }
  }

  get generation(): number {
    return this.#parts.generation;
  }

  get vifs(): ReadonlyMap<string, VifRecord> {
    return this.#parts.converger?.vifs ?? new Map();
  }

  get pipeline(): Pipeline {
    const { pipeline } = this.#parts;
    if (pipeline === undefined) throw new WeirError("WEIR_AGENT_NOT_STARTED", "the agent has not started");
    return pipeline;
  }

  /** Passes run so far (benchmarks: passes per wired port). */
  get passes(): Converger["counts"] | undefined {
    return this.#parts.converger?.counts;
  }

  /** Resolves when no convergence pass is pending (tests and the start-up report use it). */
  async idle(): Promise<void> {
    await this.#parts.converger?.idle();
  }

  /** Stops everything this process runs. OVS is left exactly as it is: bridges, ports, flows. */
  stop(): Promise<void> {
    return stopParts(this.#parts);
  }
}

async function stopParts(parts: AgentParts): Promise<void> {
  if (parts.stopped) return;
  parts.stopped = true;
  parts.converger?.close();
  await parts.session?.close();
  parts.observer?.close();
  for (const cleanup of parts.cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {});
  for (const bridge of parts.bridges.values()) {
    await bridge.flows.close().catch(() => {});
    bridge.connection.close();
  }
  await parts.view?.cache.close();
  parts.client.close();
  const server = parts.metricsServer;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
}
