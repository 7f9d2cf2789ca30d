// What the firewall benchmark measures with: member ports of remote groups made through the API (unbound:
// they need no VIF), a network's subnet, br-int's flows read back from the switch and counted by owner,
// and a flow monitor of its own on br-int that timestamps when the agent's flows arrive or go.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { waitFor } from "../src/base/index.ts";
import {
  cookieParts,
  type Flow,
  type FlowUpdate,
  type FullFlowUpdate,
  OpenFlowConnection,
} from "../src/openflow/index.ts";
import type { HostInfo, WeirLab } from "../src/testbed/index.ts";

/** The firewall feature's cookie class (src/agent/features/firewall/feature.ts). */
export const FIREWALL_CLASS = 0x09;

/**
 * A network of its own for remote-group members (unbound ports need no VIF), with its subnet: members'
 * addresses are "10.64.x.y" (nthAddress), apart from the VMs' 198.19.0.0/16.
 */
export function membersNetwork(lab: WeirLab, segmentationId: number) {
  return lab.api.createNetwork({ name: "members", type: "vxlan", segmentationId, cidr: "10.64.0.0/16" });
}

/** "10.64.0.0/16" and n ≥ 1 → the n-th host address (n < 65,535). */
export const nthAddress = (base: string, n: number) => {
  const [a, b] = base.split(".");
  return `${a}.${b}.${(n >> 8) & 255}.${n & 255}`;
};

let macCounter = Math.floor(Math.random() * 2 ** 20);
/** A Neutron-style MAC no other call of this process returned. */
export function nextMac(): string {
  const n = (0x400000 + macCounter++) % 2 ** 24;
  return `fa:16:3e:${[16, 8, 0].map((s) => ((n >> s) & 255).toString(16).padStart(2, "0")).join(":")}`;
}

/**
 * `count` unbound ports (no binding host: no VIF, no agent) in `groups`, each with one fixed IP
 * (`ip(i)`), created 16 at a time; returns their ids in order.
 */
export async function createMembers(
  lab: WeirLab,
  networkId: string,
  subnetId: string,
  groups: readonly string[],
  count: number,
  ip: (i: number) => string,
): Promise<string[]> {
  const ids: string[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const { id } = await lab.api.createPort({
        networkId,
        host: "",
        mac: nextMac(),
        ip: ip(i),
        subnetId,
        securityGroups: groups,
      });
      ids[i] = id;
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return ids;
}

export const mgmtSocket = (host: HostInfo, bridge = host.integrationBridge) =>
  `unix:${join(host.runDir, `${bridge}.mgmt`)}`;

/** An OpenFlow session of the benchmark's own with a bridge (beside the agent's). */
export async function openBridge(
  host: HostInfo,
  bridge = host.integrationBridge,
): Promise<OpenFlowConnection> {
  const connection = new OpenFlowConnection({ endpoint: mgmtSocket(host, bridge), probeIntervalMs: 0 });
  // A switch busy with thousands of ports can take minutes to answer hello.
  await connection.start(600_000);
  return connection;
}

/** br-int's flows as the switch holds them, split by owner. */
export interface FlowCensus {
  readonly total: number;
  /** Flows per table (all owners). */
  readonly byTable: Record<number, number>;
  /** The firewall's base owner (shared flows, conjunctions' member clauses and accept flows). */
  readonly firewallBase: readonly Flow[];
  /** The firewall's per-VIF owners: object id → that VIF's flows. */
  readonly firewallVifs: ReadonlyMap<number, readonly Flow[]>;
  /** Flows of other features (L2, dispatcher, dead ports …). */
  readonly other: number;
}

/**
 * Dumps br-int and sorts its flows by owner (the cookie's class and object). The firewall's base owner
 * is the one object that holds flows of ACCEPTED_EGRESS (91), which no VIF owner writes.
 */
export async function census(connection: OpenFlowConnection): Promise<FlowCensus> {
  const flows = (await connection.dumpFlows()).map((s) => s.flow);
  const byTable: Record<number, number> = {};
  const byObject = new Map<number, Flow[]>();
  let other = 0;
  for (const f of flows) {
    byTable[f.table] = (byTable[f.table] ?? 0) + 1;
    const parts = cookieParts(f.cookie);
    if (parts?.ownerClass !== FIREWALL_CLASS) {
      other++;
      continue;
    }
    const list = byObject.get(parts.object) ?? [];
    list.push(f);
    byObject.set(parts.object, list);
  }
  const base = [...byObject.entries()].find(([, list]) => list.some((f) => f.table === 91))?.[0];
  const vifs = new Map([...byObject.entries()].filter(([object]) => object !== base));
  return {
    total: flows.length,
    byTable,
    firewallBase: base === undefined ? [] : byObject.get(base)!,
    firewallVifs: vifs,
    other,
  };
}

/** Flows per table of a list, as "table: n" text sorted by table. */
export const tablesOf = (flows: readonly Flow[]): Record<number, number> => {
  const out: Record<number, number> = {};
  for (const f of flows) out[f.table] = (out[f.table] ?? 0) + 1;
  return out;
};

export const hasConjunction = (f: Flow) => f.actions.some((a) => a.type === "conjunction");
export const matches = (f: { match: readonly { field: string }[] }, field: string) =>
  f.match.some((m) => m.field === field);

/** Dumps until two censuses 1 s apart have the same total (the agent has gone quiet). */
export async function settledCensus(
  connection: OpenFlowConnection,
  timeoutMs = 120_000,
): Promise<FlowCensus> {
  let last = await census(connection);
  return waitFor(
    async () => {
      await new Promise((r) => setTimeout(r, 1_000));
      const now = await census(connection);
      const same = now.total === last.total;
      last = now;
      return same ? now : undefined;
    },
    { timeoutMs, intervalMs: 0, what: "br-int's flows to settle" },
  );
}

interface Expectation {
  readonly event: "added" | "removed";
  readonly accept: (u: FullFlowUpdate) => boolean;
  readonly count: number;
  seen: number;
  firstAt: number;
  readonly done: (at: { firstAt: number; lastAt: number }) => void;
}

/**
 * A flow monitor on br-int through a session of the benchmark's own: the agent's changes arrive in full,
 * each batch stamped with performance.now() as it is read. `paused` counts OVS's overflow notices
 * (updates may have been missed while paused).
 */
export class FlowWatch {
  readonly #connection: OpenFlowConnection;
  readonly #expectations = new Set<Expectation>();
  paused = 0;

  private constructor(connection: OpenFlowConnection) {
    this.#connection = connection;
  }

  static async open(host: HostInfo): Promise<FlowWatch> {
    const watch = new FlowWatch(await openBridge(host));
    await watch.#connection.monitorFlows((updates) => watch.#take(updates, performance.now()));
    return watch;
  }

  get connection(): OpenFlowConnection {
    return this.#connection;
  }

  #take(updates: readonly FlowUpdate[], at: number): void {
    for (const u of updates) {
      if (u.event === "paused") this.paused++;
      if (!("table" in u)) continue;
      for (const e of this.#expectations) {
        if (u.event !== e.event || !e.accept(u)) continue;
        if (e.seen === 0) e.firstAt = at;
        e.seen++;
        if (e.seen === e.count) {
          this.#expectations.delete(e);
          e.done({ firstAt: e.firstAt, lastAt: at });
        }
      }
    }
  }

  /**
   * Arms a wait for `count` updates of `event` that `accept` takes (arm it before the change); resolves
   * with the times of the first and the last, or rejects after `timeoutMs` saying how many came.
   */
  expect(
    event: "added" | "removed",
    accept: (u: FullFlowUpdate) => boolean,
    count: number,
    timeoutMs = 30_000,
  ): Promise<{ firstAt: number; lastAt: number }> {
    return new Promise((resolve, reject) => {
      const e: Expectation = {
        event,
        accept,
        count,
        seen: 0,
        firstAt: Number.NaN,
        done: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      const timer = setTimeout(() => {
        this.#expectations.delete(e);
        reject(new Error(`${e.seen} of ${count} flows ${event} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#expectations.add(e);
    });
  }

  close(): void {
    this.#connection.close();
  }
}

/** IPv4 text → the value a match holds for ip_src/ip_dst. */
export const ipValue = (ip: string) =>
  ip.split(".").reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);

/** A match field's value, if the match has it. */
export const fieldValue = (u: { match: readonly { field: string; value: bigint }[] }, field: string) =>
  u.match.find((m) => m.field === field)?.value;

/** A process's CPU time so far (user + system), ms; /proc counts in ticks of 1/100 s. */
export async function processCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
