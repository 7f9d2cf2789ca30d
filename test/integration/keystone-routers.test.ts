// Routers and floating IPs scoped by project against a real Keystone: a project sees and changes only
// its own routers and floating IPs (404 for others'), cannot plug another project's subnet or port into
// its router or forward a floating IP to another project's port; a reader reads but does not change;
// the gateway's addresses, its SNAT switch and a chosen floating address are the admin's to set (403).
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Api, actors as actorsOf, keystoneLab } from "../support/keystone-lab.ts";

const lab = keystoneLab();

const actors = (t: Parameters<typeof lab.server>[0]) => actorsOf(lab, t);

const made = async (r: Promise<{ status: number; body: any }>, key: string) => {
  const reply = await r;
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  return reply.body[key];
};

/** A project's network and subnet, both with the same CIDR in every project (overlap is theirs to have). */
async function projectNet(api: Api, name: string) {
  const net = await made(api("POST", "/v2.0/networks", { network: { name } }), "network");
  const sub = await made(
    api("POST", "/v2.0/subnets", { subnet: { network_id: net.id, cidr: "198.19.40.0/24", ip_version: 4 } }),
    "subnet",
  );
  const port = await made(api("POST", "/v2.0/ports", { port: { network_id: net.id } }), "port");
  return { net, sub, port };
}

test("routers and floating IPs are their project's: others get 404, readers 403, admin-only gateway options 403", async (t) => {
  const { alice, carol, bob, admin } = await actors(t);
  const pub = await made(
    admin("POST", "/v2.0/networks", { network: { name: "public", "router:external": true } }),
    "network",
  );
  await made(
    admin("POST", "/v2.0/subnets", {
      subnet: { network_id: pub.id, cidr: "198.18.124.0/24", ip_version: 4 },
    }),
    "subnet",
  );
  const a = await projectNet(alice, "a-net");
  const b = await projectNet(bob, "b-net");

  const ra = await made(
    alice("POST", "/v2.0/routers", { router: { name: "ra", external_gateway_info: { network_id: pub.id } } }),
    "router",
  );
  const rb = await made(
    bob("POST", "/v2.0/routers", { router: { name: "rb", external_gateway_info: { network_id: pub.id } } }),
    "router",
  );
  // Overlapping CIDRs in two projects, each on its own router.
  assert.equal(
    (await alice("PUT", `/v2.0/routers/${ra.id}/add_router_interface`, { subnet_id: a.sub.id })).status,
    200,
  );
  assert.equal(
    (await bob("PUT", `/v2.0/routers/${rb.id}/add_router_interface`, { subnet_id: b.sub.id })).status,
    200,
  );

  // Listing and showing: each project its own.
  assert.deepEqual(
    (await alice("GET", "/v2.0/routers")).body.routers.map((r: { id: string }) => r.id),
    [ra.id],
  );
  assert.equal((await bob("GET", `/v2.0/routers/${ra.id}`)).status, 404);
  assert.equal((await bob("PUT", `/v2.0/routers/${ra.id}`, { router: { name: "x" } })).status, 404);
  assert.equal((await bob("DELETE", `/v2.0/routers/${ra.id}`)).status, 404);
  assert.equal(
    (await bob("PUT", `/v2.0/routers/${ra.id}/add_router_interface`, { subnet_id: b.sub.id })).status,
    404,
  );
  // Another project's subnet or port cannot be plugged into one's router.
  assert.equal(
    (await bob("PUT", `/v2.0/routers/${rb.id}/add_router_interface`, { subnet_id: a.sub.id })).status,
    404,
  );
  assert.equal(
    (await bob("PUT", `/v2.0/routers/${rb.id}/add_router_interface`, { port_id: a.port.id })).status,
    404,
  );
  assert.equal((await admin("GET", "/v2.0/routers")).body.routers.length, 2, "the admin sees both");

  // A reader reads and changes nothing.
  assert.equal((await carol("GET", `/v2.0/routers/${ra.id}`)).status, 200);
  assert.equal((await carol("PUT", `/v2.0/routers/${ra.id}`, { router: { name: "x" } })).status, 403);
  assert.equal((await carol("POST", "/v2.0/routers", { router: { name: "c" } })).status, 403);
  assert.equal(
    (await carol("PUT", `/v2.0/routers/${ra.id}/remove_router_interface`, { subnet_id: a.sub.id })).status,
    403,
  );

  // The admin's options: the gateway's addresses and SNAT; a chosen floating address.
  for (const info of [
    { network_id: pub.id, enable_snat: false },
    { network_id: pub.id, external_fixed_ips: [{ ip_address: "198.18.124.50" }] },
  ]) {
    const r = await alice("PUT", `/v2.0/routers/${ra.id}`, { router: { external_gateway_info: info } });
    assert.equal(r.status, 403, JSON.stringify(r.body));
  }
  assert.equal(
    (
      await admin("PUT", `/v2.0/routers/${ra.id}`, {
        router: { external_gateway_info: { network_id: pub.id, enable_snat: false } },
      })
    ).body.router.external_gateway_info.enable_snat,
    false,
  );
  assert.equal(
    (
      await alice("POST", "/v2.0/floatingips", {
        floatingip: { floating_network_id: pub.id, floating_ip_address: "198.18.124.60" },
      })
    ).status,
    403,
  );

  // Floating IPs: one's own port only; others' floating IPs are not found.
  const fa = await made(
    alice("POST", "/v2.0/floatingips", { floatingip: { floating_network_id: pub.id, port_id: a.port.id } }),
    "floatingip",
  );
  assert.equal(fa.router_id, ra.id, "alice's router, not bob's, though both serve 198.19.40.0/24");
  const fb = await bob("POST", "/v2.0/floatingips", {
    floatingip: { floating_network_id: pub.id, port_id: a.port.id },
  });
  assert.equal(fb.status, 404, JSON.stringify(fb.body));
  assert.equal((await bob("GET", `/v2.0/floatingips/${fa.id}`)).status, 404);
  assert.equal(
    (await bob("PUT", `/v2.0/floatingips/${fa.id}`, { floatingip: { port_id: null } })).status,
    404,
  );
  assert.equal((await bob("DELETE", `/v2.0/floatingips/${fa.id}`)).status, 404);
  assert.deepEqual((await bob("GET", "/v2.0/floatingips")).body.floatingips, []);
  assert.equal((await carol("DELETE", `/v2.0/floatingips/${fa.id}`)).status, 403);

  // The gateway and floating-IP ports are no project's: a member cannot delete them.
  const gw = (await admin("GET", `/v2.0/ports?device_id=${ra.id}&device_owner=network:router_gateway`)).body
    .ports[0];
  assert.equal(gw.project_id, "");
  assert.equal((await alice("DELETE", `/v2.0/ports/${gw.id}`)).status, 404, "not even visible to alice");
  assert.equal((await admin("DELETE", `/v2.0/ports/${gw.id}`)).status, 409, "the admin is told why");
});

test("access_as_external entries a project's router gateway needs cannot go; moving the wildcard to that project can", async (t) => {
  const { bob, admin } = await actors(t);
  const net = await made(admin("POST", "/v2.0/networks", { network: { name: "ext" } }), "network");
  await made(
    admin("POST", "/v2.0/subnets", {
      subnet: { network_id: net.id, cidr: "198.18.125.0/24", ip_version: 4 },
    }),
    "subnet",
  );
  const wildcard = await made(
    admin("POST", "/v2.0/rbac-policies", {
      rbac_policy: {
        object_type: "network",
        object_id: net.id,
        action: "access_as_external",
        target_tenant: "*",
      },
    }),
    "rbac_policy",
  );
  const r = await made(
    bob("POST", "/v2.0/routers", { router: { name: "rb", external_gateway_info: { network_id: net.id } } }),
    "router",
  );
  assert.equal(
    (await admin("DELETE", `/v2.0/rbac-policies/${wildcard.id}`)).status,
    409,
    "bob's gateway needs it",
  );
  const other = await admin("PUT", `/v2.0/rbac-policies/${wildcard.id}`, {
    rbac_policy: { target_tenant: lab.ids.alice!.projectId },
  });
  assert.equal(other.status, 409, "moved to another project, bob loses access");
  const toBob = await admin("PUT", `/v2.0/rbac-policies/${wildcard.id}`, {
    rbac_policy: { target_tenant: lab.ids.bob!.projectId },
  });
  assert.equal(toBob.status, 200, JSON.stringify(toBob.body));
  assert.equal(
    (await admin("PUT", `/v2.0/networks/${net.id}`, { network: { "router:external": false } })).status,
    409,
    "not external while a gateway is on it",
  );
  assert.equal((await bob("DELETE", `/v2.0/routers/${r.id}`)).status, 204);
  assert.equal((await admin("DELETE", `/v2.0/rbac-policies/${wildcard.id}`)).status, 204);
});
