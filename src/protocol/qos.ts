/** The QoS section of the agent channel: the policies an agent's ports use, as rules it can apply. */
import { z } from "zod";
import { uuid } from "./values.ts";

/** A bandwidth limit (Neutron's bandwidth_limit rule): egress is from the VM, ingress towards it. */
export const BandwidthLimitRule = z.object({
  type: z.literal("bandwidth_limit"),
  id: uuid,
  max_kbps: z.number().int().min(0),
  max_burst_kbps: z.number().int().min(0),
  direction: z.enum(["egress", "ingress"]),
});
export type BandwidthLimitRule = z.infer<typeof BandwidthLimitRule>;

/** DSCP marking of the IP packets a VM sends (Neutron's dscp_marking rule). */
export const DscpMarkingRule = z.object({
  type: z.literal("dscp_marking"),
  id: uuid,
  dscp_mark: z.number().int().min(0).max(63),
});
export type DscpMarkingRule = z.infer<typeof DscpMarkingRule>;

export const QosRule = z.discriminatedUnion("type", [BandwidthLimitRule, DscpMarkingRule]);
export type QosRule = z.infer<typeof QosRule>;

/** Rule types this agent does not know (a newer server's) are dropped before validation. */
const knownRuleTypes = new Set(["bandwidth_limit", "dscp_marking"]);
const knownRules = (rules: unknown) =>
  Array.isArray(rules)
    ? rules.filter(
        (r) => typeof r !== "object" || r === null || knownRuleTypes.has((r as { type?: string }).type ?? ""),
      )
    : rules;

/** A QoS policy as agents see it: its rules, nothing about who owns it. */
export const QosPolicyInfo = z.object({
  policy_id: uuid,
  revision_number: z.number().int(),
  rules: z.preprocess(knownRules, z.array(QosRule)),
});
export type QosPolicyInfo = z.infer<typeof QosPolicyInfo>;

/** The qos section of sync and details replies. */
export const QosSection = z.object({ policies: z.array(QosPolicyInfo) });
export type QosSection = z.infer<typeof QosSection>;
