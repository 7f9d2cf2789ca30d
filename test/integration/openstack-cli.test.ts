// The standard OpenStack client (Debian python3-openstackclient) against the server, unchanged.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { registerAgent } from "../support/api-suite.ts";
import { startServer } from "../support/server.ts";

function openstack(
  url: string,
  auth: string[],
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "openstack",
      [...auth, "--os-endpoint", url, ...args],
      { timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

const json = async (p: Promise<{ code: number; stdout: string; stderr: string }>) => {
  const r = await p;
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
};

test("openstack network/subnet/port (with --host) and network agent list, without auth", async (t) => {
  const s = await startServer(t, { kind: "sqlite" });
  const os = (...args: string[]) => openstack(s.url, ["--os-auth-type", "none"], args);
  await registerAgent(s, "compute-1");

  const net = await json(
    os(
      "network",
      "create",
      "--provider-network-type",
      "vlan",
      "--provider-physical-network",
      "physnet1",
      "--provider-segment",
      "120",
      "prov",
      "-f",
      "json",
    ),
  );
  assert.equal(net["provider:segmentation_id"], 120);
  assert.equal(net["provider:network_type"], "vlan");
  const sub = await json(
    os("subnet", "create", "--network", "prov", "--subnet-range", "198.19.90.0/24", "prov-v4", "-f", "json"),
  );
  assert.equal(sub.gateway_ip, "198.19.90.1");
  const port = await json(
    os("port", "create", "--network", "prov", "--host", "compute-1", "vm-port", "-f", "json"),
  );
  assert.equal(port.binding_vif_type, "ovs");
  assert.equal(port.binding_host_id, "compute-1");
  assert.deepEqual(Object.keys(port.binding_vif_details).sort(), [
    "bridge_name",
    "connectivity",
    "datapath_type",
    "ovs_hybrid_plug",
    "port_filter",
  ]);
  assert.equal(port.fixed_ips[0].ip_address, "198.19.90.2");

  const ports = await json(os("port", "list", "--host", "compute-1", "-f", "json"));
  assert.deepEqual(
    ports.map((p: any) => p.Name),
    ["vm-port"],
  );
  const agents = await json(os("network", "agent", "list", "-f", "json"));
  assert.deepEqual(
    agents.map((a: any) => [a.Host, a["Agent Type"], a.Alive]),
    [["compute-1", "Open vSwitch agent", true]],
  );

  const inUse = await os("network", "delete", "prov");
  assert.notEqual(inUse.code, 0);
  assert.match(inUse.stderr, /There are one or more ports still in use on the network/);
  assert.equal((await os("port", "delete", "vm-port")).code, 0);
  assert.equal((await os("network", "delete", "prov")).code, 0);
});

test("openstack with a token: the admin token works, a wrong one is refused", async (t) => {
  const s = await startServer(
    t,
    { kind: "sqlite" },
    { noauth: false, config: { adminToken: "admin-secret" } },
  );
  const ok = await openstack(
    s.url,
    ["--os-auth-type", "admin_token", "--os-token", "admin-secret"],
    ["network", "create", "tok", "-f", "json"],
  );
  assert.equal(ok.code, 0, ok.stderr);
  const refused = await openstack(
    s.url,
    ["--os-auth-type", "admin_token", "--os-token", "nope"],
    ["network", "list"],
  );
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /401/);
});
