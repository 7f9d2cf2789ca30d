/**
 * The security-groups section of the agent channel (agents that run `firewall_driver = openvswitch`
 * only): the groups their ports are in, with rules as the firewall applies them, and the members of
 * the groups and address groups those rules name as remotes. Nothing about owners or names: an agent
 * needs what to match, no more.
 */
import { z } from "zod";
import { uuid } from "./values.ts";

/**
 * A rule as an agent applies it: the protocol as a number (null: any), ports as given (null: any;
 * for ICMP min is the type and max the code), the remote prefix as its network (Neutron's
 * normalized_cidr; null for any), at most one remote group or address group.
 */
export const SecurityGroupRuleInfo = z.object({
  id: uuid,
  direction: z.enum(["ingress", "egress"]),
  ethertype: z.enum(["IPv4", "IPv6"]),
  protocol: z.number().int().min(0).max(255).nullable(),
  port_range_min: z.number().int().min(0).max(65535).nullable(),
  port_range_max: z.number().int().min(0).max(65535).nullable(),
  remote_ip_prefix: z.string().min(2).max(49).nullable(),
  remote_group_id: uuid.nullable(),
  remote_address_group_id: uuid.nullable(),
});
export type SecurityGroupRuleInfo = z.infer<typeof SecurityGroupRuleInfo>;

/** A group as agents see it: whether it is stateful, and its rules. */
export const SecurityGroupInfo = z.object({
  group_id: uuid,
  stateful: z.boolean(),
  revision_number: z.number().int(),
  rules: z.array(SecurityGroupRuleInfo),
});
export type SecurityGroupInfo = z.infer<typeof SecurityGroupInfo>;

/** One address of a group's member port: a fixed IP or an allowed address pair (an IP or a CIDR). */
export const GroupMember = z.object({ ip_address: z.string().min(2).max(49), mac_address: z.string() });
export type GroupMember = z.infer<typeof GroupMember>;

/** The addresses of every port in a group that some local port's rule names as its remote group. */
export const RemoteGroupMembers = z.object({ group_id: uuid, members: z.array(GroupMember) });
export type RemoteGroupMembers = z.infer<typeof RemoteGroupMembers>;

/** An address group's prefixes (normalised to their networks, as the API stores them). */
export const AddressGroupInfo = z.object({
  address_group_id: uuid,
  addresses: z.array(z.string().min(2).max(49)),
});
export type AddressGroupInfo = z.infer<typeof AddressGroupInfo>;

/** The security_groups section of sync and details replies. */
export const SecurityGroupsSection = z.object({
  groups: z.array(SecurityGroupInfo),
  members: z.array(RemoteGroupMembers),
  address_groups: z.array(AddressGroupInfo),
});
export type SecurityGroupsSection = z.infer<typeof SecurityGroupsSection>;
