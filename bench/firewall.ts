// npm run bench -- firewall: the firewall (firewall_driver = openvswitch) on one testbed host with a real
// agent and server — flows per port and per rule counted on br-int (and with noop beside it), a cold
// resync of 1,000 and 5,000 ports in a group of 10 rules naming a remote group of 1,000 members against
// the raw bundle of the same flows, rule and member changes from the API call to the flows in the switch,
// and a port's wiring with the firewall on and off.
import { sleep } from "../src/base/index.ts";
import {
  addIdlePorts,
  daemonPid,
  ovsPaths,
  type RuleSpec,
  waitInstalledCount,
} from "../src/testbed/index.ts";
import { withBenchLab } from "./bench-lab.ts";
import { type FlowCountResult, measureFlowCounts } from "./firewall-flows.ts";
import {
  type ChangeResult,
  type ChangeSample,
  measureMemberChanges,
  measureRuleChanges,
  type PassTiming,
  passTimings,
} from "./firewall-latency.ts";
import { type ProfileSummary, profileAgent } from "./firewall-profile.ts";
import {
  census,
  createMembers,
  FlowWatch,
  hasConjunction,
  matches,
  membersNetwork,
  nthAddress,
  openBridge,
  processCpuMs,
  settledCensus,
} from "./firewall-tools.ts";
import { describeMachine, machine, saveResult, updateBenchmarksDoc } from "./report.ts";
import { measureResync, type ResyncResult } from "./scale-resync.ts";
import { ms, summary } from "./stats.ts";
import { measureWiring, type WiringSample } from "./wiring.ts";

/** WEIR_BENCH_SMALL=1: every size cut down, for trying the benchmark out (results still written). */
const small = process.env.WEIR_BENCH_SMALL === "1";
const sizes = {
  flowPorts: 20,
  flowMembers: small ? 10 : 50,
  resync: small ? [100, 200] : [1000, 5000],
  resyncMembers: small ? 100 : 1000,
  rulePorts: small ? 50 : 500,
  ruleSamples: small ? 5 : 40,
  remoteMembers: small ? 500 : 10_000,
  memberSamples: small ? 5 : 40,
  wiring: small ? 10 : 100,
};
/** WEIR_BENCH_PARTS=flows,resync,changes,wiring: only these parts (all by default). */
const parts = new Set((process.env.WEIR_BENCH_PARTS ?? "flows,resync,changes,wiring").split(","));

const firewallOn = { firewallDriver: "openvswitch" as const };

/** The resync group's 10 rules: the 2 egress defaults and these 8, 2 of which name the remote group. */
const eightRules = (remote: string): RuleSpec[] => [
  { direction: "ingress", protocol: "tcp", port_range_min: 22, port_range_max: 22 },
  { direction: "ingress", protocol: "tcp", port_range_min: 80, port_range_max: 80 },
  { direction: "ingress", protocol: "tcp", port_range_min: 443, port_range_max: 443 },
  { direction: "ingress", protocol: "udp", port_range_min: 53, port_range_max: 53 },
  { direction: "ingress", protocol: "tcp", port_range_min: 1000, port_range_max: 1999 },
  { direction: "ingress", protocol: "icmp" },
  {
    direction: "ingress",
    protocol: "tcp",
    port_range_min: 8080,
    port_range_max: 8080,
    remote_group_id: remote,
  },
  { direction: "ingress", remote_group_id: remote },
];

/** Functions whose inclusive CPU time the profiles report: the pass's planning, the firewall's flows
 * (per VIF; shared, with the member clauses), building flow values, the desired set's diff, the bundles. */
const changeFunctions = [
  "#plan",
  "firewallPort",
  "baseFlows",
  "conjunctionFlows",
  "flow",
  "replace",
  "#applyMany",
  "#send",
];
const startFunctions = ["#plan", "firewallPort", "baseFlows", "flow", "replace", "writeFlowMod"];
/** Changes (adds + removes) made under the profiler. */
const profiledSamples = small ? 3 : 10;

interface ResyncRun extends Omit<ResyncResult, "report"> {
  readonly perPort: number;
  readonly shared: number;
  readonly memberClauses: number;
  /** The agent's CPU time from its process's start to converged. */
  readonly agentCpuMs: number;
  /** ovs-vswitchd's CPU time from the agent's stop to converged, and over the raw bundles (dumps,
   * scratch bridges and all). */
  readonly switchResyncCpuMs: number;
  readonly switchRawCpuMs: number;
  /** A profiled start-up at this size, when the agent took over 1.5 × the raw bundle. */
  readonly profile?: ProfileSummary;
}

interface ChangesRun {
  readonly ports: number;
  readonly members: number;
  readonly rules: ChangeResult;
  readonly memberChanges: ChangeResult;
  readonly rulePasses: { adds: PassTiming[]; removes: PassTiming[] };
  readonly memberPasses: { adds: PassTiming[]; removes: PassTiming[] };
  /** OVS flow-monitor overflow notices during the samples (0: nothing missed). */
  readonly paused: number;
  readonly installMembersMs: number;
  /** Profiled changes, when the target was missed: rules (adds + removes), members. */
  readonly ruleProfile?: ProfileSummary;
  readonly memberProfile?: ProfileSummary;
}

interface WiringRun {
  readonly driver: "openvswitch" | "noop";
  readonly samples: readonly WiringSample[];
}

export async function runFirewallBench(): Promise<void> {
  const m = machine();
  const started = performance.now();
  const log = (line: string) =>
    console.log(`firewall: [${((performance.now() - started) / 1000).toFixed(0)} s] ${line}`);
  let flows: FlowCountResult | undefined;
  if (parts.has("flows"))
    flows = await withBenchLab(
      "benchfwc",
      1,
      async (lab) => {
        await lab.startAgent("h1");
        return measureFlowCounts(lab, sizes.flowPorts, sizes.flowMembers, log);
      },
      undefined,
      firewallOn,
    );

  const resync: ResyncRun[] = [];
  if (parts.has("resync"))
    await withBenchLab(
      "benchfwr",
      1,
      async (lab) => {
        await lab.startAgent("h1");
        const net = await lab.network({ name: "fwr", type: "vxlan", segmentationId: 4301 });
        const subnetId = await lab.subnetOf(net);
        const members = await membersNetwork(lab, 4302);
        const remote = await lab.api.createSecurityGroup("remote");
        await createMembers(lab, members.id, members.subnetId!, [remote], sizes.resyncMembers, (i) =>
          nthAddress("10.64.0.0", 1 + i),
        );
        const group = await lab.api.createSecurityGroup("ten-rules");
        for (const rule of eightRules(remote)) await lab.api.addRule(group, rule);
        log(
          `resync: ${sizes.resyncMembers} members, group of ${(await lab.api.rulesOf(group)).length} rules`,
        );
        let have = 0;
        for (const size of sizes.resync) {
          const t = performance.now();
          const offset = have;
          await addIdlePorts(lab, "h1", [net], size - have, "dummy", {
            securityGroups: [group],
            fixedIp: { subnetId, ip: (i) => nthAddress("198.19.0.0", 256 + offset + i) },
          });
          have = size;
          await waitInstalledCount(lab, "h1", size, 1_800_000);
          log(`resync: ${size} ports installed (${((performance.now() - t) / 1000).toFixed(0)} s)`);
          const vswitchd = await daemonPid(ovsPaths(lab.testbed.host("h1").runDir), "ovs-vswitchd");
          if (vswitchd === undefined) throw new Error("ovs-vswitchd of h1 is not running");
          const switchBefore = await processCpuMs(vswitchd);
          let agentCpuMs = Number.NaN;
          let switchAtConverged = Number.NaN;
          const { report: _report, ...r } = await measureResync(lab, size, 900_000, async (pid) => {
            agentCpuMs = await processCpuMs(pid);
            switchAtConverged = await processCpuMs(vswitchd);
          });
          const switchAfter = await processCpuMs(vswitchd);
          const connection = await openBridge(lab.testbed.host("h1"));
          const c = await census(connection).finally(() => connection.close());
          const perPort = [...c.firewallVifs.values()].map((l) => l.length).sort((a, b) => a - b);
          const missed = r.agentConvergeMs > 1.5 * r.rawBundleMs;
          const run: ResyncRun = {
            ...r,
            perPort: perPort[Math.floor(perPort.length / 2)] ?? 0,
            shared: c.firewallBase.length,
            memberClauses: c.firewallBase.filter((f) => hasConjunction(f) && !matches(f, "reg5")).length,
            agentCpuMs,
            switchResyncCpuMs: switchAtConverged - switchBefore,
            switchRawCpuMs: switchAfter - switchAtConverged,
            ...(missed ? { profile: await profileAgent(lab, startFunctions) } : {}),
          };
          log(
            `resync: ${size} ports: start() → converged ${r.agentConvergeMs} ms (process ${r.processToConvergedMs} ms), ${r.totalFlows} flows (br-int ${r.flows["br-int"]}; ${run.perPort} per port, ${run.shared} shared), raw bundle ${ms(r.rawBundleMs)} ms, RSS ${r.rssMiB.toFixed(0)} MiB (peak ${r.peakRssMiB.toFixed(0)})`,
          );
          resync.push(run);
        }
      },
      undefined,
      firewallOn,
    );

  let changes: ChangesRun | undefined;
  if (parts.has("changes"))
    changes = await withBenchLab(
      "benchfwl",
      1,
      async (lab) => {
        await lab.startAgent("h1", {}, { env: { WEIR_LOG_LEVEL: "debug" } });
        const host = lab.testbed.host("h1");
        const net = await lab.network({ name: "fwl", type: "vxlan", segmentationId: 4401 });
        const subnetId = await lab.subnetOf(net);
        const group = await lab.api.createSecurityGroup("shared-by-all");
        await lab.api.addRule(group, {
          direction: "ingress",
          protocol: "tcp",
          port_range_min: 22,
          port_range_max: 22,
        });
        await lab.api.addRule(group, { direction: "ingress", protocol: "icmp" });
        await addIdlePorts(lab, "h1", [net], sizes.rulePorts, "dummy", {
          securityGroups: [group],
          fixedIp: { subnetId, ip: (i) => nthAddress("198.19.0.0", 256 + i) },
        });
        await waitInstalledCount(lab, "h1", sizes.rulePorts, 900_000);
        const watch = await FlowWatch.open(host);
        try {
          await settledCensus(watch.connection);
          log(`changes: ${sizes.rulePorts} ports in one group, installed`);
          const pausedBefore = watch.paused;
          const rules = await measureRuleChanges(lab, watch, group, sizes.rulePorts, sizes.ruleSamples);
          logChanges(log, `rule (${sizes.rulePorts} ports)`, rules);
          const pausedRules = watch.paused - pausedBefore;
          const ruleLines = await lab.agents.get("h1")!.logLines();
          const ruleProfile = missedTarget(rules, 100)
            ? await profileAgent(lab, changeFunctions, async () => {
                await measureRuleChanges(lab, watch, group, sizes.rulePorts, profiledSamples, 21_000);
              })
            : undefined;

          const members = await membersNetwork(lab, 4402);
          const remote = await lab.api.createSecurityGroup("big-remote");
          const t = performance.now();
          await createMembers(lab, members.id, members.subnetId!, [remote], sizes.remoteMembers, (i) =>
            nthAddress("10.64.0.0", 1 + i),
          );
          log(
            `changes: ${sizes.remoteMembers} members created (${((performance.now() - t) / 1000).toFixed(0)} s)`,
          );
          const t2 = performance.now();
          await lab.api.addRule(group, {
            direction: "ingress",
            protocol: "tcp",
            port_range_min: 8080,
            port_range_max: 8080,
            remote_group_id: remote,
          });
          await waitMemberClauses(watch, sizes.remoteMembers);
          const installMembersMs = performance.now() - t2;
          log(
            `changes: the remote group's ${sizes.remoteMembers} clause flows in (${ms(installMembersMs)} ms)`,
          );
          await sleep(2_000);
          const pausedBefore2 = watch.paused;
          const memberChanges = await measureMemberChanges(
            lab,
            watch,
            remote,
            { id: members.id, subnetId: members.subnetId! },
            (i) => nthAddress("10.64.0.0", 60_000 + i),
            sizes.memberSamples,
          );
          logChanges(log, `member (${sizes.remoteMembers}-member group)`, memberChanges);
          const pausedMembers = watch.paused - pausedBefore2;
          const lines = await lab.agents.get("h1")!.logLines();
          const memberProfile = missedTarget(memberChanges, 20)
            ? await profileAgent(lab, changeFunctions, async () => {
                await measureMemberChanges(
                  lab,
                  watch,
                  remote,
                  { id: members.id, subnetId: members.subnetId! },
                  (i) => nthAddress("10.64.0.0", 61_000 + i),
                  profiledSamples,
                );
              })
            : undefined;
          return {
            ports: sizes.rulePorts,
            members: sizes.remoteMembers,
            rules,
            memberChanges,
            rulePasses: {
              adds: passTimings(rules.adds, ruleLines),
              removes: passTimings(rules.removes, ruleLines),
            },
            memberPasses: {
              adds: passTimings(memberChanges.adds, lines),
              removes: passTimings(memberChanges.removes, lines),
            },
            paused: pausedRules + pausedMembers,
            installMembersMs,
            ...(ruleProfile === undefined ? {} : { ruleProfile }),
            ...(memberProfile === undefined ? {} : { memberProfile }),
          };
        } finally {
          watch.close();
        }
      },
      undefined,
      firewallOn,
    );

  const wiring: WiringRun[] = [];
  if (parts.has("wiring"))
    for (const driver of ["openvswitch", "noop"] as const) {
      await withBenchLab(
        "benchfww",
        1,
        async (lab) => {
          await lab.startAgent("h1");
          const net = await lab.network({ name: "wire", type: "vxlan", segmentationId: 4501 });
          const subnetId = await lab.subnetOf(net);
          const target = await lab.vm("h1", net, "target", "198.19.0.1");
          const samples = await measureWiring(
            lab,
            net,
            target,
            sizes.wiring,
            (i) => nthAddress("198.19.0.0", 256 + i),
            undefined,
            subnetId,
          );
          const s = summary(samples.map((x) => x.firstReplyMs).filter(Number.isFinite));
          log(`wiring, ${driver}: first reply p50 ${ms(s.p50)} p99 ${ms(s.p99)} max ${ms(s.max)} ms`);
          wiring.push({ driver, samples });
        },
        undefined,
        { firewallDriver: driver },
      );
    }

  const wallS = (performance.now() - started) / 1000;
  const file = saveResult("firewall", { machine: m, sizes, small, wallS, flows, resync, changes, wiring });
  updateBenchmarksDoc(
    "firewall",
    render({ flows, resync, changes, wiring }, describeMachine(m), file, wallS),
  );
  log(`done in ${wallS.toFixed(0)} s`);
}

/** Waits until br-int holds `count` member clause flows (the remote group's, one rule naming it). */
async function waitMemberClauses(watch: FlowWatch, count: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const c = await census(watch.connection);
    const n = c.firewallBase.filter((f) => hasConjunction(f) && !matches(f, "reg5")).length;
    if (n >= count) return;
    await sleep(200);
  }
  throw new Error(`the remote group's ${count} clause flows did not arrive`);
}

const missedTarget = (r: ChangeResult, p99: number) =>
  summary(r.adds.map((s) => s.allMs)).p99 > p99 || summary(r.removes.map((s) => s.allMs)).p99 > p99;

function logChanges(log: (line: string) => void, what: string, r: ChangeResult): void {
  for (const [kind, samples] of [
    ["add", r.adds],
    ["remove", r.removes],
  ] as const) {
    const s = summary(samples.map((x) => x.allMs));
    const a = summary(samples.map((x) => x.apiMs));
    log(
      `changes: ${what} ${kind}: API call → in the switch p50 ${ms(s.p50)} p99 ${ms(s.p99)} max ${ms(s.max)} ms (API reply p50 ${ms(a.p50)} p99 ${ms(a.p99)} ms)`,
    );
  }
}

const triple = (values: readonly number[]) => {
  const finite = values.filter(Number.isFinite);
  const s = summary(finite);
  const missing = values.length - finite.length;
  return `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)}${missing > 0 ? ` (${missing} missing)` : ""}`;
};

const tableText = (byTable: Record<number, number>) =>
  Object.entries(byTable)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([t, n]) => `${t}: ${n}`)
    .join(", ");

function render(
  r: {
    flows: FlowCountResult | undefined;
    resync: readonly ResyncRun[];
    changes: ChangesRun | undefined;
    wiring: readonly WiringRun[];
  },
  machineLine: string,
  file: string,
  wallS: number,
): string {
  const out = [
    `Measured ${machineLine}. Raw data: \`${file.replace(/^.*\/bench\//, "bench/")}\` (not committed). The whole run took ${Math.round(wallS / 60)} min${small ? " (WEIR_BENCH_SMALL: cut-down sizes)" : ""}.`,
    "",
  ];
  if (r.flows !== undefined) {
    const stages = r.flows.stages;
    const first = stages[0]!;
    out.push(
      `**Flows per port and per rule** on br-int, counted in the switch (${r.flows.ports} ports with one IPv4 address each, in one group; each flow's owner from its cookie: a VIF's own flows, or the firewall's shared ones). Neutron's figures are counted from its code for an IPv4 port with one MAC and its link-local address (../shared/reference/security-groups.md §2.7): about 43 per port before any rule:`,
      "",
      "| group's rules | firewall flows per port | change per port | Neutron's OVS firewall, per port | per port by table | shared firewall flows (member clauses / accept / rest) | br-int total |",
      "| --- | ---: | ---: | ---: | --- | ---: | ---: |",
    );
    let previous = first;
    for (const s of stages) {
      const delta =
        s === first
          ? "–"
          : `${s.vif.perPort - previous.vif.perPort >= 0 ? "+" : ""}${s.vif.perPort - previous.vif.perPort}`;
      const spread = s.vif.min === s.vif.max ? "" : ` (${s.vif.min}–${s.vif.max})`;
      out.push(
        `| ${s.what} | **${s.vif.perPort}**${spread} | ${delta} | ${s.neutron} | ${tableText(s.vif.byTable)} | ${s.shared} (${s.sharedByKind.memberClauses} / ${s.sharedByKind.accepts} / ${s.sharedByKind.rest}) | ${s.totalBrInt} |`,
      );
      previous = s;
    }
    const remote = stages.find((s) => s.what.includes("remote group"));
    const more = stages.find((s) => s.what.includes("more members"));
    if (remote !== undefined && more !== undefined) {
      const before = stages[stages.indexOf(remote) - 1]!;
      const perMember = (more.shared - remote.shared) / (more.members - remote.members);
      out.push(
        "",
        `The remote-group rule: ${remote.vif.perPort - before.vif.perPort} flow per port (the rule's clause 2/2), ${remote.sharedByKind.memberClauses} member clauses for ${remote.members} members and ${remote.sharedByKind.accepts - before.sharedByKind.accepts} accept flow, shared by every port of the host; ${more.members - remote.members} more members added ${more.shared - remote.shared} shared flows (${perMember} per member) and none per port. Neutron's OVS firewall has 2 flows per member address, per priority offset in use, per network with ports in the group; Weir's member clauses are one per address per conjunction (remote, direction, ethertype, priority offset), shared by every network of the host.`,
      );
    }
  }
  if (r.resync.length > 0) {
    out.push(
      "",
      `**Cold resync with the firewall on** (SIGTERM, then start; bound idle ports on one host, one network, each port with one IPv4 address in one group of 10 rules: the 2 egress defaults, ingress TCP 22, 80, 443, 1000–1999, UDP 53, ICMP, and TCP 8080 and any protocol from a remote group of ${sizes.resyncMembers.toLocaleString("en")} unbound member ports):`,
      "",
      "| ports | flows (br-int / br-tun / br-phys) | firewall flows per port · shared (member clauses) | process start → converged (ms) | agent start() → converged (ms) | raw `ovs-ofctl --bundle add-flows` (ms) | agent ÷ raw (target ≤ 1.5×) | agent CPU to converged (ms) | ovs-vswitchd CPU: agent's resync / raw bundles (ms) | agent RSS MiB (peak) |",
      "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...r.resync.map((x) => {
        const ratio = x.agentConvergeMs / x.rawBundleMs;
        return `| ${x.ports.toLocaleString("en")} | ${x.totalFlows.toLocaleString("en")} (${x.flows["br-int"]} / ${x.flows["br-tun"]} / ${x.flows["br-phys"]}) | ${x.perPort} · ${x.shared} (${x.memberClauses}) | ${x.processToConvergedMs} | **${x.agentConvergeMs}** | ${ms(x.rawBundleMs)} | **${ratio.toFixed(2)}×** ${ratio <= 1.5 ? "met" : "missed"} | ${x.agentCpuMs.toFixed(0)} | ${x.switchResyncCpuMs.toFixed(0)} / ${x.switchRawCpuMs.toFixed(0)} | ${x.rssMiB.toFixed(0)} (${x.peakRssMiB.toFixed(0)}) |`;
      }),
      "",
      ...r.resync.map(
        (x) =>
          `Start-up steps at ${x.ports.toLocaleString("en")} ports (ms since the agent's start() when each ended): ${Object.entries(
            x.stepsMs,
          )
            .map(([k, v]) => `${k} ${v}`)
            .join(", ")}.`,
      ),
    );
  }
  for (const x of r.resync)
    if (x.profile !== undefined)
      out.push("", profileLine(`the start-up at ${x.ports.toLocaleString("en")} ports`, x.profile, 1));
  if (r.changes !== undefined) {
    const c = r.changes;
    const row = (
      what: string,
      samples: readonly ChangeSample[],
      passes: readonly PassTiming[],
      target: number,
    ) => {
      const all = summary(samples.map((s) => s.allMs));
      return `| ${what} | ${samples.length} | **${triple(samples.map((s) => s.allMs))}** ${all.p99 <= target ? "met" : "missed"} | ${triple(samples.map((s) => s.apiMs))} | ${ms(summary(passes.map((p) => p.toPassMs).filter(Number.isFinite)).p50)} | ${ms(summary(passes.map((p) => p.passMs)).p50)} (${ms(summary(passes.map((p) => p.planMs)).p50)} · ${ms(summary(passes.map((p) => p.flowsMs).filter(Number.isFinite)).p50)}) |`;
    };
    out.push(
      "",
      `**Security-group changes, from the API call to the flows in the switch** (one host; ${c.ports} bound ports in one group; a flow monitor of the benchmark's own on br-int timestamps the agent's flows as the switch reports them; OVS overflow notices during the samples: ${c.paused}). A rule is an ingress TCP rule on a port of its own, added to and removed from the group, waited for on all ${c.ports} ports (RULES_INGRESS, 82); a member is an unbound port created in and deleted from a remote group of ${c.members.toLocaleString("en")} members that a rule of the group names, waited for as its clause flow (the ${c.members.toLocaleString("en")} clause flows took ${ms(c.installMembersMs)} ms to install when the rule naming the group was added). The agent's part is from its debug log (its \`convergence pass\` lines: when each pass started, how long it took, its planning part, and its flow changes' part: the desired set's diff and the bundles until the switch confirmed them):`,
      "",
      "| change | samples | API call → every flow of it in the switch: p50 / p99 / max ms (target: p99) | API call → its reply | API call → agent's pass starts, p50 | agent's pass, p50 (planning · flow changes) |",
      "| --- | ---: | ---: | ---: | ---: | ---: |",
      row(`rule added (all ${c.ports} ports; ≤ 100 ms)`, c.rules.adds, c.rulePasses.adds, 100),
      row(`rule removed (all ${c.ports} ports; ≤ 100 ms)`, c.rules.removes, c.rulePasses.removes, 100),
      row(
        `member added (${c.members.toLocaleString("en")}-member group; ≤ 20 ms)`,
        c.memberChanges.adds,
        c.memberPasses.adds,
        20,
      ),
      row(
        `member removed (${c.members.toLocaleString("en")}-member group; ≤ 20 ms)`,
        c.memberChanges.removes,
        c.memberPasses.removes,
        20,
      ),
    );
    if (c.ruleProfile !== undefined)
      out.push("", profileLine(`rule changes on ${c.ports} ports`, c.ruleProfile, 2 * profiledSamples));
    if (c.memberProfile !== undefined)
      out.push(
        "",
        profileLine(
          `member changes in the ${c.members.toLocaleString("en")}-member group`,
          c.memberProfile,
          2 * profiledSamples,
        ),
      );
  }
  if (r.wiring.length > 0) {
    out.push(
      "",
      `**Port wiring with the firewall on and off** (an idle host; ${sizes.wiring} ports plugged one after another, each in the project's default group — ingress from the group itself, egress anywhere — pinging a VM of the same group on the host; p50 / p99 / max, ms from the add-port; bench/wiring.ts):`,
      "",
      "| firewall_driver | ports | first ICMP reply through the port | weir-installed | server shows ACTIVE |",
      "| --- | ---: | ---: | ---: | ---: |",
      ...r.wiring.map(
        (w) =>
          `| ${w.driver} | ${w.samples.length} | **${triple(w.samples.map((s) => s.firstReplyMs))}** | ${triple(w.samples.map((s) => s.installedMs))} | ${triple(w.samples.map((s) => s.activeMs))} |`,
      ),
    );
  }
  return out.join("\n");
}

/** A profile as one paragraph: busy time (per change), the functions of interest, the top files. */
function profileLine(what: string, p: ProfileSummary, changes: number): string {
  const per = (v: number) => (changes > 1 ? ms(v / changes) : ms(v));
  const unit = changes > 1 ? ` ms per change (${changes} changes)` : " ms";
  const fns = p.inclusive.map((f) => `\`${f.fn}\` ${per(f.ms)}`).join(", ");
  const files = p.byFile
    .slice(0, 8)
    .map((f) => `${f.file} ${per(f.selfMs)}`)
    .join(", ");
  const how =
    changes > 1
      ? "the agent restarted with `--cpu-prof`, which slows it, and the same kind of change made again"
      : "one more restart, with `--cpu-prof`, which slows it; from the process's start, Node.js loading the sources included";
  return `Where the agent's CPU goes in ${what} — a CPU profile (${how}): busy ${per(p.busyMs)}${unit}, of which garbage collection ${per(p.gcMs)}. Inside (each with what it calls): ${fns}. Own time by file: ${files}.`;
}
