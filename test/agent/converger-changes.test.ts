// What a pass must notice, without looking at everything: a VIF that comes back from being unready, a
// remote port that moves here or away, a patch port someone deleted, a port going dead while the flows
// are not confirmed, a section object a network's flows read, a network that stops being tunnelled.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Feature } from "../../src/agent/index.ts";
import { flow } from "../../src/openflow/index.ts";
import { guard, guardOwner, labels, N1, providerConfig, type Rig, rig, settle } from "./converger-rig.ts";
import { details, fdbEntry, HOST, network, sync, uuid } from "./fixtures.ts";

/** The VIF's weir-installed mark in OVSDB. */
const markOf = (r: Rig, iface: string) =>
  (r.sw.find("Interface", iface)!.external_ids as Record<string, string>)["weir-installed"];

const ARP_RESPONDER = 0x08;
const L2POP = 0x07;

test("a VIF unready during a full pass keeps its flows, and is looked at again when it comes back", async () => {
  const r = rig({ extensions: [guard({ broken: false })] });
  r.control.applySync(sync({ ports: [details(uuid(1), N1)], networks: [network(N1)] }));
  await r.converger.passNow();
  r.plug("tap1", uuid(1), 5);
  await settle(r);
  assert.ok(r.flows.int.desired.has(guardOwner("tap1")));
  r.setOfport("tap1", -1); // the VM stopped: its tap is gone, its Interface row stays
  await settle(r);
  r.converger.triggerFull(); // a resync, a reconnect, a feature retry
  await settle(r);
  assert.ok(r.flows.int.desired.has(guardOwner("tap1")), "not swept while unready");
  const decided = r.converger.counts.vifsDecided;
  r.setOfport("tap1", 5); // OVS gives the name its ofport back
  await settle(r);
  assert.equal(r.converger.counts.vifsDecided, decided + 1, "its return is news, not an echo");
  assert.equal(r.converger.vifs.get("tap1")?.state, "wired");
  assert.equal(r.flows.int.desired.flowsOf(guardOwner("tap1")).length, 1);
});

test("a remote port that moves to this host, or to a network not here, loses its l2pop and ARP flows", async () => {
  const r = rig();
  const P = uuid(2);
  const Q = uuid(3);
  const N2 = uuid(0x200);
  r.control.applySync(
    sync({
      ports: [details(uuid(1), N1)],
      networks: [network(N1), network(N2, { segmentation_id: 2000 })],
      endpoints: [{ network_id: N1, endpoints: [{ host: "compute-2", tunneling_ip: "198.18.0.2" }] }],
      fdb: [
        fdbEntry(P, N1),
        fdbEntry(Q, N1, { mac_address: "fa:16:3e:00:00:03", ip_addresses: ["10.0.0.7"] }),
      ],
    }),
  );
  await r.converger.passNow();
  r.plug("tap1", uuid(1), 5);
  await settle(r);
  for (const id of [P, Q]) {
    assert.ok(r.flows.tun.desired.has({ ownerClass: ARP_RESPONDER, key: `remote:${id}` }), "ARP answer");
    assert.ok(r.flows.tun.desired.has({ ownerClass: L2POP, key: `remote:${id}` }), "unicast to its host");
  }
  r.converger.onControlChange(
    r.control.applyEvent({ kind: "fdb.updated", entry: fdbEntry(P, N1, { host: HOST }) }, 5),
  );
  r.converger.onControlChange(
    r.control.applyEvent(
      {
        kind: "fdb.updated",
        entry: fdbEntry(Q, N2, { mac_address: "fa:16:3e:00:00:03", ip_addresses: ["10.0.0.7"] }),
      },
      6,
    ),
  );
  await settle(r);
  for (const id of [P, Q]) {
    assert.equal(r.flows.tun.desired.has({ ownerClass: ARP_RESPONDER, key: `remote:${id}` }), false, id);
    assert.equal(r.flows.tun.desired.has({ ownerClass: L2POP, key: `remote:${id}` }), false, id);
  }
});

test("a patch port deleted at run time makes the pass repair the bridges", async () => {
  const r = rig();
  await r.converger.passNow();
  const before = r.repairs.count;
  const br = r.sw.find("Bridge", "br-int")!;
  const port = r.sw.find("Port", "patch-tun")!;
  r.sw.transact([
    r.sw.db.ops.mutate("Bridge", [["_uuid", "==", br._uuid]], [["ports", "delete", ["uuid", port._uuid]]]),
  ]);
  await settle(r);
  assert.equal(r.repairs.count, before + 1);
});

test("a port going dead while flows wait for confirmation: drop flow, then tag; DOWN and unmark once confirmed", async () => {
  const r = rig();
  r.control.applySync(sync({ ports: [details(uuid(1), N1)], networks: [network(N1)] }));
  await r.converger.passNow();
  r.plug("tap1", uuid(1), 5);
  await settle(r);
  assert.ok(markOf(r, "tap1"), "marked");
  r.flows.int.setInSync(false); // a repair of br-int pending
  r.sw.startRecording();
  r.steps.length = 0;
  r.converger.onControlChange(
    r.control.applyEvent(
      { kind: "port.updated", port: details(uuid(1), N1, { admin_state_up: false, revision_number: 2 }) },
      5,
    ),
  );
  await settle(r);
  assert.deepEqual(
    labels(r.steps),
    ["flows br-int +1 -0", "ovsdb Port.update,Port.mutate", "flows br-tun +0 -1"],
    "drop flow, then tag 4095, then the network's flows (its last port left)",
  );
  assert.equal(r.converger.vifs.get("tap1")?.state, "dead");
  assert.ok(markOf(r, "tap1"), "still marked: the drop is not confirmed");
  r.steps.length = 0;
  r.flows.int.setInSync(true);
  await settle(r);
  assert.deepEqual(labels(r.steps), ["ovsdb Interface.mutate", "status down"]);
  assert.equal(markOf(r, "tap1"), undefined, "unmarked");
});

test("a section object a network's flows read changes: the network is planned again", async () => {
  const P = uuid(0x500);
  const reader: Feature = {
    name: "netreader",
    summary: "one flow per network, from a QoS policy's revision",
    tables: [{ bridge: "int", number: 121, name: "NETREADER", purpose: "a test's", miss: () => [] }],
    sections: ["qos"],
    network(net, ctx) {
      const policy = ctx.section<{ revision_number: number }>("qos", P);
      if (policy === undefined) return undefined;
      return new Map([
        [
          ctx.host.integrationBridge,
          [flow({ table: 121, priority: policy.revision_number, match: { reg7: net.lvid }, actions: [] })],
        ],
      ]);
    },
  };
  const r = rig({ extensions: [reader] });
  const policy = (revision: number) => ({ policy_id: P, revision_number: revision, rules: [] });
  r.control.applySync({
    ...sync({ ports: [details(uuid(1), N1)], networks: [network(N1)] }),
    qos: { policies: [policy(1)] },
  });
  await r.converger.passNow();
  r.plug("tap1", uuid(1), 5);
  await settle(r);
  const owner = { ownerClass: 0x80, key: `net:${N1}` };
  assert.equal(r.flows.int.desired.flowsOf(owner)[0]?.priority, 1);
  r.converger.onControlChange(r.control.applyEvent({ kind: "qos.policy.updated", policy: policy(7) }, 5));
  await settle(r);
  assert.equal(r.flows.int.desired.flowsOf(owner)[0]?.priority, 7);
});

test("a network that stops being tunnelled gives up its tunnel ports", async () => {
  const r = rig({ config: providerConfig });
  r.control.applySync(
    sync({
      ports: [details(uuid(1), N1)],
      networks: [network(N1)],
      endpoints: [{ network_id: N1, endpoints: [{ host: "compute-2", tunneling_ip: "198.18.0.2" }] }],
    }),
  );
  await r.converger.passNow();
  r.plug("tap1", uuid(1), 5);
  await settle(r);
  assert.deepEqual(r.tunnelPorts.ensured, ["vxlan-c6120002"]);
  const vlan = { network_type: "vlan" as const, physical_network: "physnet1", segmentation_id: 100 };
  r.converger.onControlChange(
    r.control.applyEvent({ kind: "network.updated", network: network(N1, vlan) }, 5),
  );
  r.converger.onControlChange(
    r.control.applyEvent(
      { kind: "port.updated", port: details(uuid(1), N1, { ...vlan, revision_number: 2 }) },
      6,
    ),
  );
  await settle(r);
  assert.equal(r.converger.vifs.get("tap1")?.state, "wired");
  assert.equal(r.converger.vifs.get("tap1")?.networkId, N1);
  assert.deepEqual(r.tunnelPorts.deleted, ["vxlan-c6120002"], "the tunnel port went");
});
