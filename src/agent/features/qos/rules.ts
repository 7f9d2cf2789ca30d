/**
 * A QoS policy, as what it asks of one port: a DSCP mark for what the VM sends, a bandwidth limit in each
 * direction (egress: from the VM; ingress: towards it). Neutron's conventions: a max_kbps of 0 is no
 * limit; an egress burst of 0 means 80 % of the rate (DEFAULT_BURST_RATE, neutron qos_linux.py), an
 * ingress burst of 0 is left to OVS.
 */
import type { QosPolicyInfo } from "../../../protocol/index.ts";

export interface Limit {
  readonly kbps: number;
  /** Kilobits. */
  readonly burstKb: number;
}

export interface PortQos {
  readonly dscp?: number;
  readonly egress?: Limit;
  readonly ingress?: Limit;
}

const DEFAULT_BURST_RATE = 0.8;

export function portQos(policy: QosPolicyInfo | undefined): PortQos {
  if (policy === undefined) return {};
  let dscp: number | undefined;
  let egress: Limit | undefined;
  let ingress: Limit | undefined;
  for (const rule of policy.rules) {
    if (rule.type === "dscp_marking") dscp = rule.dscp_mark;
    else if (rule.type === "bandwidth_limit" && rule.max_kbps > 0) {
      if (rule.direction === "egress")
        egress = {
          kbps: rule.max_kbps,
          burstKb: rule.max_burst_kbps || Math.max(1, Math.floor(rule.max_kbps * DEFAULT_BURST_RATE)),
        };
      else ingress = { kbps: rule.max_kbps, burstKb: rule.max_burst_kbps };
    }
  }
  return {
    ...(dscp === undefined ? {} : { dscp }),
    ...(egress === undefined ? {} : { egress }),
    ...(ingress === undefined ? {} : { ingress }),
  };
}
