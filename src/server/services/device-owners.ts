/** The device_owner values of the ports routers and floating IPs hold (neutron-lib constants). */

export const ROUTER_INTERFACE = "network:router_interface";
export const ROUTER_GATEWAY = "network:router_gateway";
export const FLOATING_IP_OWNER = "network:floatingip";

/** Neutron's ROUTER_INTERFACE_OWNERS: a router's ports on a subnet, which may take its gateway IP. */
export const ROUTER_INTERFACE_OWNERS: readonly string[] = [
  ROUTER_INTERFACE,
  "network:ha_router_replicated_interface",
  "network:router_interface_distributed",
];
