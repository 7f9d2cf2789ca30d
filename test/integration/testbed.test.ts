import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { test } from "node:test";
import { ensurePort, openVswitchDb, tunnelPort } from "../../src/ovs/index.ts";
import { OvsdbClient } from "../../src/ovsdb/index.ts";
import {
  daemonPid,
  defaultRunRoot,
  ip,
  isAlive,
  ovsPaths,
  reaches,
  run,
  Testbed,
  vsctl,
} from "../../src/testbed/index.ts";
import { testbed, testName, testOwner } from "../support/ovs.ts";

test("VMs on different hosts reach each other over a VXLAN port the test configures", async (t) => {
  const tb = await testbed(t, { hosts: 2, vmsPerHost: 2 });
  const [h1, h2] = tb.info.hosts;
  assert.ok(h1 && h2);
  const a = tb.vm("h1-vm1");
  const b = tb.vm("h2-vm1");

  // Before any tunnel exists, the hosts are isolated: the underlay is only a wire.
  assert.equal(await reaches(a, b.ip, 1), false, "no path across hosts without a tunnel");
  assert.equal(await reaches(a, tb.vm("h1-vm2").ip), true, "same-host VMs share br-int");

  for (const [local, remote] of [
    [h1, h2],
    [h2, h1],
  ] as const) {
    const client = await OvsdbClient.connect({ endpoint: local.ovsdb });
    t.after(() => client.close());
    const db = await openVswitchDb(client);
    await ensurePort(
      db,
      local.integrationBridge,
      tunnelPort({ name: `vx-${remote.name}`, type: "vxlan", remoteIp: remote.underlayIp, key: 42 }),
    );
  }
  assert.equal(await reaches(a, b.ip), true, "h1-vm1 → h2-vm1 over VXLAN");
  assert.equal(await reaches(tb.vm("h2-vm2"), tb.vm("h1-vm2").ip), true, "h2-vm2 → h1-vm2 over VXLAN");

  // The traffic really crossed the tunnel port: OpenFlow port counters (live, unlike OVSDB statistics).
  const counters = await run("ovs-ofctl", ["dump-ports", `unix:${h1.runDir}/br-int.mgmt`, "vx-h2"]);
  const rx = /rx pkts=(\d+)/.exec(counters);
  assert.ok(rx && Number(rx[1]) > 0, `vx-h2 counters: ${counters}`);
});

test("hosts and VMs are described as the CLI prints them, and VIFs are plugged as Nova does", async (t) => {
  const tb = await testbed(t, { hosts: 1, vmsPerHost: 1 });
  const info = tb.describe();
  const [host] = info.hosts;
  const [vm] = info.vms;
  assert.ok(host && vm);
  assert.match(host.namespace, /^weir-t[a-z0-9]{6}-h1$/);
  assert.equal(host.ovsdb, `unix:${host.runDir}/db.sock`);
  assert.equal(host.underlayIp, "198.18.0.1");
  assert.equal(vm.ip, "198.19.1.1");
  assert.match(vm.mac, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
  assert.equal(vm.port, `tap${vm.portId.slice(0, 11)}`);
  const paths = ovsPaths(host.runDir);
  const ids = await vsctl(paths, ["get", "Interface", vm.port, "external_ids"]);
  for (const expected of [
    `iface-id="${vm.portId}"`,
    `attached-mac="${vm.mac}"`,
    "iface-status=active",
    `vm-uuid="${vm.vmUuid}"`,
  ]) {
    assert.ok(ids.includes(expected), `${expected} in ${ids}`);
  }
  assert.equal((await vsctl(paths, ["get", "Bridge", "br-int", "datapath_type"])).trim(), "netdev");
  // The bridges' OpenFlow management sockets are reachable from the root namespace.
  const flows = await run("ovs-ofctl", ["dump-flows", `unix:${host.runDir}/br-int.mgmt`]);
  assert.match(flows, /actions=NORMAL/);
  // Inside the VM: the MAC and address are set on eth0.
  const link = await ip(["-o", "addr", "show", "dev", "eth0"], vm.namespace);
  assert.match(link, /198\.19\.1\.1\/16/);
});

test("two testbeds run side by side, and down removes one without touching the other", async (t) => {
  const first = await testbed(t, { hosts: 1, vmsPerHost: 1 });
  const second = await testbed(t, { hosts: 1, vmsPerHost: 1 });
  assert.equal((await first.status()).healthy, true);
  assert.equal((await second.status()).healthy, true);
  await first.down();
  const namespaces = await ip(["netns", "list"]);
  assert.equal(namespaces.includes(`weir-${first.info.name}-`), false, "first testbed's namespaces are gone");
  assert.equal((await second.status()).healthy, true, "second testbed is untouched");
  assert.equal(await reaches(second.vms[0]!, "198.18.0.1", 1), false, "VMs cannot reach the underlay");
});

test("down finds and removes the leftovers of a testbed whose creator crashed", async (t) => {
  const name = testName();
  t.after(() => Testbed.down(name));
  // Simulate a crash: the creating process forgets the testbed object entirely.
  const tb = await Testbed.up({ name, hosts: 2, vmsPerHost: 1, owner: testOwner });
  const pids = await Promise.all(
    tb.info.hosts.flatMap((h) => [
      daemonPid(ovsPaths(h.runDir), "ovsdb-server"),
      daemonPid(ovsPaths(h.runDir), "ovs-vswitchd"),
    ]),
  );
  assert.ok(
    pids.every((pid) => pid !== undefined),
    "daemons running",
  );
  // A stray process inside a VM namespace, as a crashed probe would leave.
  const vmNs = tb.vms[0]!.namespace;
  await run("sh", ["-c", "sleep 300 >/dev/null 2>&1 &"], { netns: vmNs });

  const removed = await Testbed.down(name);
  assert.ok(
    removed.some((r) => r.startsWith("process")),
    `stray process removed: ${removed.join(", ")}`,
  );
  for (const pid of pids) {
    assert.equal(await isAlive(pid!), false, `pid ${pid} gone`);
  }
  assert.equal((await ip(["netns", "list"])).includes(`weir-${name}-`), false, "namespaces gone");
  assert.equal((await readdir(defaultRunRoot)).includes(name), false, "run directory gone");
});

test("bad requests are refused before anything is created", async () => {
  await assert.rejects(Testbed.up({ name: "Bad-Name", hosts: 1 }), /must be 1-12 lowercase letters/);
  await assert.rejects(Testbed.up({ name: testName(), hosts: 51 }), /hosts: must be an integer from 1 to 50/);
  await assert.rejects(Testbed.up({ name: testName(), hosts: 1, vmsPerHost: -1 }), /vms-per-host/);
});
