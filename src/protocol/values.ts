import { z } from "zod";

/**
 * A feature's (an extension's) name: what `[agent] extensions` names, logs, metrics and the agent's
 * configurations say. Lower case letters, digits, - and _, starting with a letter.
 */
export const FEATURE_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

/** The sections of the server's replies that features declare they read, by name. */
export const Section = {
  qos: "qos",
  /** A security group's rules, by group id. */
  securityGroup: "security_group",
  /** A remote group's member addresses, by group id. */
  groupMembers: "group_members",
  /** An address group's prefixes, by address group id. */
  addressGroup: "address_group",
  /** A subnet as DHCP serves it, by subnet id. */
  dhcpSubnet: "dhcp_subnet",
} as const;

export const uuid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "a UUID");
