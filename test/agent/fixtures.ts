/** Protocol values for the agent's unit tests, valid against the zod schemas, with overrides. */
import {
  DeviceDetails,
  FdbEntry,
  NetworkInfo,
  type SecurityGroupRuleInfo,
  type SyncResponse,
} from "../../src/protocol/index.ts";

export const HOST = "compute-1";

/** A deterministic UUID: uuid(1) = "00000000-0000-4000-8000-000000000001". */
export const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

export function network(id: string, overrides: Partial<NetworkInfo> = {}): NetworkInfo {
  return NetworkInfo.parse({
    network_id: id,
    network_type: "vxlan",
    physical_network: null,
    segmentation_id: 1000,
    mtu: 1450,
    admin_state_up: true,
    ...overrides,
  });
}

export function details(
  portId: string,
  networkId: string,
  overrides: Partial<DeviceDetails> = {},
): DeviceDetails {
  return DeviceDetails.parse({
    port_id: portId,
    network_id: networkId,
    network_type: "vxlan",
    physical_network: null,
    segmentation_id: 1000,
    mtu: 1450,
    mac_address: "fa:16:3e:00:00:01",
    fixed_ips: [{ subnet_id: uuid(0xeee), ip_address: "10.0.0.5" }],
    admin_state_up: true,
    network_admin_state_up: true,
    port_security_enabled: false,
    allowed_address_pairs: [],
    device_owner: "compute:nova",
    device_id: uuid(0xddd),
    host: HOST,
    status: "ACTIVE",
    vif_type: "ovs",
    revision_number: 1,
    ...overrides,
  });
}

export function fdbEntry(portId: string, networkId: string, overrides: Partial<FdbEntry> = {}): FdbEntry {
  return FdbEntry.parse({
    port_id: portId,
    network_id: networkId,
    host: "compute-2",
    mac_address: "fa:16:3e:00:00:02",
    ip_addresses: ["10.0.0.6"],
    ...overrides,
  });
}

export function sync(overrides: Partial<SyncResponse> = {}): SyncResponse {
  return { revision: 1, ports: [], networks: [], endpoints: [], fdb: [], ...overrides };
}

/** A security-group rule as agents get it: ingress IPv4, any protocol, no remote unless overridden. */
export function ruleInfo(id: number, overrides: Partial<SecurityGroupRuleInfo> = {}): SecurityGroupRuleInfo {
  return {
    id: uuid(id),
    direction: "ingress",
    ethertype: "IPv4",
    protocol: null,
    port_range_min: null,
    port_range_max: null,
    remote_ip_prefix: null,
    remote_group_id: null,
    remote_address_group_id: null,
    ...overrides,
  };
}
