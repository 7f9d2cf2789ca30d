// A fixed amount of the kind of work the agent does — JSON in and out, maps of rows, strings built and
// compared — run in a child process whose CPU time (user + system) says how fast this machine runs such
// code at that moment. On a 2-core host where ovs-vswitchd is busy adding a port (it walks every port),
// the same work takes more CPU time than on an idle one: the wiring-cost figures are read against it.
import { execFile } from "node:child_process";

const script = `
const started = process.cpuUsage();
const rows = new Map();
let acc = 0;
for (let i = 0; i < 40000; i++) {
  const update = JSON.stringify({ Interface: { ["u" + i]: { modify: { ofport: i, external_ids: ["map", [["iface-id", "p" + i], ["attached-mac", "fa:16:3e:00:00:" + (i % 256)]]] } } } });
  const parsed = JSON.parse(update);
  const row = parsed.Interface["u" + i].modify;
  rows.set("u" + (i % 5000), row);
  let key = "";
  for (const [k, v] of row.external_ids[1]) key += k + "=" + v + "\\u0000";
  acc += key.length + rows.size;
}
const used = process.cpuUsage(started);
process.stdout.write(String((used.user + used.system) / 1000 + acc * 0));
`;

/** CPU ms the reference work took, in a fresh Node process. */
export function referenceCpuMs(): Promise<number> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ["-e", script], { timeout: 120_000 }, (error, stdout) =>
      error ? reject(error) : resolve(Number(stdout)),
    ),
  );
}
