// RBAC entries against a real Keystone: a network, security group, QoS policy or address group shared
// with one project is seen and used by that project only; the entry is its owner's (the target cannot
// see it); access in use cannot be taken away; only admins share with everyone; the body checks and
// codes are Neutron's; `shared` and `router:external` are the entries seen from each project.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Api, actors as actorsOf, keystoneLab } from "../support/keystone-lab.ts";

const lab = keystoneLab();

const actors = (t: Parameters<typeof lab.server>[0]) => actorsOf(lab, t);

const p = (name: string) => lab.ids[name]!.projectId;
const share = (
  object_type: string,
  object_id: string,
  target_tenant: unknown,
  action = "access_as_shared",
) => ({
  rbac_policy: { object_type, object_id, action, target_tenant },
});
const ids = (list: { id: string }[]) => list.map((o) => o.id);

test("a network shared with one project: seen and used by it alone; the entry stays its owner's; in use it stays", async (t) => {
  const { alice, carol, bob, admin } = await actors(t);
  const net = (await alice("POST", "/v2.0/networks", { network: { name: "alice-net" } })).body.network;
  await alice("POST", "/v2.0/subnets", {
    subnet: { network_id: net.id, cidr: "198.19.30.0/24", ip_version: 4 },
  });
  assert.equal((await bob("GET", `/v2.0/networks/${net.id}`)).status, 404);
  const revision = net.revision_number;

  const made = await alice("POST", "/v2.0/rbac-policies", share("network", net.id, p("bob")));
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const entry = made.body.rbac_policy;
  assert.deepEqual(Object.keys(entry).sort(), [
    "action",
    "id",
    "object_id",
    "object_type",
    "project_id",
    "target_tenant",
    "tenant_id",
  ]);
  assert.equal(entry.project_id, p("alice"));
  assert.ok((await alice("GET", `/v2.0/networks/${net.id}`)).body.network.revision_number > revision);

  // Bob's project sees the network and its subnet, as shared for it; alice's view: not shared.
  const seen = await bob("GET", `/v2.0/networks/${net.id}`);
  assert.equal(seen.status, 200);
  assert.equal(seen.body.network.shared, true);
  assert.equal((await alice("GET", `/v2.0/networks/${net.id}`)).body.network.shared, false);
  assert.ok(ids((await bob("GET", "/v2.0/networks?shared=True")).body.networks).includes(net.id));
  assert.equal((await bob("GET", "/v2.0/subnets")).body.subnets[0]?.network_id, net.id);
  assert.equal((await bob("PUT", `/v2.0/networks/${net.id}`, { network: { name: "x" } })).status, 403);
  // The entry is not bob's to see, change or delete.
  assert.deepEqual((await bob("GET", "/v2.0/rbac-policies")).body.rbac_policies, []);
  assert.equal((await bob("GET", `/v2.0/rbac-policies/${entry.id}`)).status, 404);
  assert.equal((await bob("DELETE", `/v2.0/rbac-policies/${entry.id}`)).status, 404);
  // Carol reads p1's entries, changes none.
  assert.deepEqual(ids((await carol("GET", "/v2.0/rbac-policies")).body.rbac_policies), [entry.id]);
  assert.equal((await carol("DELETE", `/v2.0/rbac-policies/${entry.id}`)).status, 403);

  // Bob's port depends on the entry: neither deleting it nor moving it to another project.
  const port = await bob("POST", "/v2.0/ports", { port: { network_id: net.id } });
  assert.equal(port.status, 201, JSON.stringify(port.body));
  const inUse = await alice("DELETE", `/v2.0/rbac-policies/${entry.id}`);
  assert.equal(inUse.status, 409);
  assert.equal(inUse.body.NeutronError.type, "RbacPolicyInUse");
  assert.equal(
    (await alice("PUT", `/v2.0/rbac-policies/${entry.id}`, { rbac_policy: { target_tenant: p("admin") } }))
      .status,
    409,
  );
  // Unsharing by `shared` is the admin's, and also refused while bob has a port there.
  assert.equal((await admin("PUT", `/v2.0/networks/${net.id}`, { network: { shared: true } })).status, 200);
  const wildcards = (await admin("GET", `/v2.0/rbac-policies?object_id=${net.id}&target_tenant=*`)).body
    .rbac_policies;
  assert.equal(wildcards.length, 1, "shared=True is a wildcard entry");
  assert.equal(
    (await alice("DELETE", `/v2.0/rbac-policies/${entry.id}`)).status,
    204,
    "the wildcard covers bob",
  );
  const unshare = await admin("PUT", `/v2.0/networks/${net.id}`, { network: { shared: false } });
  assert.equal(unshare.status, 409);
  assert.equal(unshare.body.NeutronError.type, "InvalidSharedSetting");
  assert.equal((await bob("DELETE", `/v2.0/ports/${port.body.port.id}`)).status, 204);
  assert.equal((await admin("PUT", `/v2.0/networks/${net.id}`, { network: { shared: false } })).status, 200);
  assert.deepEqual((await admin("GET", `/v2.0/rbac-policies?object_id=${net.id}`)).body.rbac_policies, []);
  assert.equal((await bob("GET", `/v2.0/networks/${net.id}`)).status, 404, "unshared again");

  // Deleting a network takes its entries with it.
  await alice("POST", "/v2.0/rbac-policies", share("network", net.id, p("bob")));
  assert.equal((await alice("DELETE", `/v2.0/networks/${net.id}`)).status, 204);
  assert.deepEqual((await admin("GET", `/v2.0/rbac-policies?object_id=${net.id}`)).body.rbac_policies, []);
});

test("who may share what: owners with a project, admins with everyone; Neutron's body checks and codes", async (t) => {
  const { alice, bob, admin } = await actors(t);
  const net = (await alice("POST", "/v2.0/networks", { network: { name: "n" } })).body.network;
  const adminNet = (await admin("POST", "/v2.0/networks", { network: { name: "a" } })).body.network;
  const post = (api: Api, body: unknown) => api("POST", "/v2.0/rbac-policies", body);
  const code = async (api: Api, body: unknown) => (await post(api, body)).status;

  assert.equal(await code(alice, share("network", net.id, "*")), 403, "a wildcard is the admin's");
  assert.equal(await code(bob, share("network", net.id, p("bob"))), 404, "a network bob cannot see");
  // Visible but not owned: Neutron's 400.
  await admin("POST", "/v2.0/rbac-policies", share("network", adminNet.id, p("alice")));
  const notOwner = await post(alice, share("network", adminNet.id, p("bob")));
  assert.equal(notOwner.status, 400);
  assert.match(
    notOwner.body.NeutronError.message,
    /Only admins can manipulate policies on objects they do not own/,
  );
  assert.equal(await code(alice, share("network", net.id, null)), 400, "target_tenant None");
  assert.equal(
    await code(alice, share("network", net.id, "1234".repeat(100))),
    400,
    "target_tenant too long",
  );
  assert.equal(await code(alice, { rbac_policy: { object_type: "network", object_id: net.id } }), 400);
  assert.equal(await code(alice, share("router", net.id, p("bob"))), 400, "not a type this server shares");
  assert.equal(await code(alice, share("network", "not-a-uuid", p("bob"))), 400);
  assert.equal(await code(alice, share("network", net.id, p("bob"), "access_as_owner")), 400);
  const sg = (await alice("POST", "/v2.0/security-groups", { security_group: { name: "g" } })).body
    .security_group;
  const wrongAction = await post(alice, share("security_group", sg.id, p("bob"), "access_as_external"));
  assert.equal(wrongAction.status, 400);
  assert.equal(wrongAction.body.NeutronError.type, "InvalidActionForType");
  assert.equal(
    await code(alice, { rbac_policy: { ...share("network", net.id, p("bob")).rbac_policy, x: 1 } }),
    400,
  );
  assert.equal(
    await code(alice, share("NETWORK ", net.id, p("bob"))),
    201,
    "types are trimmed and lower-cased",
  );
  const dup = await post(alice, share("network", net.id, p("bob")));
  assert.equal(dup.status, 409);
  assert.equal(dup.body.NeutronError.type, "DuplicateRbacPolicy");
  const [entry] = (await alice("GET", `/v2.0/rbac-policies?object_id=${net.id}`)).body.rbac_policies;
  assert.equal(
    (await alice("PUT", `/v2.0/rbac-policies/${entry.id}`, { rbac_policy: { object_type: "qos_policy" } }))
      .status,
    400,
    "only the target changes",
  );
  assert.equal(
    (await alice("PUT", `/v2.0/rbac-policies/${entry.id}`, { rbac_policy: { target_tenant: "*" } })).status,
    403,
  );
  const moved = await alice("PUT", `/v2.0/rbac-policies/${entry.id}`, {
    rbac_policy: { target_tenant: p("admin") },
  });
  assert.equal(moved.status, 200);
  assert.deepEqual({ ...moved.body.rbac_policy, target_tenant: p("bob") }, entry, "nothing else changes");
  assert.equal((await bob("GET", `/v2.0/networks/${net.id}`)).status, 404, "moved away from bob");
  // fields= on the list.
  const fields = (await alice("GET", "/v2.0/rbac-policies?fields=project_id&fields=target_tenant")).body
    .rbac_policies;
  assert.deepEqual(Object.keys(fields[0]).sort(), ["project_id", "target_tenant"]);
  // The quota (Neutron's default: 10 entries a project).
  assert.equal((await admin("PUT", `/v2.0/quotas/${p("alice")}`, { quota: { rbac_policy: 1 } })).status, 200);
  const over = await post(alice, share("network", net.id, p("bob")));
  assert.equal(over.status, 409);
  assert.equal(over.body.NeutronError.type, "OverQuota");
});

test("security groups, QoS policies and address groups shared with one project; their uses hold the entry", async (t) => {
  const { alice, bob, admin } = await actors(t);
  // A security group of the admin's, shared with p2: bob sees it and puts his port in it.
  const sg = (await admin("POST", "/v2.0/security-groups", { security_group: { name: "shared-sg" } })).body
    .security_group;
  const sgEntry = (await admin("POST", "/v2.0/rbac-policies", share("security_group", sg.id, p("bob")))).body
    .rbac_policy;
  assert.equal((await alice("GET", `/v2.0/security-groups/${sg.id}`)).status, 404);
  const bobSg = await bob("GET", `/v2.0/security-groups/${sg.id}`);
  assert.equal(bobSg.status, 200);
  assert.equal(bobSg.body.security_group.shared, true);
  const bobNet = (await bob("POST", "/v2.0/networks", { network: { name: "b" } })).body.network;
  const port = await bob("POST", "/v2.0/ports", {
    port: { network_id: bobNet.id, security_groups: [sg.id] },
  });
  assert.equal(port.status, 201, JSON.stringify(port.body));
  const aliceNet = (await alice("POST", "/v2.0/networks", { network: { name: "a" } })).body.network;
  assert.equal(
    (await alice("POST", "/v2.0/ports", { port: { network_id: aliceNet.id, security_groups: [sg.id] } }))
      .status,
    404,
    "not shared with p1",
  );
  assert.equal((await admin("DELETE", `/v2.0/rbac-policies/${sgEntry.id}`)).status, 409);
  assert.equal((await bob("DELETE", `/v2.0/ports/${port.body.port.id}`)).status, 204);
  assert.equal((await admin("DELETE", `/v2.0/rbac-policies/${sgEntry.id}`)).status, 204);

  // A QoS policy shared with p1: alice's network may use it, and then the entry stays.
  const qos = (await admin("POST", "/v2.0/qos/policies", { policy: { name: "gold" } })).body.policy;
  const qosEntry = (await admin("POST", "/v2.0/rbac-policies", share("qos_policy", qos.id, p("alice")))).body
    .rbac_policy;
  const aliceQos = await alice("GET", `/v2.0/qos/policies/${qos.id}`);
  assert.equal(aliceQos.status, 200);
  assert.equal(aliceQos.body.policy.shared, true);
  assert.equal((await bob("GET", `/v2.0/qos/policies/${qos.id}`)).status, 404);
  const qosNet = await alice("POST", "/v2.0/networks", { network: { name: "q", qos_policy_id: qos.id } });
  assert.equal(qosNet.status, 201, JSON.stringify(qosNet.body));
  assert.equal((await admin("DELETE", `/v2.0/rbac-policies/${qosEntry.id}`)).status, 409);
  // shared=True on the policy is a wildcard: then the specific entry may go, the wildcard not.
  assert.equal(
    (await admin("PUT", `/v2.0/qos/policies/${qos.id}`, { policy: { shared: true } })).status,
    200,
  );
  assert.equal((await bob("GET", `/v2.0/qos/policies/${qos.id}`)).status, 200);
  assert.equal((await admin("DELETE", `/v2.0/rbac-policies/${qosEntry.id}`)).status, 204);
  assert.equal(
    (await admin("PUT", `/v2.0/qos/policies/${qos.id}`, { policy: { shared: false } })).status,
    409,
  );
  assert.equal((await alice("DELETE", `/v2.0/networks/${qosNet.body.network.id}`)).status, 204);
  assert.equal(
    (await admin("PUT", `/v2.0/qos/policies/${qos.id}`, { policy: { shared: false } })).status,
    200,
  );
  assert.equal((await bob("GET", `/v2.0/qos/policies/${qos.id}`)).status, 404);

  // An address group shared with p2: bob's rule may name it, and then the entry stays.
  const ag = (await admin("POST", "/v2.0/address-groups", { address_group: { name: "ag", addresses: [] } }))
    .body.address_group;
  const agEntry = (await admin("POST", "/v2.0/rbac-policies", share("address_group", ag.id, p("bob")))).body
    .rbac_policy;
  assert.equal((await alice("GET", `/v2.0/address-groups/${ag.id}`)).status, 404);
  const bobGroup = (await bob("POST", "/v2.0/security-groups", { security_group: { name: "r" } })).body
    .security_group;
  const rule = await bob("POST", "/v2.0/security-group-rules", {
    security_group_rule: {
      security_group_id: bobGroup.id,
      direction: "ingress",
      remote_address_group_id: ag.id,
    },
  });
  assert.equal(rule.status, 201, JSON.stringify(rule.body));
  assert.equal((await admin("DELETE", `/v2.0/rbac-policies/${agEntry.id}`)).status, 409);
  assert.equal(
    (await bob("DELETE", `/v2.0/security-group-rules/${rule.body.security_group_rule.id}`)).status,
    204,
  );
  assert.equal((await admin("DELETE", `/v2.0/rbac-policies/${agEntry.id}`)).status, 204);
});

test("access_as_external: the network is router:external for everyone, visible to the project named", async (t) => {
  const { alice, bob, admin } = await actors(t);
  const net = (await admin("POST", "/v2.0/networks", { network: { name: "ext" } })).body.network;
  assert.equal(net["router:external"], false);
  assert.equal(
    (await alice("POST", "/v2.0/rbac-policies", share("network", net.id, p("alice"), "access_as_external")))
      .status,
    404,
    "not alice's network",
  );
  const entry = (
    await admin("POST", "/v2.0/rbac-policies", share("network", net.id, p("bob"), "access_as_external"))
  ).body.rbac_policy;
  assert.equal((await admin("GET", `/v2.0/networks/${net.id}`)).body.network["router:external"], true);
  const seen = await bob("GET", `/v2.0/networks/${net.id}`);
  assert.equal(seen.status, 200);
  assert.equal(seen.body.network["router:external"], true);
  assert.equal(seen.body.network.shared, false, "external is not shared");
  assert.equal((await alice("GET", `/v2.0/networks/${net.id}`)).status, 404);
  assert.equal((await admin("DELETE", `/v2.0/rbac-policies/${entry.id}`)).status, 204);
  assert.equal((await admin("GET", `/v2.0/networks/${net.id}`)).body.network["router:external"], false);
  // router:external on the network is the wildcard entry; only admins set it.
  assert.equal((await alice("POST", "/v2.0/networks", { network: { "router:external": true } })).status, 403);
  const ext = (await admin("POST", "/v2.0/networks", { network: { name: "e", "router:external": true } }))
    .body.network;
  assert.equal(ext["router:external"], true);
  assert.equal((await alice("GET", `/v2.0/networks/${ext.id}`)).status, 200, "an external network for all");
  const wildcard = (await admin("GET", `/v2.0/rbac-policies?object_id=${ext.id}&action=access_as_external`))
    .body.rbac_policies;
  assert.deepEqual(
    wildcard.map((w: any) => w.target_tenant),
    ["*"],
  );
  assert.equal(
    (await admin("PUT", `/v2.0/networks/${ext.id}`, { network: { "router:external": false } })).status,
    200,
  );
  assert.equal((await alice("GET", `/v2.0/networks/${ext.id}`)).status, 404);
});

test("subnet pools and address scopes: shared by admins or with one project by an entry; members cannot share or set the default", async (t) => {
  const { alice, bob, admin } = await actors(t);
  const poolBody = (extra: object) => ({
    subnetpool: { name: "pool", prefixes: ["198.18.48.0/22"], ...extra },
  });
  assert.equal((await alice("POST", "/v2.0/subnetpools", poolBody({ shared: true }))).status, 403);
  assert.equal((await alice("POST", "/v2.0/subnetpools", poolBody({ is_default: true }))).status, 403);
  assert.equal(
    (
      await alice("POST", "/v2.0/address-scopes", {
        address_scope: { name: "s", ip_version: 4, shared: true },
      })
    ).status,
    403,
  );

  const mine = (await alice("POST", "/v2.0/subnetpools", poolBody({ default_prefixlen: 26 }))).body
    .subnetpool;
  assert.equal(mine.project_id, p("alice"));
  assert.equal((await bob("GET", `/v2.0/subnetpools/${mine.id}`)).status, 404);
  assert.ok(!ids((await bob("GET", "/v2.0/subnetpools")).body.subnetpools).includes(mine.id));
  const bobNet = (await bob("POST", "/v2.0/networks", { network: { name: "bob-net" } })).body.network;
  const fromMine = () =>
    bob("POST", "/v2.0/subnets", {
      subnet: { network_id: bobNet.id, ip_version: 4, subnetpool_id: mine.id },
    });
  assert.equal((await fromMine()).status, 404, "a pool bob cannot see cannot serve him");

  // Shared with bob by an entry: he sees it as shared and allocates from it; the entry is in use then.
  const entry = await alice("POST", "/v2.0/rbac-policies", share("subnetpool", mine.id, p("bob")));
  assert.equal(entry.status, 201, JSON.stringify(entry.body));
  assert.equal((await bob("GET", `/v2.0/subnetpools/${mine.id}`)).body.subnetpool.shared, true);
  assert.equal((await alice("GET", `/v2.0/subnetpools/${mine.id}`)).body.subnetpool.shared, false);
  const sub = await fromMine();
  assert.equal(sub.status, 201, JSON.stringify(sub.body));
  assert.equal(sub.body.subnet.cidr, "198.18.48.0/26");
  assert.equal((await bob("PUT", `/v2.0/subnetpools/${mine.id}`, { subnetpool: { name: "x" } })).status, 403);
  const gone = await alice("DELETE", `/v2.0/rbac-policies/${entry.body.rbac_policy.id}`);
  assert.equal(gone.status, 409, JSON.stringify(gone.body));
  assert.equal(gone.body.NeutronError.type, "RbacPolicyInUse");

  // An admin's shared scope: every project sees it; alice's own pool may join it.
  const scope = (
    await admin("POST", "/v2.0/address-scopes", {
      address_scope: { name: "shared", ip_version: 4, shared: true },
    })
  ).body.address_scope;
  assert.equal((await bob("GET", `/v2.0/address-scopes/${scope.id}`)).body.address_scope.shared, true);
  assert.equal(
    (await bob("PUT", `/v2.0/address-scopes/${scope.id}`, { address_scope: { name: "mine" } })).status,
    403,
  );
  const joined = await alice("PUT", `/v2.0/subnetpools/${mine.id}`, {
    subnetpool: { address_scope_id: scope.id },
  });
  assert.equal(joined.status, 200, JSON.stringify(joined.body));
  // A project's private scope is not found by another project.
  const private_ = (
    await bob("POST", "/v2.0/address-scopes", { address_scope: { name: "b", ip_version: 4 } })
  ).body.address_scope;
  assert.equal((await alice("GET", `/v2.0/address-scopes/${private_.id}`)).status, 404);
  const other = await alice("POST", "/v2.0/subnetpools", {
    subnetpool: { name: "p2", prefixes: ["198.18.60.0/24"], address_scope_id: private_.id },
  });
  assert.equal(other.status, 404, JSON.stringify(other.body));
});
