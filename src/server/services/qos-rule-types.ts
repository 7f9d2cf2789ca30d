/**
 * The QoS rule types: Neutron's constants (neutron-lib constants.py, services/qos/constants.py) and what
 * Weir's one backend, reported as Neutron's `openvswitch` driver, supports
 * (neutron/services/qos/drivers/openvswitch/driver.py SUPPORTED_RULES, cut to the types Weir implements).
 */

/** Neutron's VALID_RULE_TYPES, in its order (the order policies list their rules in). */
export const ALL_RULE_TYPES = [
  "bandwidth_limit",
  "dscp_marking",
  "minimum_bandwidth",
  "minimum_packet_rate",
  "packet_rate_limit",
] as const;

export const RuleType = { bandwidthLimit: "bandwidth_limit", dscpMarking: "dscp_marking" } as const;
export type RuleType = (typeof RuleType)[keyof typeof RuleType];
export const RULE_TYPES: readonly RuleType[] = [RuleType.bandwidthLimit, RuleType.dscpMarking];

/** neutron-lib db constants DB_INTEGER_MAX_VALUE: the upper bound of every rate and burst. */
export const DB_INTEGER_MAX_VALUE = 2 ** 31 - 1;
export const VALID_DSCP_MARKS: readonly number[] = [
  0, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 44, 46, 48, 56,
];
/** Neutron's "egress" leaves the VM; "ingress" goes towards it. */
export const VALID_DIRECTIONS = ["ingress", "egress"] as const;
export type Direction = (typeof VALID_DIRECTIONS)[number];

export const QOS_DRIVER_NAME = "openvswitch";

type Parameter =
  | { parameter_name: string; parameter_type: "range"; parameter_values: { start: number; end: number } }
  | { parameter_name: string; parameter_type: "choices"; parameter_values: readonly (string | number)[] };

const range = (name: string): Parameter => ({
  parameter_name: name,
  parameter_type: "range",
  parameter_values: { start: 0, end: DB_INTEGER_MAX_VALUE },
});

/** What GET /v2.0/qos/rule-types/{type} reports per driver, parameters in the driver's order. */
export const SUPPORTED_PARAMETERS: Readonly<Record<RuleType, readonly Parameter[]>> = {
  bandwidth_limit: [
    range("max_kbps"),
    range("max_burst_kbps"),
    { parameter_name: "direction", parameter_type: "choices", parameter_values: VALID_DIRECTIONS },
  ],
  dscp_marking: [
    { parameter_name: "dscp_mark", parameter_type: "choices", parameter_values: VALID_DSCP_MARKS },
  ],
};

export function isRuleType(name: string): name is RuleType {
  return (RULE_TYPES as readonly string[]).includes(name);
}

/** A rule type's drivers: ours if it supports the type, none for Neutron's other types. */
export function ruleTypeDrivers(name: string) {
  return isRuleType(name)
    ? [{ name: QOS_DRIVER_NAME, supported_parameters: SUPPORTED_PARAMETERS[name] }]
    : [];
}
