// An agent of the previous protocol (the previous release's own code, test/fixtures/previous-release.tar.gz)
// beside a new server and a new agent: it refuses any key it does not know, so it must get exactly the
// first protocol's messages — and it keeps wiring ports, across hosts, while the new agent beside it runs
// extensions and gets their data.
import assert from "node:assert/strict";
import { test } from "node:test";
import { reaches, unpackPreviousRelease } from "../../src/testbed/index.ts";
import { lab } from "../support/lab.ts";

test("an agent of the previous protocol beside a new server keeps wiring ports", async (t) => {
  const previous = await unpackPreviousRelease();
  t.after(() => previous.remove());
  const l = await lab(t, { hosts: 2 });
  const old = await l.startAgent("h1", {}, { cli: previous.cli });
  assert.equal(old.server, "synced", "the previous release registered and synced");
  await l.startAgent("h2", { extensions: ["qos"] });
  const net = await l.network({ name: "compat", type: "vxlan", segmentationId: 3300 });
  const policy = await l.api.createQosPolicy("compat");
  await l.api.addQosRule(policy, "dscp_marking", { dscp_mark: 10 });
  const a = await l.vm("h1", net, "a", "198.19.1.1");
  const b = await l.vm("h2", net, "b", "198.19.2.1");
  // QoS data now flows to h2's agent; h1's must not even see the new fields.
  await l.api.setPortQosPolicy(a.portId, policy);
  await l.api.setPortQosPolicy(b.portId, policy);
  const c = await l.vm("h1", net, "c", "198.19.1.2");
  assert.ok(await reaches(a, b.ip), "across hosts, old agent to new");
  assert.ok(await reaches(c, b.ip), "a port wired by the old agent after QoS events went out");
  assert.equal(await l.api.portStatus(c.portId), "ACTIVE", "its status reports are taken");
  const errors = (await l.agents.get("h1")!.logLines()).filter(
    (line) =>
      (line.level ?? 0) >= 50 ||
      /does not match the protocol/.test(String(line.msg ?? "") + JSON.stringify(line)),
  );
  assert.deepEqual(errors, [], "the old agent met nothing it could not read");
});
