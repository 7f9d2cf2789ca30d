/**
 * Idle ports: bound to a host on the server and plugged as Nova plugs a VIF (the Port and Interface with
 * iface-id, attached-mac, iface-status, vm-uuid, in one transaction), but with no VM behind them. They are
 * OVS "dummy" ports (the testbed's ovs-vswitchd runs with --enable-dummy): real OVSDB rows and real
 * OpenFlow port numbers, with no device behind them. Not internal ports: the userspace datapath's main
 * thread polls every tap device, and measured here, with 5,000 internal ports the datapath forwarded about
 * 1 % of 3,000 packets/s — the benchmark would have measured the testbed, not the agent. They load the agent
 * as real ports do (details, local VLANs, tags, status reports) and carry no traffic.
 */
import { randomInt, randomUUID } from "node:crypto";
import { waitFor } from "../base/index.ts";
import { openVswitchDb, selectRows, transact, type VswitchDb, WeirKeys } from "../ovs/index.ts";
import { OvsdbClient } from "../ovsdb/index.ts";
import type { WeirLab } from "./lab.ts";
import { tapName } from "./names.ts";
import { ovsPaths } from "./ovs-daemons.ts";

export interface IdlePort {
  readonly portId: string;
  readonly name: string;
  readonly mac: string;
}

/** Ports per ovs-vsctl transaction: large enough to be quick, small enough for vsctl's command line. */
const plugBatch = 250;
const apiConcurrency = 16;

const neutronMac = (n: number) =>
  `fa:16:3e:${[16, 8, 0].map((shift) => ((n >> shift) & 0xff).toString(16).padStart(2, "0")).join(":")}`;

/**
 * Creates `count` ports spread over `networkIds`, bound to `host`, and plugs them; does not wait.
 * `port`: their security groups (default: the project's default group), and a fixed IP each (`ip(i)` for
 * the i-th port, from `subnetId`; default: none).
 */
export async function addIdlePorts(
  lab: WeirLab,
  host: string,
  networkIds: readonly string[],
  count: number,
  type: "dummy" | "internal" = "dummy",
  port: {
    readonly securityGroups?: readonly string[];
    readonly fixedIp?: { readonly subnetId: string; readonly ip: (i: number) => string };
  } = {},
): Promise<IdlePort[]> {
  const ports: IdlePort[] = [];
  // Consecutive MACs from a random start: random ones collide (24 bits) by the thousands of ports.
  const base = randomInt(0, 2 ** 24);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const mac = neutronMac((base + i) % 2 ** 24);
      const { id } = await lab.api.createPort({
        networkId: networkIds[i % networkIds.length]!,
        host: lab.hostName(host),
        mac,
        name: `idle-${i}`,
        ...(port.securityGroups === undefined ? {} : { securityGroups: port.securityGroups }),
        ...(port.fixedIp === undefined ? {} : { subnetId: port.fixedIp.subnetId, ip: port.fixedIp.ip(i) }),
      });
      ports.push({ portId: id, name: tapName(id), mac });
    }
  };
  await Promise.all(Array.from({ length: apiConcurrency }, worker));
  // Weir's OVSDB client, not ovs-vsctl: vsctl reads and checks the whole database on every call, which
  // takes over 10 s per call past 5,000 ports (os-vif, too, uses a native IDL).
  await withVswitchDb(lab, host, async (db) => {
    const bridge = lab.testbed.host(host).integrationBridge;
    for (let i = 0; i < ports.length; i += plugBatch) {
      const batch = ports.slice(i, i + plugBatch);
      const operations = batch.flatMap((p, j) => [
        db.ops.insert(
          "Interface",
          {
            name: p.name,
            type,
            external_ids: {
              "iface-id": p.portId,
              "attached-mac": p.mac,
              "iface-status": "active",
              "vm-uuid": randomUUID(),
            },
          },
          `i${j}`,
        ),
        db.ops.insert("Port", { name: p.name, interfaces: [`i${j}`] }, `p${j}`),
      ]);
      operations.push(
        db.ops.mutate(
          "Bridge",
          [["name", "==", bridge]],
          [["ports", "insert", batch.map((_, j) => `p${j}`)]],
        ),
      );
      await transact(db, operations);
    }
  });
  return ports;
}

async function withVswitchDb<T>(lab: WeirLab, host: string, work: (db: VswitchDb) => Promise<T>): Promise<T> {
  const client = await OvsdbClient.connect({
    endpoint: ovsPaths(lab.testbed.host(host).runDir).ovsdb,
    probeIntervalMs: 0,
  });
  try {
    return await work(await openVswitchDb(client));
  } finally {
    client.close();
  }
}

/** How many of the host's interfaces the agent has marked weir-installed. */
export async function installedCount(lab: WeirLab, host: string): Promise<number> {
  return withVswitchDb(lab, host, async (db) => {
    const rows = await selectRows(db, "Interface", db.ops.select("Interface", [], ["external_ids"]));
    return rows.filter((row) => row.external_ids?.[WeirKeys.installed] !== undefined).length;
  });
}

/** Waits until at least `count` of the host's interfaces are marked weir-installed. */
export async function waitInstalledCount(
  lab: WeirLab,
  host: string,
  count: number,
  timeoutMs = 300_000,
): Promise<void> {
  await waitFor(async () => ((await installedCount(lab, host)) >= count ? true : undefined), {
    timeoutMs,
    intervalMs: 250,
    what: `${count} ports weir-installed on ${host}`,
  });
}
