// For tests only: the address arithmetic behind the API (test/import-graph.test.ts checks who uses it).

// Extra DHCP options: Neutron's key specs (pure) and what an update makes of a port's options.
export { parseExtraDhcpOpts } from "./api/extra-dhcp-opts.ts";
export { ApiError } from "./api-errors.ts";
// Authentication and policy: the pure parts the policy tests check.
export { callerOf } from "./auth/authenticator.ts";
export { Policy, PolicyError } from "./auth/policy.ts";
export { parsePolicyText } from "./auth/policy-file.ts";
export { parseRule } from "./auth/policy-language.ts";
export { TokenCache } from "./auth/token-cache.ts";
export { defaultPools, firstFree, formatIp, overlaps, parseCidr, parseIp, validatePools } from "./ipam.ts";
export { mergeExtraDhcpOpts } from "./services/extra-dhcp-opts.ts";
// Ports: the services the project-scoping tests call as a member.
export { updatePort } from "./services/ports.ts";
// Security groups: the pure rule checks, and the services the project-scoping tests call as a member.
export { createRules } from "./services/security-group-rules.ts";
export { createGroup, deleteGroup, securityGroup } from "./services/security-groups.ts";
export {
  checkRuleValues,
  convertEthertype,
  convertPort,
  convertPrefix,
  convertProtocol,
  normalizedCidr,
  type RuleValues,
  ruleKey,
} from "./services/sg-rule-values.ts";
// The store's migrations, for the upgrade tests.
export { migrations } from "./store/schema.ts";
