/**
 * Every key Weir writes into Open vSwitch's database, in one place: operators grep for them, the testbed
 * reads them, and a new one is added here or not at all. Neutron's own keys that Weir shares (Port
 * other_config net_uuid, network_type, physical_network, segmentation_id) are listed last.
 */
export const WeirKeys = {
  /** Bridge.external_ids: the flow generation last completed on the bridge (generation.ts). */
  generation: "weir-generation",
  /** Bridge.external_ids: what the bridge is to the agent (integration, tunnel, physical). */
  role: "weir-role",
  /** Bridge.external_ids: the physical network a physical bridge carries. */
  physicalNetwork: "weir-physical-network",
  /**
   * Open_vSwitch.external_ids: the cookie class the agent assigned to each extension and the meter ids it
   * declares, "name=class[:min-max],…" (class hex, ids decimal), so an extension keeps its class across
   * restarts and a removed one's flows and meters can be swept.
   */
  extensionClasses: "weir-extension-classes",
  /** Interface.external_ids: set when the agent confirmed the VIF's flows (an ISO time). */
  installed: "weir-installed",
  /** Interface.external_ids of a tunnel port: the networks it floods for, "id,id,…". */
  tunnelNetworks: "weir-networks",
  /** Interface.external_ids of a tunnel port: the remote host's name. */
  tunnelRemoteHost: "weir-remote-host",
  /** external_ids of QoS and Queue rows the agent made: the interface they are for. */
  qosInterface: "weir-interface",
  /**
   * Interface.external_ids of a VIF whose ingress_policing_rate/burst the agent set: "rate/burst" as set
   * (kbit/s, kbit), so that only policing the agent set is cleared when QoS no longer applies.
   */
  qosPolicing: "weir-policing",
} as const;

/** Port.other_config keys recording a VIF's network, named as Neutron's agent names them. */
export const portNetworkKeys = ["net_uuid", "network_type", "physical_network", "segmentation_id"] as const;
