import assert from "node:assert/strict";
import { test } from "node:test";
import { classifyVifs, type InterfaceView, isVifCandidate } from "../../src/agent/internal.ts";

const PORT_A = "0b3c7a7e-6f0e-4a1f-9d7c-1c2d3e4f5a6b";
const PORT_B = "5d8e2f10-3a4b-4c5d-8e9f-0a1b2c3d4e5f";
const MAC_A = "fa:16:3e:00:00:0a";
const MAC_B = "fa:16:3e:00:00:0b";

function view(name: string, overrides: Partial<InterfaceView> = {}): InterfaceView {
  return {
    name,
    uuid: `uuid-of-${name}`,
    portName: name,
    type: "",
    ofport: 5,
    externalIds: { "iface-id": PORT_A, "attached-mac": MAC_A, "iface-status": "active" },
    tag: null,
    portOtherConfig: {},
    ...overrides,
  };
}

test("a well-formed VIF is classified with its port id, MAC and ofport", () => {
  const result = classifyVifs([view("tapa", { ofport: 7 })]);
  assert.deepEqual(
    [...result],
    [["tapa", { kind: "vif", iface: "tapa", portId: PORT_A, mac: MAC_A, ofport: 7 }]],
  );
});

test("interfaces that are not VIFs are left out", () => {
  const result = classifyVifs([
    view("br-int", { type: "internal", externalIds: {} }),
    view("eth9", {
      externalIds: { "vm-uuid": "d2c1b1f0-0000-4000-8000-000000000000", "iface-status": "active" },
    }),
    view("patch-tun", { type: "patch" }),
    view("vxlan-c6120002", { type: "vxlan" }),
    view("gre-c6120002", { type: "gre" }),
    view("geneve-c612002", { type: "geneve" }),
    view("stt0", { type: "stt" }),
    view("ers0", { type: "erspan" }),
    view("ers6", { type: "ip6erspan" }),
    view("lisp0", { type: "lisp" }),
    view("tapa"),
  ]);
  assert.deepEqual([...result.keys()], ["tapa"]);
});

test("isVifCandidate needs iface-id or attached-mac on a non-tunnel, non-patch interface", () => {
  assert.equal(isVifCandidate(view("t", { externalIds: { "iface-id": "x" } })), true);
  assert.equal(isVifCandidate(view("t", { externalIds: { "attached-mac": MAC_A } })), true);
  assert.equal(isVifCandidate(view("t", { type: "internal" })), true);
  assert.equal(isVifCandidate(view("t", { externalIds: {} })), false);
  assert.equal(isVifCandidate(view("t", { type: "patch" })), false);
  assert.equal(isVifCandidate(view("t", { type: "geneve" })), false);
});

test("a VIF without an ofport yet, or with -1, is unready (and carries no ofport)", () => {
  const result = classifyVifs([view("tapa", { ofport: null }), view("tapb", { ofport: -1 })]);
  assert.deepEqual(result.get("tapa"), {
    kind: "unready",
    iface: "tapa",
    reason: "no OpenFlow port number yet",
  });
  assert.deepEqual(result.get("tapb"), {
    kind: "unready",
    iface: "tapb",
    reason: "OVS could not open the device (ofport -1)",
  });
});

test("readiness is judged before the ids: an unready interface with odd ids is unready", () => {
  const result = classifyVifs([view("tapa", { ofport: null, externalIds: { "attached-mac": MAC_A } })]);
  assert.equal(result.get("tapa")?.kind, "unready");
});

test("a VIF with odd ids is odd, with its ofport and the reason", () => {
  const cases: [Record<string, string>, string][] = [
    [{ "attached-mac": MAC_A }, "external_ids:iface-id is missing"],
    [{ "iface-id": "port-1", "attached-mac": MAC_A }, 'external_ids:iface-id "port-1" is not a port UUID'],
    [
      { "iface-id": `${PORT_A}0`, "attached-mac": MAC_A },
      `external_ids:iface-id "${PORT_A}0" is not a port UUID`,
    ],
    [{ "iface-id": "" }, 'external_ids:iface-id "" is not a port UUID'],
    [{ "iface-id": PORT_A }, "external_ids:attached-mac is missing"],
    [
      { "iface-id": PORT_A, "attached-mac": "FA:16:3E:00:00" },
      'external_ids:attached-mac "FA:16:3E:00:00" is not a MAC address',
    ],
    [
      { "iface-id": PORT_A, "attached-mac": "fa-16-3e-00-00-0a" },
      'external_ids:attached-mac "fa-16-3e-00-00-0a" is not a MAC address',
    ],
  ];
  for (const [externalIds, reason] of cases) {
    const result = classifyVifs([view("tapa", { ofport: 9, externalIds })]);
    assert.deepEqual(result.get("tapa"), { kind: "odd", iface: "tapa", ofport: 9, reason }, reason);
  }
});

test("upper-case iface-id and attached-mac are normalised to lower case", () => {
  const result = classifyVifs([
    view("tapa", { externalIds: { "iface-id": PORT_A.toUpperCase(), "attached-mac": MAC_A.toUpperCase() } }),
  ]);
  assert.deepEqual(result.get("tapa"), { kind: "vif", iface: "tapa", portId: PORT_A, mac: MAC_A, ofport: 5 });
});

test("an iface-id claimed by two interfaces makes both odd, each naming the other", () => {
  const result = classifyVifs([
    view("tapa", { ofport: 3 }),
    // The same id, in upper case: still the same port.
    view("tapa2", { ofport: 4, externalIds: { "iface-id": PORT_A.toUpperCase(), "attached-mac": MAC_B } }),
    view("tapb", { ofport: 6, externalIds: { "iface-id": PORT_B, "attached-mac": MAC_B } }),
  ]);
  assert.deepEqual(result.get("tapa"), {
    kind: "odd",
    iface: "tapa",
    ofport: 3,
    reason: `iface-id ${PORT_A} is also claimed by tapa2`,
  });
  assert.deepEqual(result.get("tapa2"), {
    kind: "odd",
    iface: "tapa2",
    ofport: 4,
    reason: `iface-id ${PORT_A} is also claimed by tapa`,
  });
  assert.equal(result.get("tapb")?.kind, "vif");
});

test("with three claimants each names the two others", () => {
  const result = classifyVifs([view("t1"), view("t2"), view("t3")]);
  const reasons = ["t1", "t2", "t3"].map((n) => {
    const o = result.get(n);
    assert.equal(o?.kind, "odd");
    return o?.kind === "odd" ? o.reason : "";
  });
  assert.deepEqual(reasons, [
    `iface-id ${PORT_A} is also claimed by t2, t3`,
    `iface-id ${PORT_A} is also claimed by t1, t3`,
    `iface-id ${PORT_A} is also claimed by t1, t2`,
  ]);
});

test("an unready or odd interface does not count as a claim", () => {
  const result = classifyVifs([
    view("tapa"),
    view("tapa-pending", { ofport: null }),
    view("tapa-nomac", { externalIds: { "iface-id": PORT_A } }),
  ]);
  assert.equal(result.get("tapa")?.kind, "vif");
  assert.equal(result.get("tapa-pending")?.kind, "unready");
  assert.equal(result.get("tapa-nomac")?.kind, "odd");
});
