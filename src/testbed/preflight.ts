import { access, constants } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { WeirError } from "../base/index.ts";

/** The machine cannot run a testbed; the message says what is missing and how to get it. */
export class PreflightError extends WeirError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super("WEIR_PREFLIGHT", `this machine cannot run the testbed:\n  - ${problems.join("\n  - ")}`);
    this.problems = problems;
  }
}

const programs = [
  ["ip", "iproute2"],
  ["ovsdb-server", "openvswitch-switch"],
  ["ovs-vswitchd", "openvswitch-switch"],
  ["ovs-vsctl", "openvswitch-switch"],
  ["ovs-ofctl", "openvswitch-switch"],
  ["ovsdb-tool", "openvswitch-switch"],
  ["ping", "iputils-ping"],
  ["ethtool", "ethtool"],
] as const;

async function onPath(program: string): Promise<boolean> {
  const dirs = (process.env.PATH ?? "").split(delimiter).concat(["/usr/sbin", "/sbin"]);
  for (const dir of dirs) {
    try {
      await access(join(dir, program), constants.X_OK);
      return true;
    } catch {
      // next
    }
  }
  return false;
}

/** Checks root, the programs the testbed runs, and /dev/net/tun (the userspace datapath's taps). */
export async function preflight(): Promise<void> {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push("must run as root (it creates network namespaces and veths)");
  const missing = new Map<string, string[]>();
  for (const [program, pkg] of programs) {
    if (!(await onPath(program))) missing.set(pkg, [...(missing.get(pkg) ?? []), program]);
  }
  for (const [pkg, names] of missing) {
    problems.push(`${names.join(", ")} not found: install the Debian package ${pkg} (scripts/setup.sh does)`);
  }
  try {
    await access("/dev/net/tun", constants.R_OK | constants.W_OK);
  } catch {
    problems.push("/dev/net/tun is missing: the OVS userspace datapath needs the tun driver");
  }
  if (problems.length > 0) throw new PreflightError(problems);
}
