/**
 * A subnet's host routes as Neutron checks them (neutron-lib validate_hostroutes, then db_base_plugin_v2
 * _validate_host_route): a destination CIDR and a next-hop address each, no route twice, both of the
 * subnet's IP version. Kept as given, the next hop in its canonical form — DHCP agents are sent them.
 */
import type { HostRoute } from "../../protocol/index.ts";
import { ApiError, invalidInput } from "../api-errors.ts";
import { formatIp, type IpVersion, parseCidr, parseIp } from "../ipam.ts";

const refused = (reason: string) =>
  new ApiError(400, "HTTPBadRequest", `Invalid input for host_routes. Reason: ${reason}.`);

export function checkHostRoutes(routes: readonly HostRoute[], version: IpVersion): HostRoute[] {
  const seen = new Set<string>();
  const checked: HostRoute[] = [];
  for (const { destination, nexthop } of routes) {
    const network = parseCidr(destination);
    if ("error" in network) throw refused(network.error);
    const hop = parseIp(nexthop);
    if (hop === undefined) throw refused(`'${nexthop}' is not a valid IP address`);
    const key = `${destination} ${nexthop}`;
    if (seen.has(key))
      throw refused(`Duplicate hostroute '{'destination': '${destination}', 'nexthop': '${nexthop}'}'`);
    seen.add(key);
    checked.push({ destination, nexthop: formatIp(hop.version, hop.value) });
  }
  for (const route of checked) {
    for (const [name, found] of [
      ["nexthop", parseIp(route.nexthop)!.version],
      ["destination", (parseCidr(route.destination) as { version: IpVersion }).version],
    ] as const) {
      if (found !== version)
        throw invalidInput(`${name} '${route[name]}' does not match the ip_version '${version}'.`);
    }
  }
  return checked;
}
