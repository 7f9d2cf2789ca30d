/**
 * The [dhcp] section of the agent's file: what Neutron's DHCP agent and its dnsmasq take from
 * dhcp_agent.ini and neutron.conf, with Neutron's defaults.
 */
export interface DhcpConfig {
  /** Seconds a lease lasts (Neutron's dhcp_lease_duration); -1: infinite. */
  readonly leaseSeconds: number;
  /** The domain VMs are given (Neutron's dns_domain). */
  readonly dnsDomain: string;
  /** DHCP packets per second one port may send before its excess is dropped (a meter per port). */
  readonly rateLimit: number;
  /** Packets one port may send at once above the rate. */
  readonly burst: number;
  /** Seconds between unsolicited router advertisements (Neutron's max_rtr_adv_interval). */
  readonly raIntervalSeconds: number;
}

export const defaultDhcpConfig: DhcpConfig = {
  leaseSeconds: 86_400,
  dnsDomain: "openstacklocal",
  rateLimit: 20,
  burst: 40,
  raIntervalSeconds: 100,
};

const KEYS = ["lease_duration", "dns_domain", "rate_limit", "burst", "max_rtr_adv_interval"] as const;

/** RFC 1035 §2.3.1 labels, dot-separated, 253 characters at most; a trailing dot is allowed. */
const DOMAIN =
  /^(?=.{1,253}\.?$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

function whole(key: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || n < min || n > max)
    throw new Error(`${key} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return n;
}

/** The section as written (undefined: none); throws naming the key. */
export function parseDhcpConfig(section: Readonly<Record<string, string>> | undefined): DhcpConfig {
  if (section === undefined) return defaultDhcpConfig;
  for (const key of Object.keys(section))
    if (!(KEYS as readonly string[]).includes(key))
      throw new Error(`unknown key ${key} (known: ${KEYS.join(", ")})`);
  const get = (key: (typeof KEYS)[number]) => section[key]?.trim();
  const lease = get("lease_duration");
  const leaseSeconds =
    lease === undefined ? defaultDhcpConfig.leaseSeconds : whole("lease_duration", lease, -1, 0xfffffffe);
  if (leaseSeconds === 0) throw new Error("lease_duration must be -1 (infinite) or at least 1 second, got 0");
  const dnsDomain = get("dns_domain") ?? defaultDhcpConfig.dnsDomain;
  if (!DOMAIN.test(dnsDomain))
    throw new Error(`dns_domain ${JSON.stringify(dnsDomain)} is not a domain name`);
  const rate = get("rate_limit");
  const rateLimit = rate === undefined ? defaultDhcpConfig.rateLimit : whole("rate_limit", rate, 1, 100_000);
  const burstText = get("burst");
  const burst =
    burstText === undefined
      ? Math.max(defaultDhcpConfig.burst, rateLimit * 2)
      : whole("burst", burstText, 0, 1_000_000);
  const ra = get("max_rtr_adv_interval");
  // RFC 4861 §6.2.1: MaxRtrAdvInterval is 4 to 1800 seconds.
  const raIntervalSeconds =
    ra === undefined ? defaultDhcpConfig.raIntervalSeconds : whole("max_rtr_adv_interval", ra, 4, 1800);
  return { leaseSeconds, dnsDomain: dnsDomain.replace(/\.$/, ""), rateLimit, burst, raIntervalSeconds };
}
