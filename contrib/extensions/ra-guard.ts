/**
 * An example extension (docs/EXTENSIONS.md): RA guard. A VM must not advertise itself as a router: IPv6
 * router advertisements (ICMPv6 type 134) that VMs send are dropped, so a rogue or misconfigured guest
 * cannot hijack its neighbours' default route. Advertisements from the network (a physical router, behind
 * a patch port) still reach the VMs: the flows match each VM's own port. With `[ra_guard] redirects =
 * true`, ICMPv6 redirects (type 137) from VMs are dropped too.
 *
 * It uses only the ExtensionApi object the agent hands it, and imports nothing of Weir's at run time, so
 * this file works from anywhere: `[agent] extensions = /etc/weir/extensions/ra-guard.ts`.
 */
import type { ExtensionApi, Feature, VifContext } from "../../src/agent/index.ts";

/** A table Neutron does not use, so its own number stays free for its own function. */
const TABLE = 120;
const ROUTER_ADVERTISEMENT = 134;
const REDIRECT = 137;

export function createFeature(api: ExtensionApi): Feature {
  const { flow, on } = api;
  let types = [ROUTER_ADVERTISEMENT];
  return {
    name: "ra_guard",
    summary: "drops IPv6 router advertisements (and, if asked, redirects) sent by VMs",
    tables: [
      {
        bridge: "int",
        number: TABLE,
        name: "RA_GUARD",
        purpose: "Drops the router advertisements VMs send; everything else goes on.",
        miss: (ctx) => ctx.next(),
      },
    ],
    // It drops frames: a filter, after anything that rewrites them in place.
    stage: { kind: "filter", table: TABLE },

    onConfigLoaded(section) {
      for (const [key, value] of Object.entries(section ?? {})) {
        if (key !== "redirects") throw new Error(`unknown key ${key} (redirects)`);
        if (value !== "true" && value !== "false")
          throw new Error(`redirects must be true or false, got ${JSON.stringify(value)}`);
        types = value === "true" ? [ROUTER_ADVERTISEMENT, REDIRECT] : [ROUTER_ADVERTISEMENT];
      }
    },

    vif(vif: VifContext, ctx) {
      if (vif.state !== "wired") return undefined;
      const drops = types.map((type) =>
        flow({
          table: TABLE,
          priority: 10,
          match: { in_port: vif.ofport, eth_type: 0x86dd, ip_proto: 58, icmpv6_type: type },
          actions: [],
        }),
      );
      return { flows: on(ctx.host.integrationBridge, drops) };
    },
  };
}
