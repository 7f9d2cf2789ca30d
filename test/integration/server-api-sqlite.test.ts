import { defineApiSuite } from "../support/api-suite.ts";
import { defineQosAgentSuite } from "../support/qos-agent-suite.ts";
import { defineQosSuite } from "../support/qos-suite.ts";
import { defineRouterSuite } from "../support/router-suite.ts";
import { defineSecurityGroupAgentSuite } from "../support/sg-agent-suite.ts";
import { defineSecurityGroupSuite } from "../support/sg-suite.ts";
import { defineSubnetPoolSuite } from "../support/subnet-pool-suite.ts";

const backend = { kind: "sqlite" } as const;
defineApiSuite(backend);
defineQosSuite(backend);
defineQosAgentSuite(backend);
defineSecurityGroupSuite(backend);
defineSecurityGroupAgentSuite(backend);
defineSubnetPoolSuite(backend);
defineRouterSuite(backend);
