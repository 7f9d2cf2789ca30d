// Flows per port and per rule with the firewall on, counted on br-int of a real switch after a real agent
// installed them (its owners' cookies say which flows belong to a VIF and which are shared): a port in a
// group with only the two egress defaults, then one rule at a time — a single port, a range 1–1024, a
// rule naming a remote group — then more members in that remote group; and the same ports with the
// agent restarted as firewall_driver = noop (anti-spoofing only).
import { waitFor } from "../src/base/index.ts";
import type { Flow, OpenFlowConnection } from "../src/openflow/index.ts";
import { addIdlePorts, type RuleSpec, waitInstalledCount } from "../src/testbed/index.ts";
import type { BenchLab } from "./bench-lab.ts";
import {
  census,
  createMembers,
  type FlowCensus,
  hasConjunction,
  matches,
  membersNetwork,
  nthAddress,
  openBridge,
  settledCensus,
  tablesOf,
} from "./firewall-tools.ts";

export interface VifFlows {
  /** Flows per VIF (every VIF had the same count unless min ≠ max). */
  readonly perPort: number;
  readonly min: number;
  readonly max: number;
  /** One VIF's flows by table. */
  readonly byTable: Record<number, number>;
}

export interface FlowStage {
  readonly what: string;
  /** Neutron's OVS firewall for the same port (../shared/reference/security-groups.md §2.7, counted from its code). */
  readonly neutron: string;
  readonly ports: number;
  readonly members: number;
  readonly totalBrInt: number;
  readonly vif: VifFlows;
  /** The firewall's shared flows on br-int (one set per host). */
  readonly shared: number;
  readonly sharedByKind: { readonly memberClauses: number; readonly accepts: number; readonly rest: number };
  readonly otherFeatures: number;
}

export interface FlowCountResult {
  readonly ports: number;
  readonly stages: readonly FlowStage[];
}

function vifFlows(c: FlowCensus): VifFlows {
  const counts = [...c.firewallVifs.values()].map((l) => l.length).sort((a, b) => a - b);
  const median = counts[Math.floor(counts.length / 2)] ?? 0;
  const one = [...c.firewallVifs.values()].find((l) => l.length === median) ?? [];
  return { perPort: median, min: counts[0] ?? 0, max: counts.at(-1) ?? 0, byTable: tablesOf(one) };
}

const sharedKinds = (flows: readonly Flow[]) => {
  const memberClauses = flows.filter((f) => hasConjunction(f) && !matches(f, "reg5")).length;
  const accepts = flows.filter((f) => matches(f, "conj_id")).length;
  return { memberClauses, accepts, rest: flows.length - memberClauses - accepts };
};

function stage(what: string, neutron: string, ports: number, members: number, c: FlowCensus): FlowStage {
  return {
    what,
    neutron,
    ports,
    members,
    totalBrInt: c.total,
    vif: vifFlows(c),
    shared: c.firewallBase.length,
    sharedByKind: sharedKinds(c.firewallBase),
    otherFeatures: c.other,
  };
}

/** Waits until br-int's flow count is no longer `before`, then until it holds still. */
async function afterChange(connection: OpenFlowConnection, before: number): Promise<FlowCensus> {
  await waitFor(async () => ((await census(connection)).total !== before ? true : undefined), {
    timeoutMs: 60_000,
    intervalMs: 100,
    what: "br-int's flows to change",
  });
  return settledCensus(connection);
}

/** On a fresh lab whose h1 agent runs firewall_driver = openvswitch. */
export async function measureFlowCounts(
  lab: BenchLab,
  ports: number,
  members: number,
  log: (line: string) => void,
): Promise<FlowCountResult> {
  const host = lab.testbed.host("h1");
  const net = await lab.network({ name: "fwc", type: "vxlan", segmentationId: 4201 });
  const subnetId = await lab.subnetOf(net);
  const others = await membersNetwork(lab, 4202);
  const group = await lab.api.createSecurityGroup("counted");
  await addIdlePorts(lab, "h1", [net], ports, "dummy", {
    securityGroups: [group],
    fixedIp: { subnetId, ip: (i) => nthAddress("198.19.0.0", 256 + i) },
  });
  await waitInstalledCount(lab, "h1", ports, 300_000);
  const connection = await openBridge(host);
  const stages: FlowStage[] = [];
  try {
    let c = await settledCensus(connection);
    const record = (what: string, neutron: string, m: number) => {
      const s = stage(what, neutron, ports, m, c);
      log(
        `flows: ${what}: ${s.vif.perPort} per port (${s.vif.min}–${s.vif.max}), shared ${s.shared}, br-int ${s.totalBrInt}`,
      );
      stages.push(s);
    };
    record("two egress defaults only", "≈ 47 (43 + 2 per egress rule)", 0);
    const rule = async (what: string, neutron: string, spec: RuleSpec, m: number) => {
      await lab.api.addRule(group, spec);
      c = await afterChange(connection, c.total);
      record(what, neutron, m);
    };
    await rule(
      "+ ingress TCP 22",
      "+2",
      { direction: "ingress", protocol: "tcp", port_range_min: 22, port_range_max: 22 },
      0,
    );
    await rule(
      "+ ingress TCP 1–1024",
      "+22 (2 × 11 port masks)",
      { direction: "ingress", protocol: "tcp", port_range_min: 1, port_range_max: 1024 },
      0,
    );
    const remote = await lab.api.createSecurityGroup("remote");
    await createMembers(lab, others.id, others.subnetId!, [remote], members, (i) =>
      nthAddress("10.64.0.0", 1 + i),
    );
    await rule(
      `+ ingress TCP 8080 from a remote group of ${members}`,
      "+4 (2 clause + 2 accept)",
      {
        direction: "ingress",
        protocol: "tcp",
        port_range_min: 8080,
        port_range_max: 8080,
        remote_group_id: remote,
      },
      members,
    );
    const before = c.total;
    await createMembers(lab, others.id, others.subnetId!, [remote], members, (i) =>
      nthAddress("10.64.0.0", 1 + members + i),
    );
    c = await afterChange(connection, before);
    record(`+ ${members} more members in the remote group`, "+0", 2 * members);
    await lab.restartAgent("h1", "term", { firewallDriver: "noop" });
    c = await settledCensus(connection);
    record("the same, firewall_driver = noop (anti-spoofing only)", "–", 2 * members);
  } finally {
    connection.close();
  }
  return { ports, stages };
}
