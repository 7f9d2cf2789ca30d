/**
 * The testbed's userspace datapath reads every VIF through an AF_PACKET socket whose receive buffer is
 * the kernel default (net.core.rmem_default, 208 KiB: about 200 small frames). On a small machine that
 * also runs the agents, the server and the probes, ovs-vswitchd can be kept off the CPU for 100–400 ms,
 * and at 2000 frames/s such a socket overflows: packets are lost that a kernel datapath — or OVS on its
 * own cores — would have forwarded. Measured: a plain CPU burst, touching nothing in OVS, loses packets.
 *
 * So while any testbed exists, the default is raised to 4 MiB (a second of traffic), and the previous
 * value is restored when the last testbed is removed (the original is kept in <runRoot>/rmem_default,
 * so a crashed run's change is undone by the next cleanup). This turns CPU stalls into latency, which
 * the probes still report (longest gap), and cannot hide a drop: a frame that meets a missing flow is
 * dropped whatever the buffer size.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const TESTBED_RMEM_DEFAULT = 4 * 1024 * 1024;
const sysctl = (name: string) => `/proc/sys/net/core/${name}`;
const savedFile = (runRoot: string) => join(runRoot, "rmem_default");

async function read(name: string): Promise<number> {
  return Number((await readFile(sysctl(name), "utf8")).trim());
}

/** Raises rmem_default (and rmem_max if lower) for the testbed's life; remembers the originals once. */
export async function raiseSocketBuffers(runRoot: string): Promise<void> {
  const current = await read("rmem_default");
  if (current >= TESTBED_RMEM_DEFAULT) return;
  const max = await read("rmem_max");
  await writeFile(savedFile(runRoot), `${current} ${max}\n`, { flag: "wx" }).catch(() => {});
  if (max < TESTBED_RMEM_DEFAULT) await writeFile(sysctl("rmem_max"), String(TESTBED_RMEM_DEFAULT));
  await writeFile(sysctl("rmem_default"), String(TESTBED_RMEM_DEFAULT));
}

/** Puts the originals back (when no testbed is left); returns what it did, for cleanup reports. */
export async function restoreSocketBuffers(runRoot: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(savedFile(runRoot), "utf8");
  } catch {
    return [];
  }
  const [defaultValue, maxValue] = text.trim().split(" ").map(Number);
  if (Number.isInteger(defaultValue) && defaultValue! > 0)
    await writeFile(sysctl("rmem_default"), String(defaultValue));
  if (Number.isInteger(maxValue) && maxValue! > 0) await writeFile(sysctl("rmem_max"), String(maxValue));
  await rm(savedFile(runRoot), { force: true });
  return [`net.core.rmem_default restored to ${defaultValue}`];
}
