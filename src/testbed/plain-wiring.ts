import { ensureBridge, ensurePort, openVswitchDb, tunnelPort } from "../ovs/index.ts";
import { OvsdbClient } from "../ovsdb/index.ts";
import type { HostInfo } from "./host.ts";

/**
 * Wires the hosts' integration bridges into one plain L2 segment without any agent: each bridge forwards
 * with OVS's own MAC learning (standalone, actions=NORMAL) and VXLAN ports join them in a star around the
 * first host — a tree, because NORMAL flooding over a mesh of tunnels would loop. For checking the testbed
 * itself; the agent replaces all of this.
 */
export async function wirePlainVxlan(hosts: readonly HostInfo[]): Promise<void> {
  const [hub, ...spokes] = hosts;
  if (hub === undefined) return;
  for (const host of hosts) {
    const client = await OvsdbClient.connect({ endpoint: host.ovsdb });
    try {
      const db = await openVswitchDb(client);
      await ensureBridge(db, { name: host.integrationBridge, failMode: "standalone" });
      const peers = host === hub ? spokes : [hub];
      for (const peer of peers) {
        await ensurePort(
          db,
          host.integrationBridge,
          tunnelPort({
            name: `vxlan-${peer.name}`,
            type: "vxlan",
            remoteIp: peer.underlayIp,
            localIp: host.underlayIp,
          }),
        );
      }
    } finally {
      client.close();
    }
  }
}
