// A one-host lab whose agent runs the dhcp extension, shared by the IPv4 and IPv6 DHCP tests.
import type { TestContext } from "node:test";
import { type Lab, lab } from "./lab.ts";

/** `dhcpSection` is the body of the agent's [dhcp] section; `metricsPort` opens its metrics on loopback. */
export async function dhcpAgentLab(t: TestContext, dhcpSection = "", metricsPort?: number): Promise<Lab> {
  const l = await lab(t, {
    hosts: 1,
    agent: {
      extensions: ["dhcp"],
      ...(dhcpSection === "" ? {} : { extra: `[dhcp]\n${dhcpSection}\n` }),
      ...(metricsPort === undefined ? {} : { metricsListen: `127.0.0.1:${metricsPort}` }),
    },
  });
  await l.startAgent("h1");
  return l;
}
