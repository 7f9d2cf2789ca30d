/**
 * What an operator and Nova do through the Networking API, for the demo, tests and benchmarks: create
 * networks with their provider attributes, subnets, ports bound to a host (as Nova does before it plugs
 * the VIF), and flip a port's admin state. Plain REST over fetch, the way the openstack client talks.
 */
import { WeirError } from "../base/index.ts";

export type ProviderType = "flat" | "vlan" | "vxlan" | "gre" | "geneve";

export interface NetworkSpec {
  readonly name: string;
  readonly type: ProviderType;
  readonly segmentationId?: number;
  readonly physicalNetwork?: string;
  /** A subnet for the VMs' addresses (fixed IPs are given per port). */
  readonly cidr?: string;
  /** More of the subnet's attributes as the API takes them (gateway_ip, dns_nameservers, host_routes, …). */
  readonly subnet?: Readonly<Record<string, unknown>>;
}

export interface PortSpec {
  readonly networkId: string;
  readonly host: string;
  readonly mac: string;
  readonly ip?: string;
  readonly subnetId?: string;
  readonly name?: string;
  /** More fixed IPs (an IPv6 address, say). */
  readonly moreFixedIps?: readonly { readonly subnetId: string; readonly ip: string }[];
  /** Security groups (default: the server's, the project's default group). */
  readonly securityGroups?: readonly string[];
  readonly portSecurity?: boolean;
  readonly allowedAddressPairs?: readonly { readonly ip_address: string; readonly mac_address?: string }[];
}

/** A security-group rule as the API takes it (security_group_id is given separately). */
export interface RuleSpec {
  readonly direction: "ingress" | "egress";
  readonly ethertype?: "IPv4" | "IPv6";
  readonly protocol?: string | null;
  readonly port_range_min?: number | null;
  readonly port_range_max?: number | null;
  readonly remote_ip_prefix?: string | null;
  readonly remote_group_id?: string | null;
  readonly remote_address_group_id?: string | null;
}

export type QosRuleType = "bandwidth_limit" | "dscp_marking";

/** A Networking API body: { "<resource>": { field: value } }. */
type ApiBody = Record<string, Record<string, unknown>>;

export class CloudApiError extends WeirError {
  constructor(what: string, status: number, body: string) {
    super("WEIR_CLOUD_API", `${what}: HTTP ${status}: ${body.slice(0, 300)}`);
  }
}

export class CloudApi {
  readonly #url: string;
  readonly #token: string | undefined;

  constructor(url: string, token?: string) {
    this.#url = url.replace(/\/$/, "");
    this.#token = token;
  }

  async createNetwork(spec: NetworkSpec): Promise<{ id: string; subnetId: string | undefined }> {
    const network = await this.#call("POST", "/v2.0/networks", {
      network: {
        name: spec.name,
        "provider:network_type": spec.type,
        ...(spec.physicalNetwork === undefined ? {} : { "provider:physical_network": spec.physicalNetwork }),
        ...(spec.segmentationId === undefined ? {} : { "provider:segmentation_id": spec.segmentationId }),
      },
    });
    const id = network.network!.id as string;
    let subnetId: string | undefined;
    if (spec.cidr !== undefined) {
      const subnet = await this.#call("POST", "/v2.0/subnets", {
        subnet: {
          network_id: id,
          cidr: spec.cidr,
          ip_version: 4,
          name: `${spec.name}-subnet`,
          gateway_ip: null,
          ...spec.subnet,
        },
      });
      subnetId = subnet.subnet!.id as string;
    }
    return { id, subnetId };
  }

  /** Another subnet on a network (an IPv6 one beside the VMs' IPv4 subnet, say); no gateway. */
  /** A subnet without a gateway unless `attributes` give one (or IPv6 modes, DNS servers: any of Neutron's). */
  async addSubnet(
    networkId: string,
    cidr: string,
    ipVersion: 4 | 6,
    attributes: Record<string, unknown> = {},
  ): Promise<string> {
    const reply = await this.#call("POST", "/v2.0/subnets", {
      subnet: { network_id: networkId, cidr, ip_version: ipVersion, gateway_ip: null, ...attributes },
    });
    return reply.subnet!.id as string;
  }

  /** A port bound to `host` (binding:host_id), as Nova creates it before plugging the VIF. */
  async createPort(spec: PortSpec): Promise<{ id: string; vifType: string }> {
    const fixedIps = [
      ...(spec.ip !== undefined && spec.subnetId !== undefined
        ? [{ subnet_id: spec.subnetId, ip_address: spec.ip }]
        : []),
      ...(spec.moreFixedIps ?? []).map((f) => ({ subnet_id: f.subnetId, ip_address: f.ip })),
    ];
    const reply = await this.#call("POST", "/v2.0/ports", {
      port: {
        network_id: spec.networkId,
        mac_address: spec.mac,
        ...(spec.name === undefined ? {} : { name: spec.name }),
        fixed_ips: fixedIps,
        ...(spec.securityGroups === undefined ? {} : { security_groups: spec.securityGroups }),
        ...(spec.portSecurity === undefined ? {} : { port_security_enabled: spec.portSecurity }),
        ...(spec.allowedAddressPairs === undefined
          ? {}
          : { allowed_address_pairs: spec.allowedAddressPairs }),
        "binding:host_id": spec.host,
        device_owner: "compute:nova",
        device_id: crypto.randomUUID(),
      },
    });
    return { id: reply.port!.id as string, vifType: reply.port!["binding:vif_type"] as string };
  }

  async setPortAdminState(portId: string, up: boolean): Promise<void> {
    await this.#call("PUT", `/v2.0/ports/${portId}`, { port: { admin_state_up: up } });
  }

  async portStatus(portId: string): Promise<string> {
    const reply = await this.#call("GET", `/v2.0/ports/${portId}`);
    return reply.port!.status as string;
  }

  /** A QoS policy (Neutron's /v2.0/qos/policies); rules are added separately. */
  async createQosPolicy(name: string): Promise<string> {
    const reply = await this.#call("POST", "/v2.0/qos/policies", { policy: { name } });
    return reply.policy!.id as string;
  }

  async deleteQosPolicy(policyId: string): Promise<void> {
    await this.#call("DELETE", `/v2.0/qos/policies/${policyId}`);
  }

  /** A rule of the policy: bandwidth_limit (max_kbps, max_burst_kbps, direction) or dscp_marking (dscp_mark). */
  async addQosRule(policyId: string, type: QosRuleType, rule: Record<string, unknown>): Promise<string> {
    const reply = await this.#call("POST", `/v2.0/qos/policies/${policyId}/${type}_rules`, {
      [`${type}_rule`]: rule,
    });
    return reply[`${type}_rule`]!.id as string;
  }

  async updateQosRule(
    policyId: string,
    type: QosRuleType,
    ruleId: string,
    rule: Record<string, unknown>,
  ): Promise<void> {
    await this.#call("PUT", `/v2.0/qos/policies/${policyId}/${type}_rules/${ruleId}`, {
      [`${type}_rule`]: rule,
    });
  }

  async deleteQosRule(policyId: string, type: QosRuleType, ruleId: string): Promise<void> {
    await this.#call("DELETE", `/v2.0/qos/policies/${policyId}/${type}_rules/${ruleId}`);
  }

  /** Sets (or, with null, clears) a port's own QoS policy. */
  async setPortQosPolicy(portId: string, policyId: string | null): Promise<void> {
    await this.#call("PUT", `/v2.0/ports/${portId}`, { port: { qos_policy_id: policyId } });
  }

  /** A security group (stateful unless told otherwise); it starts with the two egress template rules. */
  async createSecurityGroup(name: string, options: { stateful?: boolean } = {}): Promise<string> {
    const reply = await this.#call("POST", "/v2.0/security-groups", {
      security_group: { name, ...(options.stateful === undefined ? {} : { stateful: options.stateful }) },
    });
    return reply.security_group!.id as string;
  }

  async addRule(groupId: string, rule: RuleSpec): Promise<string> {
    const reply = await this.#call("POST", "/v2.0/security-group-rules", {
      security_group_rule: { ...rule, security_group_id: groupId },
    });
    return reply.security_group_rule!.id as string;
  }

  async deleteRule(ruleId: string): Promise<void> {
    await this.#call("DELETE", `/v2.0/security-group-rules/${ruleId}`);
  }

  /** The rules of a group, as the API lists them. */
  async rulesOf(groupId: string): Promise<{ id: string; direction: string; ethertype: string }[]> {
    const reply = (await this.#call(
      "GET",
      `/v2.0/security-group-rules?security_group_id=${groupId}`,
    )) as unknown as {
      security_group_rules: { id: string; direction: string; ethertype: string }[];
    };
    return reply.security_group_rules;
  }

  async createAddressGroup(name: string, addresses: readonly string[]): Promise<string> {
    const reply = await this.#call("POST", "/v2.0/address-groups", { address_group: { name, addresses } });
    return reply.address_group!.id as string;
  }

  async addressGroupChange(
    id: string,
    action: "add_addresses" | "remove_addresses",
    addresses: readonly string[],
  ) {
    await this.#call("PUT", `/v2.0/address-groups/${id}/${action}`, { addresses } as unknown as ApiBody);
  }

  /** PUT /v2.0/ports/{id} with these attributes. */
  async updatePort(portId: string, attributes: Record<string, unknown>): Promise<void> {
    await this.#call("PUT", `/v2.0/ports/${portId}`, { port: attributes });
  }

  async deletePort(portId: string): Promise<void> {
    await this.#call("DELETE", `/v2.0/ports/${portId}`);
  }

  /** Any Networking API call this client has no method for (its body as JSON; errors as CloudApiError). */
  call(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<ApiBody> {
    return this.#call(method, path, body);
  }

  async #call(method: string, path: string, body?: unknown): Promise<ApiBody> {
    const response = await fetch(`${this.#url}${path}`, {
      method,
      headers: {
        "content-type": "application/json",
        ...(this.#token === undefined ? {} : { "x-auth-token": this.#token }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new CloudApiError(`${method} ${path}`, response.status, text);
    return text === "" ? {} : (JSON.parse(text) as ApiBody);
  }
}
