// The restart-disruption scenarios: each is one kind of restart an operator or a crash causes, repeated.
// `run` does one repetition and marks what it did when (the markers go on the timeline plot).
import { randomInt } from "node:crypto";
import { sleep } from "../src/base/index.ts";
import type { AgentSetup, PreviousRelease, VariantBuild } from "../src/testbed/index.ts";
import { ovsPaths, restartOvsdbServer, restartVswitchd, startAgent, vsctl } from "../src/testbed/index.ts";
import type { BenchLab } from "./bench-lab.ts";

export interface ScenarioContext {
  readonly lab: BenchLab;
  /** The previous release's agent: the upgrade scenario starts it and this build in turn. */
  readonly previous: PreviousRelease;
  /** This build with the firewall's priorities moved: the firewall upgrade starts it and this build in turn. */
  readonly variant: VariantBuild;
  mark(label: string): void;
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  /** Repetitions in the full run (the CI run does fewer). */
  readonly repeats: number;
  /** The agent's own restarts: zero loss is the promise. Others are measured for contrast. */
  readonly agentRestart: boolean;
  /** Idle ports on h1 this scenario needs (beyond the variant's). */
  readonly idlePorts?: number;
  run(ctx: ScenarioContext, repetition: number): Promise<void>;
}

const hostOf = (i: number) => (i % 2 === 0 ? "h1" : "h2");

/** Restarts one agent and marks it; a repetition ends only when the new agent has converged. */
async function restart(
  ctx: ScenarioContext,
  host: string,
  how: "term" | "kill",
  options: { cli?: string | undefined; overrides?: Partial<AgentSetup>; note?: string } = {},
) {
  ctx.mark(`${how === "term" ? "SIGTERM" : "SIGKILL"} ${host}${options.note ? ` (${options.note})` : ""}`);
  const report = await ctx.lab.restartAgent(
    host,
    how,
    options.overrides ?? {},
    options.cli === undefined ? {} : { cli: options.cli },
  );
  ctx.mark(`${host} converged`);
  if (report.disruptions.length > 0) ctx.mark(`${host}: ${report.disruptions.join("; ")}`);
}

export const scenarios: readonly Scenario[] = [
  {
    name: "agent-sigterm",
    title: "agent SIGTERM + start",
    repeats: 10,
    agentRestart: true,
    run: (ctx, i) => restart(ctx, hostOf(i), "term"),
  },
  {
    name: "agent-sigkill",
    title: "agent SIGKILL + start",
    repeats: 10,
    agentRestart: true,
    run: (ctx, i) => restart(ctx, hostOf(i), "kill"),
  },
  {
    name: "agent-sigkill-mid-resync",
    title: "agent SIGKILL in the middle of a resync of 2,000 ports, then start",
    repeats: 5,
    agentRestart: true,
    // Not the issue's 5,000: on this 2-core machine the userspace datapath stops forwarding (ARP between
    // the VMs fails) with 5,000 ports on the host before any restart — docs/BENCHMARKS.md says more.
    idlePorts: 2000,
    run: async (ctx) => {
      const { lab } = ctx;
      await lab.agents.get("h1")!.kill();
      ctx.mark("SIGKILL h1");
      // A fresh agent resyncing 5,000 ports, killed at a random moment of it.
      const doomed = await startAgent(lab.testbed.info.name, lab.testbed.host("h1"), lab.setup());
      ctx.mark("h1 started (resync)");
      await sleep(randomInt(200, 2_500));
      await doomed.kill();
      ctx.mark("SIGKILL h1 mid-resync");
      await lab.startAgent("h1");
      ctx.mark("h1 converged");
    },
  },
  {
    name: "agent-upgrade",
    title:
      "agent downgrade to the previous release and upgrade back: every br-int flow changes (the dispatcher), extensions go and come back (SIGTERM + start of the other build)",
    repeats: 6,
    agentRestart: true,
    // The previous release knows no [agent] extensions key and no firewall: it runs without them.
    run: (ctx, i) =>
      restart(
        ctx,
        "h1",
        "term",
        i % 2 === 0
          ? {
              cli: ctx.previous.cli,
              overrides: { extensions: [], firewallDriver: "noop" },
              note: "previous release",
            }
          : {},
      ),
  },
  {
    name: "agent-upgrade-firewall",
    title:
      "agent upgrade to a build whose firewall priorities differ and back: every firewall flow is replaced while connections are tracked (SIGTERM + start of the other build, both hosts in turn)",
    repeats: 6,
    agentRestart: true,
    run: (ctx, i) =>
      restart(
        ctx,
        hostOf(Math.floor(i / 2)),
        "term",
        i % 2 === 0 ? { cli: ctx.variant.cli, note: "firewall priorities moved" } : {},
      ),
  },
  {
    name: "server-restart",
    title: "server SIGTERM + start",
    repeats: 5,
    agentRestart: true,
    run: async (ctx) => {
      ctx.mark("server restart");
      await ctx.lab.restartServer();
      ctx.mark("server up");
      await sleep(1_000); // the agents notice and resync
    },
  },
  {
    name: "server-down-agent-restart",
    title: "agent SIGTERM + start while the server is down, then the server returns",
    repeats: 3,
    agentRestart: true,
    run: async (ctx, i) => {
      ctx.mark("server stop");
      await ctx.lab.stopServer();
      await restart(ctx, hostOf(i), "term");
      await sleep(500);
      ctx.mark("server start");
      await ctx.lab.startServer();
      await sleep(1_500); // the agent resyncs and sweeps its previous generation
    },
  },
  {
    name: "ovsdb-server-restart",
    title: "ovsdb-server restart on h1 (the agent reconnects)",
    repeats: 3,
    // Not counted with the agent's own: ovs-vswitchd (userspace datapath) stalls or drops traffic around
    // an ovsdb-server restart with no agent running at all (docs/BENCHMARKS.md, "Reading it").
    agentRestart: false,
    run: async (ctx) => {
      ctx.mark("ovsdb-server restart h1");
      await restartOvsdbServer(ctx.lab.testbed.host("h1"));
      ctx.mark("ovsdb-server up");
      await sleep(1_000);
    },
  },
  {
    name: "drop-flows-on-start",
    title: "agent restart with drop_flows_on_start=true (Neutron's behaviour, for contrast)",
    repeats: 3,
    agentRestart: false,
    run: (ctx) =>
      restart(ctx, "h1", "term", { overrides: { dropFlowsOnStart: true }, note: "drop_flows_on_start" }),
  },
  {
    name: "fail-mode-by-hand",
    title: "an operator sets br-int fail_mode=standalone (OVS clears its flows), then the agent restarts",
    repeats: 3,
    agentRestart: false,
    run: async (ctx) => {
      const paths = ovsPaths(ctx.lab.testbed.host("h1").runDir);
      ctx.mark("set-fail-mode standalone");
      await vsctl(paths, ["set-fail-mode", "br-int", "standalone"]);
      await sleep(500);
      await restart(ctx, "h1", "term");
    },
  },
  {
    name: "vswitchd-restart",
    title: "ovs-vswitchd restart on h1 (userspace datapath: forwarding stops with it)",
    repeats: 3,
    agentRestart: false,
    run: async (ctx) => {
      ctx.mark("ovs-vswitchd restart h1");
      await restartVswitchd(ctx.lab.testbed.host("h1"));
      ctx.mark("ovs-vswitchd up");
      await sleep(2_000); // the agent reconnects and reprograms
    },
  },
  {
    name: "vswitchd-restart-flow-restore-wait",
    title: "ovs-vswitchd restart on h1 as ovs-ctl does it (flows saved, flow-restore-wait, restored)",
    repeats: 3,
    agentRestart: false,
    run: async (ctx) => {
      ctx.mark("ovs-vswitchd restart h1 (flow-restore-wait)");
      const { restoreFailures } = await restartVswitchd(ctx.lab.testbed.host("h1"), {
        flowRestoreWait: true,
      });
      // OVS 3.1's ovs-save keeps no meters: with QoS limits (meters) on br-int its restore is refused.
      ctx.mark(
        restoreFailures.length === 0
          ? "flows restored"
          : `restore refused (${restoreFailures.map((f) => f.split(":")[0]).join(", ")})`,
      );
      await sleep(2_000);
    },
  },
];
