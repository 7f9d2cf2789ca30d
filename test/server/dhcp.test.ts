// Subnets' IPv6 modes, ports' extra DHCP options and DHCP on the agent channel, on SQLite (in process;
// server-api-postgres.test.ts runs the same suite on PostgreSQL).
import { defineDhcpSuite } from "../support/dhcp-suite.ts";

defineDhcpSuite({ kind: "sqlite" });
