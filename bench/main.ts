// npm run bench [-- NAME…]: runs the named benchmarks (all when none) and writes docs/BENCHMARKS.md.
import { preflight } from "../src/testbed/index.ts";
import { runDhcpBench } from "./dhcp.ts";
import { runFirewallBench } from "./firewall.ts";
import { runOpenFlowBench } from "./openflow.ts";
import { runOvsdbBench } from "./ovsdb.ts";
import { runRestartsBench } from "./restarts.ts";
import { runScaleBench } from "./scale.ts";
import { runServerBench } from "./server.ts";

const benchmarks: Record<string, () => Promise<void>> = {
  ovsdb: runOvsdbBench,
  openflow: runOpenFlowBench,
  server: runServerBench,
  restarts: runRestartsBench,
  scale: runScaleBench,
  firewall: runFirewallBench,
  dhcp: runDhcpBench,
};

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !(name in benchmarks));
if (unknown.length > 0) {
  console.error(
    `bench: unknown benchmark ${unknown.join(", ")}; known: ${Object.keys(benchmarks).join(", ")}`,
  );
  process.exit(2);
}
await preflight();
for (const name of requested.length > 0 ? requested : Object.keys(benchmarks)) {
  await benchmarks[name]!();
}
