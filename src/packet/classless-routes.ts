/**
 * Classless static routes, DHCPv4 option 121 (RFC 3442): each route is the prefix length, the
 * significant octets of the destination (ceil(length / 8) of them) and the router's four bytes. With it a
 * client ignores the Router option (RFC 3442), so the default route belongs in the list.
 */
import { InvalidArgumentError } from "../base/index.ts";
import { optionFault } from "./dhcpv4-option-values.ts";
import type { DecodedDhcpv4Option } from "./dhcpv4-options.ts";
import { formatIpv4, parseIpv4 } from "./ipv4-address.ts";
import { formatPrefix, hostBitsClear, parsePrefix } from "./prefix.ts";

/** Named as Neutron's host_routes are, so a subnet's routes pass through unchanged. */
export interface ClasslessRoute {
  /** A prefix, `198.18.8.0/21`; `0.0.0.0/0` is the default route. */
  readonly destination: string;
  readonly nexthop: string;
}

export function decodeClasslessRoutes(option: DecodedDhcpv4Option): ClasslessRoute[] {
  const { data } = option;
  if (data.length < 5) optionFault(option, `has length ${data.length}, must be at least 5 (RFC 3442)`);
  const routes: ClasslessRoute[] = [];
  for (let at = 0; at < data.length; ) {
    const route = `route ${routes.length + 1} (byte ${at} of the option)`;
    const length = data[at]!;
    if (length > 32) optionFault(option, `${route} has prefix length ${length}, at most 32`);
    const significant = Math.ceil(length / 8);
    if (at + 1 + significant + 4 > data.length)
      optionFault(option, `${route} needs ${1 + significant + 4} bytes, ${data.length - at} left`);
    const destination = Buffer.alloc(4);
    data.copy(destination, 0, at + 1, at + 1 + significant);
    if (!hostBitsClear(destination, length))
      optionFault(option, `${route} has bits set past its prefix length ${length}`);
    const router = data.subarray(at + 1 + significant, at + 5 + significant);
    routes.push({ destination: formatPrefix(destination, length), nexthop: formatIpv4(router) });
    at += 5 + significant;
  }
  return routes;
}

export function encodeClasslessRoutes(field: string, routes: readonly ClasslessRoute[]): Buffer {
  if (routes.length === 0) throw new InvalidArgumentError(field, "must hold at least one route");
  return Buffer.concat(
    routes.flatMap((route, i) => {
      const { address, length } = parsePrefix(route.destination, 4, `${field}[${i}].destination`);
      return [
        Buffer.of(length),
        address.subarray(0, Math.ceil(length / 8)),
        parseIpv4(route.nexthop, `${field}[${i}].nexthop`),
      ];
    }),
  );
}
