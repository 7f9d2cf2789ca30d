/**
 * TCP and UDP checks between VMs, for the firewall's traffic matrix: echo servers in a VM, a connect or
 * a request/answer from another with a short deadline, and one long-lived TCP connection whose echoes
 * are watched (revocation, restarts). Everything runs in the VMs' namespaces and is bounded in time.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { WeirError, withTimeout } from "../base/index.ts";
import { run } from "./exec.ts";
import type { VmInfo } from "./vm.ts";

const script = fileURLToPath(new URL("./l4/l4-peer-main.ts", import.meta.url));

interface Peer {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<number | null>;
  onLine?: (line: string) => void;
}

async function startPeer(vm: VmInfo, args: readonly string[]): Promise<Peer> {
  const child = spawn("ip", ["netns", "exec", vm.namespace, process.execPath, script, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (c) => {
    stderr += String(c);
  });
  const peer: Peer = {
    child,
    lines: [],
    exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))),
  };
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line === "ready") resolve();
      else {
        peer.lines.push(line);
        peer.onLine?.(line);
      }
    });
    child.once("exit", (code) =>
      reject(
        new WeirError(
          "WEIR_L4_PEER",
          `${args[0]} in ${vm.name} exited (${code}) ${peer.lines.join(" ")} ${stderr.trim()}`,
        ),
      ),
    );
  });
  await withTimeout(ready, 10_000, `${args[0]} in ${vm.name}`);
  return peer;
}

async function stopPeer(peer: Peer): Promise<void> {
  if (peer.child.exitCode === null && peer.child.signalCode === null) peer.child.kill("SIGTERM");
  await peer.exited;
}

/** TCP and UDP echo servers in `vm` on these ports (IPv4 and IPv6). */
export async function startL4Servers(
  vm: VmInfo,
  ports: { readonly tcp?: readonly number[]; readonly udp?: readonly number[] },
  maxSeconds = 600,
): Promise<{ stop(): Promise<void> }> {
  const peer = await startPeer(vm, [
    "serve",
    "--tcp",
    (ports.tcp ?? []).join(","),
    "--udp",
    (ports.udp ?? []).join(","),
    "--max-seconds",
    String(maxSeconds),
  ]);
  return { stop: () => stopPeer(peer) };
}

/** Whether a TCP connection from `from` to ip:port is established within `seconds`. */
export async function tcpConnects(from: VmInfo, ip: string, port: number, seconds = 2): Promise<boolean> {
  return ok(from, `exec 3<>/dev/tcp/${ip}/${port}`, seconds);
}

/** Whether a UDP datagram from `from` to ip:port is echoed within `seconds`. */
export async function udpAnswers(from: VmInfo, ip: string, port: number, seconds = 2): Promise<boolean> {
  return ok(
    from,
    `exec 3<>/dev/udp/${ip}/${port}; echo weir >&3; read -t ${seconds} -N 1 c <&3`,
    seconds + 1,
  );
}

async function ok(from: VmInfo, shell: string, seconds: number): Promise<boolean> {
  try {
    await run("timeout", [String(seconds), "bash", "-c", shell], {
      netns: from.namespace,
      timeoutMs: (seconds + 3) * 1000,
    });
    return true;
  } catch {
    return false;
  }
}

export interface HeldConnection {
  /** Echoes received so far. */
  readonly echoes: number;
  /** Milliseconds since the last echo (or since the connection opened). */
  sinceLastEchoMs(): number;
  /** The longest gap between two echoes so far, ms. */
  readonly longestGapMs: number;
  /** "error ECONNRESET", "closed", … once the connection ended; undefined while it lives. */
  readonly ended: string | undefined;
  stop(): Promise<void>;
}

/**
 * One TCP connection from `from` to ip:port (an echo server), a numbered line every `intervalMs`;
 * its echoes are counted as they come.
 */
export async function holdTcp(
  from: VmInfo,
  ip: string,
  port: number,
  options: { intervalMs?: number; maxSeconds?: number } = {},
): Promise<HeldConnection> {
  const peer = await startPeer(from, [
    "hold",
    "--to",
    ip,
    "--port",
    String(port),
    "--interval-ms",
    String(options.intervalMs ?? 100),
    "--max-seconds",
    String(options.maxSeconds ?? 300),
  ]);
  let last = performance.now();
  let echoes = 0;
  let longest = 0;
  let ended: string | undefined;
  peer.onLine = (line) => {
    if (line.startsWith("echo ")) {
      const now = performance.now();
      if (echoes > 0) longest = Math.max(longest, now - last);
      last = now;
      echoes++;
    } else ended = line;
  };
  return {
    get echoes() {
      return echoes;
    },
    sinceLastEchoMs: () => performance.now() - last,
    get longestGapMs() {
      return Math.round(longest);
    },
    get ended() {
      return ended;
    },
    stop: () => stopPeer(peer),
  };
}
