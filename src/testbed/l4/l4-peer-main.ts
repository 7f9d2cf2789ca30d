// Run inside a VM's namespace by l4.ts: TCP and UDP echo servers ("serve"), or one long-lived TCP
// connection that sends a numbered line every interval and reports each echo ("hold"). Bounded in time.
import { createSocket } from "node:dgram";
import { connect, createServer, type Socket } from "node:net";
import { parseArgs } from "node:util";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    tcp: { type: "string", default: "" },
    udp: { type: "string", default: "" },
    to: { type: "string" },
    port: { type: "string" },
    "interval-ms": { type: "string", default: "100" },
    "max-seconds": { type: "string", default: "300" },
  },
});
const maxMs = Number(values["max-seconds"]) * 1000;
setTimeout(() => process.exit(0), maxMs).unref();
const ports = (list: string) => (list === "" ? [] : list.split(",").map(Number));

if (positionals[0] === "serve") {
  let pending = 0;
  const listening = () => {
    if (--pending === 0) console.log("ready");
  };
  for (const port of ports(values.tcp)) {
    pending++;
    const server = createServer((socket) => {
      socket.on("error", () => {});
      socket.pipe(socket);
    });
    server.listen({ port, host: "::", ipv6Only: false }, listening);
  }
  for (const port of ports(values.udp)) {
    pending++;
    const socket = createSocket({ type: "udp6", ipv6Only: false });
    socket.on("message", (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
    socket.bind(port, "::", listening);
  }
  if (pending === 0) console.log("ready");
  process.on("SIGTERM", () => process.exit(0));
} else if (positionals[0] === "hold") {
  const interval = Number(values["interval-ms"]);
  let seq = 0;
  let buffered = "";
  const socket: Socket = connect({ host: values.to!, port: Number(values.port) }, () => {
    console.log("ready");
    setInterval(() => socket.write(`${seq++}\n`), interval);
  });
  socket.setNoDelay(true);
  socket.on("data", (chunk) => {
    buffered += String(chunk);
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) console.log(`echo ${line} ${Date.now()}`);
  });
  socket.on("error", (error: NodeJS.ErrnoException) => {
    console.log(`error ${error.code ?? error.message}`);
    process.exit(2);
  });
  socket.on("close", () => {
    console.log("closed");
    process.exit(3);
  });
  process.on("SIGTERM", () => {
    socket.destroy();
    process.exit(0);
  });
} else {
  console.error("usage: l4-peer-main.ts serve --tcp P,… --udp P,… | hold --to IP --port P");
  process.exit(64);
}
