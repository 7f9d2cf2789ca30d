/**
 * Raw frames in and out of a VM's namespace, for tests that must see what arrives byte by byte (a DSCP
 * mark, a router advertisement that must not arrive) or send what no tool sends. Node has no packet
 * sockets; python3 (on every host the setup script prepares) opens an AF_PACKET socket on the VM's eth0.
 * Captures are bounded in frames and in time, and stay inside the VM's namespace.
 */
import { spawn } from "node:child_process";
import { WeirError } from "../base/index.ts";
import { run } from "./exec.ts";
import type { VmInfo } from "./vm.ts";

const captureScript = `
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("eth0", 0))
deadline = time.time() + float(sys.argv[1])
left = int(sys.argv[2])
print("ready", flush=True)
while left > 0 and time.time() < deadline:
    s.settimeout(max(0.01, deadline - time.time()))
    try:
        frame, addr = s.recvfrom(65535)
    except socket.timeout:
        break
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    print(frame.hex(), flush=True)
    left -= 1
`;

const sendScript = `
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
for frame in sys.argv[1:]:
    s.send(bytes.fromhex(frame))
`;

export interface Capture {
  /** Resolves with every frame the VM received (not sent) until the time or the count ran out. */
  readonly frames: Promise<Buffer[]>;
}

/** Starts capturing what arrives at the VM's eth0; resolves once the socket is open. */
export async function captureFrames(
  vm: VmInfo,
  options: { seconds: number; maxFrames: number },
): Promise<Capture> {
  const child = spawn(
    "ip",
    [
      "netns",
      "exec",
      vm.namespace,
      "python3",
      "-c",
      captureScript,
      String(options.seconds),
      String(options.maxFrames),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stderr.on("data", (chunk) => {
    err += String(chunk);
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk) => {
      out += String(chunk);
      if (out.startsWith("ready\n")) resolve();
    });
    child.once("exit", (code) =>
      reject(
        new WeirError(
          "WEIR_CAPTURE",
          `capture in ${vm.namespace} exited (${code}) before it was ready: ${err}`,
        ),
      ),
    );
  });
  const frames = new Promise<Buffer[]>((resolve, reject) => {
    child.once("exit", (code) => {
      if (code !== 0)
        reject(new WeirError("WEIR_CAPTURE", `capture in ${vm.namespace} failed (${code}): ${err}`));
      else
        resolve(
          out
            .split("\n")
            .slice(1)
            .filter(Boolean)
            .map((hex) => Buffer.from(hex, "hex")),
        );
    });
  });
  await ready;
  return { frames };
}

/** Sends frames out of the VM's eth0, as the VM would. */
export async function sendFrames(vm: VmInfo, frames: readonly Uint8Array[]): Promise<void> {
  await run("ip", [
    "netns",
    "exec",
    vm.namespace,
    "python3",
    "-c",
    sendScript,
    ...frames.map((f) => Buffer.from(f).toString("hex")),
  ]);
}

/** The DSCP of an IPv4 frame (Ethernet, no VLAN), or undefined for anything else. */
export function ipv4Dscp(frame: Buffer): number | undefined {
  if (frame.length < 34 || frame.readUInt16BE(12) !== 0x0800) return undefined;
  return frame[15]! >> 2;
}

/** An ICMPv6 frame's type, or undefined. */
export function icmpv6Type(frame: Buffer): number | undefined {
  if (frame.length < 58 || frame.readUInt16BE(12) !== 0x86dd || frame[20] !== 58) return undefined;
  return frame[54];
}

const macBytes = (mac: string) => Buffer.from(mac.split(":").map((h) => Number.parseInt(h, 16)));

/** The link-local address EUI-64 gives a MAC (RFC 4291 §2.5.1), as 16 bytes. */
function linkLocal(mac: string): Buffer {
  const m = macBytes(mac);
  return Buffer.from([
    0xfe,
    0x80,
    0,
    0,
    0,
    0,
    0,
    0,
    m[0]! ^ 0x02,
    m[1]!,
    m[2]!,
    0xff,
    0xfe,
    m[3]!,
    m[4]!,
    m[5]!,
  ]);
}

/**
 * An ICMPv6 message from `mac`'s link-local address to all nodes (ff02::1), hop limit 255 — type 134 is
 * a router advertisement, 128 an echo request — with its checksum (RFC 4443 §2.3).
 */
export function icmpv6ToAllNodes(mac: string, type: number, body: Uint8Array = new Uint8Array(12)): Buffer {
  const src = linkLocal(mac);
  const dst = Buffer.from([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  const icmp = Buffer.concat([Buffer.from([type, 0, 0, 0]), Buffer.from(body)]);
  const pseudo = Buffer.concat([src, dst, u32(icmp.length), Buffer.from([0, 0, 0, 58]), icmp]);
  icmp.writeUInt16BE(checksum(pseudo), 2);
  const ipv6 = Buffer.concat([
    Buffer.from([0x60, 0, 0, 0]),
    u16(icmp.length),
    Buffer.from([58, 255]),
    src,
    dst,
  ]);
  return Buffer.concat([Buffer.from([0x33, 0x33, 0, 0, 0, 1]), macBytes(mac), u16(0x86dd), ipv6, icmp]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function checksum(data: Buffer): number {
  let sum = 0;
  for (let i = 0; i < data.length; i += 2) sum += (data[i]! << 8) | (data[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
