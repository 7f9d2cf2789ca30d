import { after } from "node:test";
import { defineApiSuite } from "../support/api-suite.ts";
import { defineDhcpSuite } from "../support/dhcp-suite.ts";
import { type PostgresCluster, postgresCluster } from "../support/postgres.ts";
import { defineQosAgentSuite } from "../support/qos-agent-suite.ts";
import { defineQosSuite } from "../support/qos-suite.ts";
import { defineRouterSuite } from "../support/router-suite.ts";
import { defineSecurityGroupAgentSuite } from "../support/sg-agent-suite.ts";
import { defineSecurityGroupSuite } from "../support/sg-suite.ts";
import { defineSubnetPoolSuite } from "../support/subnet-pool-suite.ts";

// One cluster for the whole file, started by the first test that needs it, stopped when the file ends.
let cluster: Promise<PostgresCluster> | undefined;
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const backend = {
  kind: "postgres",
  cluster: () => {
    cluster ??= postgresCluster((fn) => cleanups.push(fn));
    return cluster;
  },
} as const;
defineApiSuite(backend);
defineQosSuite(backend);
defineQosAgentSuite(backend);
defineSecurityGroupSuite(backend);
defineSecurityGroupAgentSuite(backend);
defineSubnetPoolSuite(backend);
defineRouterSuite(backend);
// On SQLite it runs in test/server/dhcp.test.ts.
defineDhcpSuite(backend);
