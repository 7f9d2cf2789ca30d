// A paced UDP prober and its echo responder, run inside VM namespaces (ip netns exec … node this-file).
// Not iputils ping: below 10 ms it busy-spins and halves its rate during an outage, so "lost" would
// understate the outage (shared/reference/ovn-measured.md). This sends sequence-numbered datagrams on a
// fixed schedule; loss is the set of sequence numbers never echoed back.
//
//   echo  --port P --max-seconds S
//   probe --target IP:PORT --interval-us U --max-seconds S      (stops on SIGTERM; prints JSON)
import { createSocket } from "node:dgram";

/** The instruments must not drop what they measure when the machine is busy (capped by rmem_max). */
const RECEIVE_BUFFER = 4 * 1024 * 1024;

import { parseArgs } from "node:util";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: "string", default: "7777" },
    target: { type: "string" },
    "interval-us": { type: "string", default: "1000" },
    "max-seconds": { type: "string", default: "600" },
    "payload-bytes": { type: "string", default: "64" },
  },
});

const maxMs = Number(values["max-seconds"]) * 1000;
if (!(maxMs > 0 && maxMs <= 3_600_000)) throw new Error("--max-seconds must be 1..3600");

if (positionals[0] === "echo") runEcho(Number(values.port));
else if (positionals[0] === "probe") runProbe();
else throw new Error("usage: udp-probe-main.ts echo|probe …");

function runEcho(port: number): void {
  const socket = createSocket("udp4");
  socket.on("message", (message, from) => socket.send(message, from.port, from.address));
  socket.bind(port, () => {
    socket.setRecvBufferSize(RECEIVE_BUFFER);
    process.stdout.write("ready\n");
  });
  const stop = () => {
    socket.close();
    process.exit(0);
  };
  setTimeout(stop, maxMs).unref();
  process.on("SIGTERM", stop);
}

function runProbe(): void {
  const [host, portText] = (values.target ?? "").split(":");
  if (!host || !portText) throw new Error("--target IP:PORT is required");
  const port = Number(portText);
  const intervalNs = BigInt(Math.round(Number(values["interval-us"]) * 1000));
  if (intervalNs < 100_000n) throw new Error("--interval-us must be at least 100");
  const payload = Math.max(16, Number(values["payload-bytes"]));
  const socket = createSocket("udp4");
  const start = process.hrtime.bigint();
  const startedAtMs = Date.now();
  const received: bigint[] = []; // receive time (ns since start) per reply, in arrival order
  const seen = new Uint8Array(Number((BigInt(maxMs) * 1_000_000n) / intervalNs) + 1);
  let sent = 0;
  let duplicates = 0;
  let stopping = false;

  socket.on("message", (message) => {
    if (message.length < 16) return;
    const seq = Number(message.readBigUInt64BE(0));
    if (seq >= seen.length) return;
    if (seen[seq]) duplicates++;
    seen[seq] = 1;
    received.push(process.hrtime.bigint() - start);
  });

  const tick = () => {
    if (stopping) return;
    const elapsed = process.hrtime.bigint() - start;
    const due = Number(elapsed / intervalNs) + 1;
    // Catch up to the schedule: every sequence number has its slot, whenever the timer fires.
    while (sent < due && sent < seen.length) {
      // A fresh buffer per datagram: send() reads it later, asynchronously.
      const buffer = Buffer.alloc(payload);
      buffer.writeBigUInt64BE(BigInt(sent), 0);
      buffer.writeBigUInt64BE(elapsed, 8);
      socket.send(buffer, port, host);
      sent++;
    }
    if (elapsed >= BigInt(maxMs) * 1_000_000n) finish();
    else setTimeout(tick, Math.max(0, Number(intervalNs / 1_000_000n) - 1));
  };

  const finish = () => {
    if (stopping) return;
    stopping = true;
    // Late replies still count: wait a little before judging.
    setTimeout(() => {
      socket.close();
      process.stdout.write(`${JSON.stringify(summary())}\n`);
      process.exit(0);
    }, 300);
  };

  const summary = () => {
    const lostSeqs: [number, number][] = [];
    let got = 0;
    for (let i = 0; i < sent; i++) {
      if (seen[i]) {
        got++;
        continue;
      }
      const last = lostSeqs.at(-1);
      if (last && last[1] === i - 1) last[1] = i;
      else lostSeqs.push([i, i]);
    }
    const times = received.map((t) => Number(t) / 1e6).sort((a, b) => a - b);
    let longestGapMs = 0;
    for (let i = 1; i < times.length; i++) longestGapMs = Math.max(longestGapMs, times[i]! - times[i - 1]!);
    const bucketMs = 10;
    const timeline = new Array(Math.ceil((times.at(-1) ?? 0) / bucketMs) + 1).fill(0);
    for (const t of times) timeline[Math.floor(t / bucketMs)]++;
    return {
      startedAtMs,
      intervalUs: Number(intervalNs / 1000n),
      sent,
      received: got,
      lost: sent - got,
      duplicates,
      lostRanges: lostSeqs.slice(0, 100),
      longestGapMs: Math.round(longestGapMs * 100) / 100,
      timelineBucketMs: bucketMs,
      timeline,
    };
  };

  process.on("SIGTERM", finish);
  socket.bind(0, () => {
    socket.setRecvBufferSize(RECEIVE_BUFFER);
    process.stdout.write("ready\n");
    tick();
  });
}
