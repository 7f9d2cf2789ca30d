// A one-host testbed with secure bridges and native OpenFlow connections, closed when the test ends.
import type { TestContext } from "node:test";
import { OpenFlowConnection } from "../../src/openflow/index.ts";
import { type HostInfo, ovsPaths, run, type Testbed, vsctl } from "../../src/testbed/index.ts";
import { testbed } from "./ovs.ts";

export interface OpenFlowBed {
  readonly tb: Testbed;
  readonly host: HostInfo;
  mgmt(bridge: string): string;
  connect(
    bridge: string,
    options?: { requestTimeoutMs?: number; probeIntervalMs?: number; missSendLength?: number },
  ): Promise<OpenFlowConnection>;
  /** ovs-ofctl's view (the oracle): sorted flow lines without statistics. */
  dump(bridge: string): Promise<string[]>;
  ofctl(...args: string[]): Promise<string>;
}

export async function openflowBed(
  t: TestContext,
  options: { bridges?: readonly string[]; vmsPerHost?: number } = {},
): Promise<OpenFlowBed> {
  const tb = await testbed(t, { hosts: 1, vmsPerHost: options.vmsPerHost ?? 0 });
  const host = tb.info.hosts[0]!;
  for (const br of options.bridges ?? []) {
    await vsctl(ovsPaths(host.runDir), [
      "add-br",
      br,
      "--",
      "set",
      "Bridge",
      br,
      "datapath_type=netdev",
      "fail_mode=secure",
    ]);
  }
  const mgmt = (br: string) => `unix:${host.runDir}/${br}.mgmt`;
  return {
    tb,
    host,
    mgmt,
    connect: async (br, connectOptions = {}) => {
      const c = await OpenFlowConnection.connect({
        endpoint: mgmt(br),
        backoff: { initialMs: 20, maxMs: 200, factor: 2 },
        ...connectOptions,
      });
      t.after(() => c.close());
      return c;
    },
    dump: async (br) =>
      (await run("ovs-ofctl", ["-O", "OpenFlow15", "--no-stats", "--no-names", "dump-flows", mgmt(br)]))
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line !== "" && !line.startsWith("OFPST"))
        .sort(),
    ofctl: (...args) => run("ovs-ofctl", ["-O", "OpenFlow15", ...args]),
  };
}
