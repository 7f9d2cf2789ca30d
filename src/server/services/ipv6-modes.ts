/**
 * A subnet's IPv6 modes (ipv6_address_mode, ipv6_ra_mode) as Neutron checks them: db_base_plugin_v2's
 * _validate_subnet and _validate_ipv6_* — IPv6 only, equal when both are set, only with DHCP enabled, /64
 * for the modes whose addresses come from the MAC (EUI-64). Neutron's messages.
 */
import type { Ipv6Mode } from "../../protocol/index.ts";
import { invalidInput } from "../api-errors.ts";

export interface Ipv6Modes {
  readonly addressMode: Ipv6Mode | null;
  readonly raMode: Ipv6Mode | null;
}

const AUTO_ADDRESS_MODES: readonly string[] = ["slaac", "dhcpv6-stateless"];

/** Neutron's is_auto_address_subnet: its ports' addresses are EUI-64 ones, not taken from the pools. */
export function isAutoAddress(subnet: {
  readonly ipv6_address_mode: string | null;
  readonly ipv6_ra_mode: string | null;
}): boolean {
  return (
    AUTO_ADDRESS_MODES.includes(subnet.ipv6_address_mode ?? "") ||
    AUTO_ADDRESS_MODES.includes(subnet.ipv6_ra_mode ?? "")
  );
}

export interface ModesOnCreate {
  readonly ipVersion: 4 | 6;
  readonly modes: Ipv6Modes;
  readonly enableDhcp: boolean;
  /** The requested CIDR, canonical; undefined when the subnet is allocated from a pool (Neutron then skips the /64 check). */
  readonly requestedCidr: { readonly text: string; readonly prefix: number } | undefined;
}

/** A new subnet's modes, in Neutron's order of checks. */
export function checkModesOnCreate({ ipVersion, modes, enableDhcp, requestedCidr }: ModesOnCreate): void {
  const { addressMode, raMode } = modes;
  if (ipVersion === 4) {
    if (raMode !== null) throw invalidInput("ipv6_ra_mode is not valid when ip_version is 4.");
    if (addressMode !== null) throw invalidInput("ipv6_address_mode is not valid when ip_version is 4.");
    return;
  }
  if (raMode === null && addressMode === null) return;
  if (!enableDhcp)
    throw invalidInput("ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False.");
  if (raMode !== null && addressMode !== null && raMode !== addressMode) {
    throw invalidInput(
      `ipv6_ra_mode set to '${raMode}' with ipv6_address_mode set to '${addressMode}' is not valid. If both attributes are set, they must be the same value.`,
    );
  }
  const auto = isAutoAddress({ ipv6_address_mode: addressMode, ipv6_ra_mode: raMode });
  if (requestedCidr !== undefined && auto && requestedCidr.prefix !== 64) {
    throw invalidInput(
      `Invalid CIDR ${requestedCidr.text} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64.`,
    );
  }
}

/** The modes cannot be changed (Neutron: allow_put False); DHCP cannot be disabled while they are set. */
export function checkDhcpChange(current: Ipv6Modes, enableDhcp: boolean | undefined): void {
  if (enableDhcp === false && (current.addressMode !== null || current.raMode !== null))
    throw invalidInput("Cannot disable enable_dhcp with ipv6 attributes set.");
}
