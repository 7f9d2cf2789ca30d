/**
 * DHCP request timing from inside a VM: DISCOVERs (or REQUESTs) sent out of eth0 on a raw socket, each
 * with its own xid, every `intervalMs` (or as fast as the socket takes them), and the replies read back
 * with their arrival times — what the DHCP benchmarks measure (answer latency, leases per second, the
 * wait across an agent restart). python3 again (frames.ts), since Node has no packet sockets. Bounded in
 * count and time; the frames stay in the VM's namespace.
 */
import { spawn } from "node:child_process";
import { InvalidArgumentError, WeirError } from "../base/index.ts";
import { BootpOp, buildDhcpv4Frame, parseIpv4, parseMac } from "../packet/index.ts";
import type { VmInfo } from "./vm.ts";

const script = `
import json, socket, sys, threading, time
template = bytes.fromhex(sys.argv[1])
count = int(sys.argv[2]); interval = float(sys.argv[3]) / 1000; linger = float(sys.argv[4])
XID = 14 + 20 + 8 + 4
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind(("eth0", 0))
s.settimeout(0.05)
sent = {}
got = {}
done = threading.Event()
def receive():
    while not done.is_set():
        try:
            frame, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        now = time.perf_counter_ns()
        if addr[2] == socket.PACKET_OUTGOING or len(frame) < XID + 4:
            continue
        if frame[23] != 17 or frame[36:38] != b"\\x00\\x44":
            continue
        xid = int.from_bytes(frame[XID:XID + 4], "big")
        if xid in sent and xid not in got:
            got[xid] = now
t = threading.Thread(target=receive); t.start()
print("ready", flush=True)
start = time.perf_counter_ns()
frame = bytearray(template)
frame[14 + 20 + 6:14 + 20 + 8] = b"\\x00\\x00"  # UDP checksum 0 (none, RFC 768): the xid changes below
for i in range(count):
    xid = 0x57000000 + i
    frame[XID:XID + 4] = xid.to_bytes(4, "big")
    sent[xid] = time.perf_counter_ns()
    s.send(frame)
    if interval > 0:
        next_at = start + int((i + 1) * interval * 1e9)
        while time.perf_counter_ns() < next_at:
            time.sleep(max(0, (next_at - time.perf_counter_ns()) / 1e9 - 0.0002))
deadline = time.time() + linger
while time.time() < deadline and len(got) < count:
    time.sleep(0.01)
done.set(); t.join()
print(json.dumps({"sent": [(sent[x] - start) / 1e6 for x in sorted(sent)],
                  "answered": [((got[x] - start) / 1e6) if x in got else None for x in sorted(sent)]}), flush=True)
`;

export interface DhcpProbeResult {
  /** When each request was sent, ms since the first. */
  readonly sentMs: readonly number[];
  /** When its answer came (same clock), or null. */
  readonly answeredMs: readonly (number | null)[];
}

export interface DhcpProber {
  /** Resolves when every request was sent and answered, or `lingerS` after the last one was sent. */
  readonly done: Promise<DhcpProbeResult>;
}

/**
 * A DHCPv4 request as a client in `vm` broadcasts it before it has an address (message type `type`,
 * option 50 when `requestedIp` is given).
 */
export function dhcpRequestFrame(
  vm: VmInfo,
  type: number,
  options: { xid?: number; requestedIp?: string } = {},
): Buffer {
  return buildDhcpv4Frame({
    ethernet: { src: vm.mac, dst: "ff:ff:ff:ff:ff:ff" },
    ipv4: { src: "0.0.0.0", dst: "255.255.255.255" },
    udp: { srcPort: 68, dstPort: 67 },
    dhcpv4: {
      op: BootpOp.request,
      htype: 1,
      hlen: 6,
      hops: 0,
      xid: options.xid ?? 0,
      secs: 0,
      broadcast: false,
      ciaddr: "0.0.0.0",
      yiaddr: "0.0.0.0",
      siaddr: "0.0.0.0",
      giaddr: "0.0.0.0",
      chaddr: parseMac(vm.mac),
      sname: "",
      file: "",
      options: [
        { code: 53, data: Buffer.from([type]) },
        ...(options.requestedIp === undefined ? [] : [{ code: 50, data: parseIpv4(options.requestedIp) }]),
      ],
    },
  });
}

/**
 * Starts sending `count` copies of `template` (dhcpRequestFrame's; each gets its own xid, and its UDP
 * checksum is cleared so the xid can change) from the VM, `intervalMs` apart (0: back to back).
 * Resolves once the socket is open.
 */
export async function startDhcpProber(
  vm: VmInfo,
  template: Uint8Array,
  options: { count: number; intervalMs: number; lingerS: number },
): Promise<DhcpProber> {
  const { count, intervalMs, lingerS } = options;
  if (!Number.isInteger(count) || count < 1 || count > 100_000)
    throw new InvalidArgumentError("count", `${count} is not 1..100000`);
  if (!(intervalMs >= 0 && intervalMs <= 10_000))
    throw new InvalidArgumentError("intervalMs", `${intervalMs}`);
  if (!(lingerS >= 0 && lingerS <= 120)) throw new InvalidArgumentError("lingerS", `${lingerS}`);
  const child = spawn(
    "ip",
    [
      "netns",
      "exec",
      vm.namespace,
      "python3",
      "-c",
      script,
      Buffer.from(template).toString("hex"),
      String(count),
      String(intervalMs),
      String(lingerS),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stderr.on("data", (c) => {
    err += String(c);
  });
  const limitMs = (count * intervalMs) / 1000 + lingerS * 1000 + 30_000;
  const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (c) => {
      out += String(c);
      if (out.startsWith("ready\n")) resolve();
    });
    child.on("error", reject);
    child.on("close", () =>
      reject(new WeirError("WEIR_TESTBED_PROBE", `dhcp prober in ${vm.name} ended early: ${err.trim()}`)),
    );
  });
  const done = new Promise<DhcpProbeResult>((resolve, reject) => {
    child.on("close", (code) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (code !== 0 || line === undefined) {
        reject(
          new WeirError("WEIR_TESTBED_PROBE", `dhcp prober in ${vm.name} failed (${code}): ${err.trim()}`),
        );
        return;
      }
      const parsed = JSON.parse(line) as { sent: number[]; answered: (number | null)[] };
      resolve({ sentMs: parsed.sent, answeredMs: parsed.answered });
    });
  });
  await ready;
  return { done };
}
