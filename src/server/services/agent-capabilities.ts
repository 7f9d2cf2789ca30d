/**
 * What a host's agent can read, from its last report-state (src/protocol/agent-messages.ts, "how it
 * evolves"). An agent whose configurations have no `extensions` key speaks the first protocol: it refuses
 * unknown keys, so it gets exactly the first protocol's shapes — no qos_policy_id, no qos section, no qos
 * events, nothing of security groups. An agent that declared `extensions` gets a feature's data only if it
 * named the feature, and security groups only if it runs the openvswitch firewall. A host with no agent
 * registered is treated as the first protocol.
 */
import { AGENT_TYPE_OVS, type AgentConfigurations } from "../../protocol/index.ts";
import type { Queryable } from "./context.ts";

export interface AgentCapabilities {
  /** `configurations.extensions` as reported; undefined: an agent of the first protocol. */
  readonly extensions: readonly string[] | undefined;
  /** Reads qos_policy_id in DeviceDetails, the qos section of sync and details, qos.* events. */
  readonly qos: boolean;
  /**
   * Runs `firewall_driver = openvswitch` (and declared `extensions`): reads security_groups in
   * DeviceDetails, the security_groups section of sync and details, security_group.* / group_members.* /
   * address_group.* events.
   */
  readonly firewall: boolean;
  /**
   * Answers DHCP itself: reads extra_dhcp_opts in DeviceDetails, the dhcp section of sync and details,
   * dhcp.* events.
   */
  readonly dhcp: boolean;
}

export const firstProtocol: AgentCapabilities = {
  extensions: undefined,
  qos: false,
  firewall: false,
  dhcp: false,
};

export function capabilitiesFrom(configurations: string): AgentCapabilities {
  const parsed = JSON.parse(configurations) as Partial<AgentConfigurations>;
  const extensions = parsed.extensions;
  if (!Array.isArray(extensions)) return firstProtocol;
  return {
    extensions,
    qos: extensions.includes("qos"),
    firewall: parsed.firewall_driver === "openvswitch",
    dhcp: extensions.includes("dhcp"),
  };
}

export async function capabilitiesOf(q: Queryable, host: string): Promise<AgentCapabilities> {
  const row = await q.get<{ configurations: string }>(
    "SELECT configurations FROM agents WHERE host = ? AND agent_type = ?",
    [host, AGENT_TYPE_OVS],
  );
  return row === undefined ? firstProtocol : capabilitiesFrom(row.configurations);
}

/** Capabilities of every registered agent's host, or of the hosts given (one query). */
export async function capabilitiesByHost(
  q: Queryable,
  hosts?: readonly string[],
): Promise<Map<string, AgentCapabilities>> {
  const rows =
    hosts === undefined
      ? await q.all<{ host: string; configurations: string }>(
          "SELECT host, configurations FROM agents WHERE agent_type = ?",
          [AGENT_TYPE_OVS],
        )
      : [];
  const wanted = [...new Set(hosts ?? [])];
  for (let i = 0; i < wanted.length; i += 500) {
    const chunk = wanted.slice(i, i + 500);
    rows.push(
      ...(await q.all<{ host: string; configurations: string }>(
        `SELECT host, configurations FROM agents WHERE agent_type = ? AND host IN (${chunk.map(() => "?").join(",")})`,
        [AGENT_TYPE_OVS, ...chunk],
      )),
    );
  }
  return new Map(rows.map((r) => [r.host, capabilitiesFrom(r.configurations)]));
}
