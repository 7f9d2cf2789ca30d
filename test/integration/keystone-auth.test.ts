// Keystone authentication against a real Keystone (Debian's, on loopback over SQLite): tokens validated
// as keystonemiddleware does, 401 with its challenge, 503 when Keystone is away (never a pass), the
// cache by hash and its expiry, roles taken away, the agent channel for services only, project
// isolation for each resource, and the openstack CLI logging in with a password.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { promisify } from "node:util";
import { keystoneCredentials, ServerClient } from "../../src/agent/internal.ts";
import { sleep } from "../../src/base/index.ts";
import { agentReport } from "../support/api-suite.ts";
import { CACHE_S, keystoneLab, PASSWORD } from "../support/keystone-lab.ts";

const run = promisify(execFile);
const lab = keystoneLab();
const { ids, tokenOf } = lab;
const server = lab.server;

test("no token, a forged one or a revoked one: 401 with keystonemiddleware's challenge and body", async (t) => {
  const s = await server(t);
  const bare = await fetch(`${s.url}/v2.0/networks`);
  assert.equal(bare.status, 401);
  assert.equal(bare.headers.get("www-authenticate"), `Keystone uri="${lab.ks.url}"`);
  assert.deepEqual(await bare.json(), {
    error: {
      code: 401,
      title: "Unauthorized",
      message: "The request you have made requires authentication.",
    },
  });
  assert.equal((await s.api("GET", "/v2.0/networks", undefined, "gAAAAABforged")).status, 401);
  assert.equal((await s.api("GET", "/", undefined)).status, 200, "version discovery stays public");
  const alice = await tokenOf("alice", "p1");
  assert.equal((await s.api("GET", "/v2.0/networks", undefined, alice)).status, 200);
  await lab.ks.revokeToken(alice);
  // Cached: still accepted for at most token_cache_time, then refused.
  await sleep(CACHE_S * 1000 + 300);
  assert.equal((await s.api("GET", "/v2.0/networks", undefined, alice)).status, 401, "after the cache time");
});

test("a role taken away while its token is cached takes effect within the cache time", async (t) => {
  const s = await server(t);
  const dave = await tokenOf("dave", "p2");
  const create = () => s.api("POST", "/v2.0/networks", { network: { name: "d" } }, dave);
  assert.equal((await create()).status, 201);
  await lab.ks.revokeRole("dave", "p2", "member");
  t.after(() => lab.ks.user({ project: "p2", name: "dave", password: PASSWORD, roles: ["member"] }));
  await sleep(CACHE_S * 1000 + 300);
  const status = (await create()).status;
  assert.ok(status === 401 || status === 403, `refused after the cache time, got ${status}`);
});

test("Keystone stopped: 503 for a token not cached, never a pass; back: 200", async (t) => {
  const s = await server(t);
  const bob = await tokenOf("bob", "p2");
  const cached = await tokenOf("alice", "p1");
  assert.equal((await s.api("GET", "/v2.0/networks", undefined, cached)).status, 200);
  await lab.ks.stop();
  t.after(() => lab.ks.start());
  const down = await fetch(`${s.url}/v2.0/networks`, { headers: { "x-auth-token": bob } });
  assert.equal(down.status, 503);
  assert.deepEqual(await down.json(), {
    error: {
      code: 503,
      title: "Service Unavailable",
      message: "The Keystone service is temporarily unavailable.",
    },
  });
  assert.equal(
    (await s.api("GET", "/v2.0/networks", undefined, cached)).status,
    200,
    "a cached token still works",
  );
  await lab.ks.start();
  assert.equal((await s.api("GET", "/v2.0/networks", undefined, bob)).status, 200);
});

test("the agent channel takes service tokens only; a project member's is refused", async (t) => {
  const s = await server(t);
  const report = agentReport("h1");
  const member = await s.api("POST", "/agent/v1/report-state", report, await tokenOf("alice", "p1"));
  assert.equal(member.status, 403);
  const agent = await s.api("POST", "/agent/v1/report-state", report, await tokenOf("weir-agent", "service"));
  assert.equal(agent.status, 200, JSON.stringify(agent.body));
});

test("project isolation: two projects and an admin, on every resource — list, show, update, delete", async (t) => {
  const s = await server(t);
  const [alice, carol, bob, admin] = await Promise.all([
    tokenOf("alice", "p1"),
    tokenOf("carol", "p1"),
    tokenOf("bob", "p2"),
    tokenOf("admin", "admin"),
  ]);
  const as = (token: string) => (method: string, path: string, body?: unknown) =>
    s.api(method, path, body, token);
  const a = as(alice);
  const b = as(bob);
  const c = as(carol);
  // Alice's objects: a network, subnet, port, security group with a rule, address group.
  const net = (await a("POST", "/v2.0/networks", { network: { name: "alice-net" } })).body.network;
  assert.ok(net.id, "alice creates a network");
  assert.equal(net["provider:network_type"], undefined, "provider attributes are the admin's");
  const sub = (
    await a("POST", "/v2.0/subnets", {
      subnet: { network_id: net.id, cidr: "198.19.10.0/24", ip_version: 4 },
    })
  ).body.subnet;
  const port = (await a("POST", "/v2.0/ports", { port: { network_id: net.id } })).body.port;
  assert.equal(port["binding:vif_details"], undefined, "binding details are the admin's and services'");
  const sg = (await a("POST", "/v2.0/security-groups", { security_group: { name: "alice-sg" } })).body
    .security_group;
  const rule = (
    await a("POST", "/v2.0/security-group-rules", {
      security_group_rule: {
        security_group_id: sg.id,
        direction: "ingress",
        protocol: "tcp",
        port_range_min: 22,
        port_range_max: 22,
      },
    })
  ).body.security_group_rule;
  const ag = (
    await a("POST", "/v2.0/address-groups", {
      address_group: { name: "alice-ag", addresses: ["198.19.20.0/24"] },
    })
  ).body.address_group;
  const objects: [string, string, string, unknown][] = [
    ["networks", "network", net.id, { network: { name: "x" } }],
    ["subnets", "subnet", sub.id, { subnet: { name: "x" } }],
    ["ports", "port", port.id, { port: { name: "x" } }],
    ["security-groups", "security_group", sg.id, { security_group: { name: "x" } }],
    ["security-group-rules", "security_group_rule", rule.id, undefined],
    ["address-groups", "address_group", ag.id, { address_group: { name: "x" } }],
  ];
  const leaks: string[] = [];
  for (const [path, _key, id, update] of objects) {
    const list = await b("GET", `/v2.0/${path}`);
    if (JSON.stringify(list.body).includes(id)) leaks.push(`bob lists alice's ${path}`);
    const filtered = await b("GET", `/v2.0/${path}?id=${id}&fields=id`);
    if (JSON.stringify(filtered.body).includes(id)) leaks.push(`bob finds alice's ${path} by id filter`);
    const show = await b("GET", `/v2.0/${path}/${id}`);
    if (show.status !== 404) leaks.push(`bob shows alice's ${path}: ${show.status}`);
    if (update !== undefined) {
      const put = await b("PUT", `/v2.0/${path}/${id}`, update);
      if (put.status !== 404) leaks.push(`bob updates alice's ${path}: ${put.status}`);
    }
    const del = await b("DELETE", `/v2.0/${path}/${id}`);
    if (del.status !== 404) leaks.push(`bob deletes alice's ${path}: ${del.status}`);
    if (JSON.stringify(del.body ?? {}).includes("alice"))
      leaks.push(`bob's error on ${path} names alice's object`);
    // Carol (reader of p1) sees it, may not change it.
    const seen = await c("GET", `/v2.0/${path}/${id}`);
    if (seen.status !== 200) leaks.push(`carol cannot show p1's ${path}: ${seen.status}`);
    if (update !== undefined) {
      const put = await c("PUT", `/v2.0/${path}/${id}`, update);
      if (put.status !== 403) leaks.push(`carol updates p1's ${path}: ${put.status}`);
    }
    // The admin sees everything.
    const byAdmin = await as(admin)("GET", `/v2.0/${path}/${id}`);
    if (byAdmin.status !== 200) leaks.push(`the admin cannot show ${path}: ${byAdmin.status}`);
  }
  assert.deepEqual(leaks, []);
  // Creates in another project (400, as Neutron's API layer answers), or on a network not theirs.
  const foreign = await b("POST", "/v2.0/networks", { network: { project_id: ids.alice!.projectId } });
  assert.equal(foreign.status, 400);
  const mismatch = await a("POST", "/v2.0/networks", {
    network: { project_id: ids.alice!.projectId, tenant_id: ids.bob!.projectId },
  });
  assert.equal(mismatch.status, 400, "project_id and tenant_id must agree");
  assert.equal(
    (
      await b("POST", "/v2.0/subnets", {
        subnet: { network_id: net.id, cidr: "198.19.11.0/24", ip_version: 4 },
      })
    ).status,
    404,
  );
  assert.equal((await b("POST", "/v2.0/ports", { port: { network_id: net.id } })).status, 404);
  assert.equal(
    (await c("POST", "/v2.0/networks", { network: { name: "r" } })).status,
    403,
    "a reader creates nothing",
  );
  assert.equal((await a("POST", "/v2.0/networks", { network: { shared: true } })).status, 403);
  assert.equal(
    (await a("POST", "/v2.0/networks", { network: { "provider:network_type": "vxlan" } })).status,
    403,
  );
  const reported = await s.api(
    "POST",
    "/agent/v1/report-state",
    agentReport("h1"),
    await tokenOf("weir-agent", "service"),
  );
  assert.equal(reported.status, 200, JSON.stringify(reported.body));
  assert.equal((await as(admin)("GET", "/v2.0/agents")).body.agents.length, 1);
  const agentList = await a("GET", "/v2.0/agents");
  assert.equal(agentList.status, 200, "a list of what the caller sees, as Neutron answers it");
  assert.deepEqual(agentList.body.agents, [], "agents are the admin's");
  assert.equal((await a("GET", `/v2.0/agents/${reported.body.agent_id}`)).status, 404);
  assert.equal(
    (await a("PUT", `/v2.0/agents/${reported.body.agent_id}`, { agent: { description: "x" } })).status,
    404,
  );
  assert.equal(
    (await a("POST", "/v2.0/qos/policies", { policy: { name: "q" } })).status,
    403,
    "QoS policies are the admin's",
  );
  assert.equal(
    (
      await a("POST", "/v2.0/qos/policies/no-such-policy/bandwidth_limit_rules", {
        bandwidth_limit_rule: { max_kbps: 1 },
      })
    ).status,
    403,
    "a caller who may create no rules is refused before any lookup, as Neutron's API layer does",
  );
  // A shared network is seen by the other project, not changed by it.
  const shared = (await as(admin)("POST", "/v2.0/networks", { network: { name: "shared", shared: true } }))
    .body.network;
  assert.equal((await b("GET", `/v2.0/networks/${shared.id}`)).status, 200);
  assert.equal((await b("PUT", `/v2.0/networks/${shared.id}`, { network: { name: "y" } })).status, 403);
  assert.equal(
    (await b("POST", "/v2.0/ports", { port: { network_id: shared.id } })).status,
    201,
    "ports on a shared network",
  );
});

test("openstack with a Keystone password login works against Weir, each user seeing their project", async (t) => {
  const s = await server(t);
  await lab.ks.registerService("network", "neutron", s.url);
  const login = (user: string, project: string) => [
    "--os-auth-url",
    `${lab.ks.url}/v3`,
    "--os-identity-api-version",
    "3",
    "--os-username",
    user,
    "--os-password",
    PASSWORD,
    "--os-project-name",
    project,
    "--os-user-domain-name",
    "Default",
    "--os-project-domain-name",
    "Default",
    "--os-region-name",
    "RegionOne",
  ];
  const osc = (user: string, project: string, ...args: string[]) =>
    run("openstack", [...login(user, project), ...args, "-f", "json"], { timeout: 120_000 }).then((r) =>
      JSON.parse(r.stdout),
    );
  const made = await osc("alice", "p1", "network", "create", "osc-net");
  assert.equal(made.name, "osc-net");
  const mine = (await osc("alice", "p1", "network", "list")) as { ID: string }[];
  assert.ok(mine.some((n) => n.ID === made.id));
  const theirs = (await osc("bob", "p2", "network", "list")) as { ID: string }[];
  assert.ok(!theirs.some((n) => n.ID === made.id), "bob does not see alice's network");
  // Tags as Terraform and the CLI set them (standard-attr-tag).
  await run("openstack", [...login("alice", "p1"), "network", "set", "--tag", "blue", made.id], {
    timeout: 120_000,
  });
  const tagged = (await osc("alice", "p1", "network", "list", "--tags", "blue")) as { ID: string }[];
  assert.deepEqual(
    tagged.map((n) => n.ID),
    [made.id],
  );
});

test("an agent with Keystone credentials reports with its own token, and gets a new one when it is revoked", async (t) => {
  const s = await server(t);
  const credentials = keystoneCredentials({
    authUrl: lab.ks.url,
    username: "weir-agent",
    password: PASSWORD,
    projectName: "service",
    userDomainName: "Default",
    projectDomainName: "Default",
  });
  const client = new ServerClient({ url: s.url, host: "h1", credentials });
  const { host: _, ...report } = agentReport("h1");
  const first = await client.reportState(report);
  assert.match(first.agent_id, /^[0-9a-f-]{36}$/);
  await lab.ks.revokeToken((await credentials.token())!);
  await sleep(CACHE_S * 1000 + 300);
  // The server refuses the revoked token (401); the client takes a new one and the report goes through.
  assert.equal((await client.reportState({ ...report, start_flag: false })).agent_id, first.agent_id);
  const wrong = new ServerClient({
    url: s.url,
    host: "h2",
    credentials: keystoneCredentials({
      authUrl: lab.ks.url,
      username: "weir-agent",
      password: "wrong",
      projectName: "service",
      userDomainName: "Default",
      projectDomainName: "Default",
    }),
  });
  await assert.rejects(wrong.reportState(report), /refused the password of weir-agent/);
});

test("a service token must carry the service role; a system-scoped token is refused (project scope only)", async (t) => {
  const s = await server(t);
  const alice = await tokenOf("alice", "p1");
  const withService = (service: string) =>
    fetch(`${s.url}/v2.0/networks`, { headers: { "x-auth-token": alice, "x-service-token": service } });
  assert.equal((await withService(await tokenOf("weir-agent", "service"))).status, 200, "a service's token");
  assert.equal((await withService(await tokenOf("bob", "p2"))).status, 401, "a member's is no service token");
  assert.equal((await withService("gAAAAABforged")).status, 401);
  const system = await lab.ks.token("admin", lab.ks.adminPassword, "system");
  const refused = await s.api("GET", "/v2.0/networks", undefined, system);
  assert.equal(refused.status, 403);
  assert.match(refused.body.NeutronError.message, /project-scoped token/);
});
