import assert from "node:assert/strict";
import { test } from "node:test";
import {
  parseTunnelPort,
  TUNNEL_NETWORKS_KEY,
  TUNNEL_REMOTE_HOST_KEY,
  tunnelPortName,
  wantedTunnelPorts,
} from "../../src/agent/internal.ts";

const LOCAL = "198.18.0.1";

test("IPv4 tunnel port names are Neutron's: type-<remote IP in hex>", () => {
  assert.equal(tunnelPortName("vxlan", "198.18.0.2"), "vxlan-c6120002");
  assert.equal(tunnelPortName("gre", "10.0.0.1"), "gre-0a000001");
  assert.equal(tunnelPortName("geneve", "0.0.0.0"), "geneve-00000000");
  assert.equal(tunnelPortName("geneve", "255.255.255.255"), "geneve-ffffffff");
  assert.equal(tunnelPortName("geneve", "255.255.255.255").length, 15);
});

test("IPv6 tunnel port names fit in 15 characters, are stable and differ per address", () => {
  const names = ["2001:db8::2", "2001:db8::3", "fd00::1"].map((ip) => tunnelPortName("geneve", ip));
  for (const name of names) {
    assert.match(name, /^geneve-[0-9a-f]{8}$/);
    assert.ok(name.length <= 15);
  }
  assert.equal(new Set(names).size, 3);
  // Pinned (FNV-1a of the text): a name that changed across versions would orphan every tunnel port.
  assert.deepEqual(names, ["geneve-3befcb5a", "geneve-3cefcced", "geneve-9954580a"]);
  assert.equal(tunnelPortName("vxlan", "2001:db8::2"), "vxlan-3befcb5a");
  assert.equal(tunnelPortName("vxlan", "2001:db8::2"), tunnelPortName("vxlan", "2001:db8::2"));
});

test("wantedTunnelPorts: one port per remote and type, flooding for every network shared with it", () => {
  const wanted = wantedTunnelPorts(
    [
      {
        networkId: "net-b",
        type: "vxlan",
        remotes: [
          { host: "compute-2", ip: "198.18.0.2" },
          { host: "compute-3", ip: "198.18.0.3" },
        ],
      },
      { networkId: "net-a", type: "vxlan", remotes: [{ host: "compute-2", ip: "198.18.0.2" }] },
      { networkId: "net-c", type: "gre", remotes: [{ host: "compute-2", ip: "198.18.0.2" }] },
    ],
    LOCAL,
  );
  assert.deepEqual([...wanted.keys()].sort(), ["gre-c6120002", "vxlan-c6120002", "vxlan-c6120003"]);
  assert.deepEqual(wanted.get("vxlan-c6120002"), {
    name: "vxlan-c6120002",
    type: "vxlan",
    remoteIp: "198.18.0.2",
    remoteHost: "compute-2",
    networks: ["net-a", "net-b"],
  });
  assert.deepEqual(wanted.get("vxlan-c6120003")?.networks, ["net-b"]);
  assert.deepEqual(wanted.get("gre-c6120002"), {
    name: "gre-c6120002",
    type: "gre",
    remoteIp: "198.18.0.2",
    remoteHost: "compute-2",
    networks: ["net-c"],
  });
});

test("wantedTunnelPorts skips this host's own endpoint", () => {
  const wanted = wantedTunnelPorts(
    [
      {
        networkId: "net-a",
        type: "vxlan",
        remotes: [
          { host: "compute-1", ip: LOCAL },
          { host: "compute-2", ip: "198.18.0.2" },
        ],
      },
      { networkId: "net-b", type: "vxlan", remotes: [{ host: "compute-1", ip: LOCAL }] },
    ],
    LOCAL,
  );
  assert.deepEqual([...wanted.keys()], ["vxlan-c6120002"]);
  assert.equal(wantedTunnelPorts([], LOCAL).size, 0);
});

test("wantedTunnelPorts lists each network once per port", () => {
  const wanted = wantedTunnelPorts(
    [
      {
        networkId: "net-a",
        type: "vxlan",
        remotes: [
          { host: "compute-2", ip: "198.18.0.2" },
          { host: "compute-2", ip: "198.18.0.2" },
        ],
      },
    ],
    LOCAL,
  );
  assert.deepEqual(wanted.get("vxlan-c6120002")?.networks, ["net-a"]);
});

test("parseTunnelPort reads back a port of ours, networks sorted", () => {
  assert.deepEqual(
    parseTunnelPort(
      "vxlan-c6120002",
      "vxlan",
      { remote_ip: "198.18.0.2", local_ip: LOCAL, key: "flow" },
      { [TUNNEL_NETWORKS_KEY]: "net-b,net-a", [TUNNEL_REMOTE_HOST_KEY]: "compute-2" },
    ),
    {
      name: "vxlan-c6120002",
      type: "vxlan",
      remoteIp: "198.18.0.2",
      remoteHost: "compute-2",
      networks: ["net-a", "net-b"],
    },
  );
});

test("parseTunnelPort round-trips what wantedTunnelPorts wants", () => {
  const want = wantedTunnelPorts(
    [
      { networkId: "net-a", type: "geneve", remotes: [{ host: "compute-6", ip: "2001:db8::6" }] },
      { networkId: "net-b", type: "geneve", remotes: [{ host: "compute-6", ip: "2001:db8::6" }] },
    ],
    "2001:db8::1",
  );
  assert.equal(want.size, 1);
  const [w] = [...want.values()];
  assert.deepEqual(
    parseTunnelPort(
      w!.name,
      w!.type,
      { remote_ip: w!.remoteIp },
      { [TUNNEL_NETWORKS_KEY]: w!.networks.join(","), [TUNNEL_REMOTE_HOST_KEY]: w!.remoteHost },
    ),
    w,
  );
});

test("parseTunnelPort without our external_ids gives no networks and no remote host", () => {
  assert.deepEqual(parseTunnelPort("gre-c6120002", "gre", { remote_ip: "198.18.0.2" }, {}), {
    name: "gre-c6120002",
    type: "gre",
    remoteIp: "198.18.0.2",
    remoteHost: "",
    networks: [],
  });
  assert.deepEqual(
    parseTunnelPort("gre-c6120002", "gre", { remote_ip: "198.18.0.2" }, { [TUNNEL_NETWORKS_KEY]: "" })
      ?.networks,
    [],
  );
});

test("parseTunnelPort rejects ports that are not ours", () => {
  const ids = { [TUNNEL_NETWORKS_KEY]: "net-a" };
  // Not a tunnel type.
  assert.equal(parseTunnelPort("vxlan-c6120002", "patch", { remote_ip: "198.18.0.2" }, ids), undefined);
  assert.equal(parseTunnelPort("vxlan-c6120002", "stt", { remote_ip: "198.18.0.2" }, ids), undefined);
  assert.equal(parseTunnelPort("vxlan-c6120002", "", { remote_ip: "198.18.0.2" }, ids), undefined);
  // The name does not match the remote_ip.
  assert.equal(parseTunnelPort("vxlan-c6120002", "vxlan", { remote_ip: "198.18.0.3" }, ids), undefined);
  assert.equal(parseTunnelPort("my-tunnel", "vxlan", { remote_ip: "198.18.0.2" }, ids), undefined);
  // The name is of another type.
  assert.equal(parseTunnelPort("vxlan-c6120002", "gre", { remote_ip: "198.18.0.2" }, ids), undefined);
  // No remote_ip (e.g. remote_ip=flow).
  assert.equal(parseTunnelPort("vxlan-c6120002", "vxlan", {}, ids), undefined);
  assert.equal(parseTunnelPort("vxlan-c6120002", "vxlan", { remote_ip: "flow" }, ids), undefined);
});
