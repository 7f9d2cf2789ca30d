// A small cloud for agent tests: a testbed (real OVS per host), a real server in this process, and real
// `weir agent` processes — everything removed when the test ends, pass or fail.
import { copyFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { ServerConfig } from "../../src/server/index.ts";
import { type AgentSetup, addPhysicalBridge, type Testbed, WeirLab } from "../../src/testbed/index.ts";
import { testbed } from "./ovs.ts";
import { startServer, type TestServer } from "./server.ts";

/** Agents' logs of finished tests, for post-mortems (the testbed's run directory is removed). */
export const logDir = join(tmpdir(), "weir-test-agent-logs");

export interface LabOptions {
  readonly hosts: number;
  /** Give every host br-phys with its trunk NIC, mapped as physnet1. */
  readonly physical?: boolean;
  readonly agent?: Partial<AgentSetup>;
  readonly serverConfig?: Partial<ServerConfig>;
}

/** The shared lab (src/testbed/lab.ts) with an in-process server that tests can stop and start again. */
export class Lab extends WeirLab<TestServer> {
  readonly #serverConfig: Partial<ServerConfig> | undefined;

  constructor(tb: Testbed, server: TestServer, options: LabOptions) {
    super(tb, server, {
      ...(options.physical === undefined ? {} : { physical: options.physical }),
      ...(options.agent === undefined ? {} : { agent: options.agent }),
    });
    this.#serverConfig = options.serverConfig;
  }

  /** Stops the server; its agents see it as gone. */
  async stopServer(): Promise<void> {
    await this.server.stop();
  }

  /** Starts the server again on the same port and data, where its agents expect it. */
  async startServerAgain(t: TestContext): Promise<void> {
    const port = Number(new URL(this.server.url).port);
    this.replaceServer(
      await startServer(
        t,
        { kind: "sqlite" },
        {
          dataDir: this.server.dataDir!,
          port,
          config: { ...noQuotas, ...this.#serverConfig },
        },
      ),
    );
  }
}

/** A lab is one project with as many ports as a test needs: no quota in its way (as the testbed's server). */
const noQuotas = {
  quotaDefaults: {
    network: -1,
    subnet: -1,
    port: -1,
    security_group: -1,
    security_group_rule: -1,
    rbac_policy: -1,
    router: -1,
    floatingip: -1,
  },
};

export async function lab(t: TestContext, options: LabOptions): Promise<Lab> {
  const server = await startServer(
    t,
    { kind: "sqlite" },
    { config: { ...noQuotas, ...options.serverConfig } },
  );
  let l: Lab | undefined;
  // Registered before the testbed's own cleanup, so it runs first (after-hooks run in order): agents
  // stop before their OVS goes, and their logs are kept for a post-mortem.
  t.after(async () => {
    if (l === undefined) return;
    await l.killAgents();
    await mkdir(logDir, { recursive: true });
    for (const [host, agent] of l.agents) {
      await copyFile(agent.logPath, join(logDir, `${l.testbed.info.name}-${host}.log`)).catch(() => {});
    }
  });
  const tb = await testbed(t, { hosts: options.hosts });
  if (options.physical) for (const host of tb.info.hosts) await addPhysicalBridge(host);
  l = new Lab(tb, server, options);
  return l;
}
