/**
 * A real DHCP client in a VM: ISC dhclient (Debian's isc-dhcp-client) on the VM's eth0, for DHCPv4 or
 * DHCPv6 (stateful, or stateless with -S), with a script of ours instead of dhclient-script — the stock
 * one writes /etc/resolv.conf, which a network namespace shares with the host. Ours applies what a VM
 * needs (address and mask, MTU, routes: option 121 when sent, else the router; the DHCPv6 address) and
 * appends every event with the options dhclient read to a log in the testbed's run directory, so a test
 * reads the lease as the client saw it. The client runs in the VM's namespace: the testbed's removal
 * stops it with everything else there.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InvalidArgumentError } from "../base/index.ts";
import { run } from "./exec.ts";
import { linkLocalReady } from "./ipv6.ts";
import { isOurProcess, readPidfile, stopProcess } from "./processes.ts";
import type { VmInfo } from "./vm.ts";

/** What dhclient told its script, one event. */
export interface DhcpEvent {
  /** BOUND, RENEW, REBIND, REBOOT, EXPIRE, FAIL, RELEASE, PREINIT… */
  readonly reason: string;
  /** new_* variables without the prefix: ip_address, subnet_mask, routers, domain_name_servers, … */
  readonly lease: Readonly<Record<string, string>>;
}

export interface DhcpClient {
  readonly vm: VmInfo;
  /** Every event so far, oldest first. */
  events(): Promise<DhcpEvent[]>;
  /** Sends a RELEASE and stops (dhclient -r). */
  release(): Promise<void>;
  /** Stops the client (SIGTERM by its pid) without releasing: the VM keeps its address. */
  stop(): Promise<void>;
}

const SCRIPT = `#!/bin/sh
# Weir testbed dhclient script: no resolv.conf, no hooks; log, then configure eth0.
log="@LOG@"
{ echo "reason=$reason"; env | grep '^new_' | sort; echo "."; } >> "$log"
routes() {
  # RFC 3442 as dhclient passes it: width, significant octets, router, … as decimal bytes.
  set -- $1
  while [ $# -gt 0 ]; do
    w=$1; shift; n=$(( (w + 7) / 8 )); net=""; i=0
    while [ $i -lt 4 ]; do
      if [ $i -lt $n ]; then o=$1; shift; else o=0; fi
      net="$net\${net:+.}$o"; i=$((i + 1))
    done
    gw="$1.$2.$3.$4"; shift 4
    if [ "$gw" = "0.0.0.0" ]; then ip route replace "$net/$w" dev "$interface"
    else ip route replace "$net/$w" via "$gw" dev "$interface"; fi
  done
}
case "$reason" in
  BOUND|RENEW|REBIND|REBOOT)
    [ -n "$new_interface_mtu" ] && ip link set dev "$interface" mtu "$new_interface_mtu"
    if [ "$old_ip_address" != "$new_ip_address" ] && [ -n "$old_ip_address" ]; then
      ip -4 addr flush dev "$interface"
    fi
    ip -4 addr replace "$new_ip_address/$new_subnet_mask" dev "$interface"
    if [ -n "$new_rfc3442_classless_static_routes" ]; then routes "$new_rfc3442_classless_static_routes"
    elif [ -n "$new_routers" ]; then ip route replace default via "\${new_routers%% *}" dev "$interface"; fi
    ;;
  EXPIRE|FAIL|RELEASE|STOP)
    ip -4 addr flush dev "$interface"
    ;;
  BOUND6|RENEW6|REBIND6|REBOOT6)
    [ -n "$new_ip6_address" ] && ip -6 addr replace "$new_ip6_address/$new_ip6_prefixlen" dev "$interface"
    ;;
  EXPIRE6|RELEASE6|STOP6)
    [ -n "$old_ip6_address" ] && ip -6 addr del "$old_ip6_address/$old_ip6_prefixlen" dev "$interface"
    ;;
esac
exit 0
`;

const CONF = `option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;
send host-name = gethostname();
request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers, host-name,
  interface-mtu, rfc3442-classless-static-routes, ntp-servers;
timeout 30;
retry 1;
`;

const CONF6 = `request dhcp6.name-servers, dhcp6.domain-search;
timeout 30;
retry 1;
`;

function parseEvents(text: string): DhcpEvent[] {
  const events: DhcpEvent[] = [];
  let reason: string | undefined;
  let lease: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (line === ".") {
      if (reason !== undefined) events.push({ reason, lease });
      reason = undefined;
      lease = {};
    } else if (line.startsWith("reason=")) reason = line.slice(7);
    else if (line.startsWith("new_")) {
      const eq = line.indexOf("=");
      lease[line.slice(4, eq)] = line.slice(eq + 1).replace(/^'(.*)'$/, "$1");
    }
  }
  return events;
}

/**
 * Starts dhclient on the VM's eth0 and resolves once it has a lease (dhclient -1: one try of `timeout`
 * seconds, then an error), leaving it running to renew. `dir` holds its files (the testbed's run
 * directory, or a test's).
 */
export interface DhcpClientOptions {
  readonly timeoutS?: number;
  /** 4 (the default) or 6: DHCPv6, once the VM's link-local address has passed duplicate detection. */
  readonly family?: 4 | 6;
  /** DHCPv6 information requests only (dhclient -S): the configuration of a stateless subnet. */
  readonly stateless?: boolean;
}

export async function startDhcpClient(
  vm: VmInfo,
  dir: string,
  options: DhcpClientOptions = {},
): Promise<DhcpClient> {
  const timeoutS = options.timeoutS ?? 30;
  if (!Number.isInteger(timeoutS) || timeoutS < 1 || timeoutS > 300)
    throw new InvalidArgumentError("timeoutS", `${timeoutS} is not 1..300`);
  const v6 = options.family === 6;
  if (options.stateless && !v6) throw new InvalidArgumentError("stateless", "is for DHCPv6 (family 6) only");
  if (v6) await linkLocalReady(vm);
  const base = join(dir, "dhcp", v6 ? `${vm.name}-v6` : vm.name);
  await mkdir(base, { recursive: true });
  const files = {
    script: join(base, "script"),
    conf: join(base, "dhclient.conf"),
    leases: join(base, "dhclient.leases"),
    pid: join(base, "dhclient.pid"),
    log: join(base, "events"),
  };
  // dhclient gives its script an environment of its own making: the log's path is written into it.
  await writeFile(files.script, SCRIPT.replace("@LOG@", files.log), { mode: 0o755 });
  await writeFile(files.conf, (v6 ? CONF6 : CONF).replace("timeout 30", `timeout ${timeoutS}`));
  await rm(files.log, { force: true });
  const family = v6 ? ["-6", ...(options.stateless ? ["-S"] : [])] : ["-4"];
  const args = [
    ...family,
    "-1",
    "-sf",
    files.script,
    "-cf",
    files.conf,
    "-lf",
    files.leases,
    "-pf",
    files.pid,
  ];
  // dhclient exits 2 without a lease after `timeout`; with one it forks to keep it and exits 0.
  await run("dhclient", [...args, "eth0"], { netns: vm.namespace, timeoutMs: (timeoutS + 15) * 1000 });
  const events = async () => parseEvents(await readFile(files.log, "utf8").catch(() => ""));
  const stop = async () => {
    const pid = await readPidfile(files.pid);
    if (pid !== undefined && (await isOurProcess(pid, "dhclient", files.pid))) await stopProcess(pid, 2_000);
  };
  return {
    vm,
    events,
    stop,
    release: async () => {
      await run("dhclient", ["-r", ...args, "eth0"], { netns: vm.namespace, timeoutMs: 20_000 });
      await stop();
    },
  };
}

const GOT = ["BOUND", "RENEW", "REBIND", "REBOOT"];

/** The lease of the client's last BOUND, RENEW, REBIND or REBOOT (their …6 forms, and INFORM6, for DHCPv6). */
export async function currentLease(client: DhcpClient): Promise<DhcpEvent | undefined> {
  const events = await client.events();
  return events
    .filter(
      (e) => GOT.includes(e.reason) || GOT.includes(e.reason.replace(/6$/, "")) || e.reason === "INFORM6",
    )
    .at(-1);
}
