// The QoS API (Neutron's qos, qos-default, qos-bw-limit-direction, qos-rule-type-details), run against each
// storage backend (server-api-*.test.ts). Messages are compared whole: clients show them as they come.
import assert from "node:assert/strict";
import { test } from "node:test";
import { network, port } from "./api-suite.ts";
import { type Backend, startServer, type TestServer } from "./server.ts";

const PROJECT = "00000000000000000000000000000001";
const MISSING = "00000000-0000-0000-0000-00000000dead";

export function error(r: { status: number; body: any }, status: number, type: string, message: string) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.deepEqual(r.body, { NeutronError: { type, message, detail: "" } });
}

export async function policy(s: TestServer, body: object = {}) {
  const r = await s.api("POST", "/v2.0/qos/policies", { policy: { name: "pol", ...body } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.policy;
}

export async function rule(s: TestServer, policyId: string, type: string, body: object) {
  const r = await s.api("POST", `/v2.0/qos/policies/${policyId}/${type}_rules`, { [`${type}_rule`]: body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body[`${type}_rule`];
}

const show = async (s: TestServer, id: string) =>
  (await s.api("GET", `/v2.0/qos/policies/${id}`)).body.policy;

export function defineQosSuite(backend: Backend): void {
  const b = backend.kind;

  test(`[${b}] QoS policies: create with Neutron's defaults, show, list with filters and pages, update, delete`, async (t) => {
    const s = await startServer(t, backend);
    const created = await s.api("POST", "/v2.0/qos/policies", { policy: { name: "gold" } });
    assert.equal(created.status, 201);
    const gold = created.body.policy;
    assert.match(gold.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(
      { ...gold, id: undefined, created_at: undefined, updated_at: undefined },
      {
        id: undefined,
        project_id: PROJECT,
        tenant_id: PROJECT,
        name: "gold",
        description: "",
        shared: false,
        is_default: false,
        revision_number: 1,
        created_at: undefined,
        updated_at: undefined,
        tags: [],
        rules: [],
      },
    );
    assert.match(gold.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const silver = await policy(s, { name: "silver", description: "second", shared: "true" });
    assert.equal(silver.shared, true, "convert_to_boolean takes 'true'");
    const bronze = await policy(s, { name: "bronze", shared: false });
    assert.deepEqual(await show(s, gold.id), gold);

    const names = async (query: string) =>
      (await s.api("GET", `/v2.0/qos/policies${query}`)).body.policies.map((p: any) => p.name);
    assert.deepEqual(await names("?name=silver"), ["silver"]);
    assert.deepEqual(await names("?shared=True"), ["silver"], "boolean filters convert as Neutron does");
    assert.deepEqual(await names("?shared=0&sort_key=name"), ["bronze", "gold"]);
    assert.deepEqual(await names("?sort_key=name&sort_dir=desc"), ["silver", "gold", "bronze"]);
    const fields = (await s.api("GET", "/v2.0/qos/policies?fields=id&fields=name")).body.policies;
    assert.deepEqual(Object.keys(fields[0]).sort(), ["id", "name"]);
    const page = await s.api("GET", "/v2.0/qos/policies?limit=2&sort_key=name");
    assert.deepEqual(
      page.body.policies.map((p: any) => p.name),
      ["bronze", "gold"],
    );
    const next = page.body.policies_links.find((l: any) => l.rel === "next").href as string;
    assert.match(next, /\/v2\.0\/qos\/policies\?/);
    assert.deepEqual(
      (await s.api("GET", next.slice(next.indexOf("/v2.0")))).body.policies.map((p: any) => p.name),
      ["silver"],
    );

    const updated = await s.api("PUT", `/v2.0/qos/policies/${gold.id}`, {
      policy: { name: "platinum", description: "best", shared: true },
    });
    assert.equal(updated.status, 200);
    assert.deepEqual(
      [updated.body.policy.name, updated.body.policy.description, updated.body.policy.shared],
      ["platinum", "best", true],
    );
    assert.equal(updated.body.policy.revision_number, 2);
    assert.equal((await s.api("DELETE", `/v2.0/qos/policies/${bronze.id}`)).status, 204);
    error(
      await s.api("GET", `/v2.0/qos/policies/${bronze.id}`),
      404,
      "QosPolicyNotFound",
      `QoS policy ${bronze.id} could not be found.`,
    );
    // The id in the path is not checked as a UUID: openstackclient's lookup by name relies on this 404.
    error(
      await s.api("GET", "/v2.0/qos/policies/silver"),
      404,
      "QosPolicyNotFound",
      "QoS policy silver could not be found.",
    );
    error(
      await s.api("DELETE", `/v2.0/qos/policies/${MISSING}`),
      404,
      "QosPolicyNotFound",
      `QoS policy ${MISSING} could not be found.`,
    );
  });

  test(`[${b}] QoS policy bodies are checked as Neutron checks them, and a refused one stores nothing`, async (t) => {
    const s = await startServer(t, backend);
    const post = (body: unknown) => s.api("POST", "/v2.0/qos/policies", body);
    const bad = (message: string) => ["HTTPBadRequest", message] as const;
    const cases: [unknown, number, string, string][] = [
      [{ policy: { name: "x", color: "red" } }, 400, ...bad("Unrecognized attribute(s) 'color'")],
      [
        { policy: { name: "x", rules: [{ type: "dscp_marking", dscp_mark: 26 }] } },
        400,
        ...bad("Attribute 'rules' not allowed in POST"),
      ],
      [{ policy: { id: MISSING } }, 400, ...bad("Attribute 'id' not allowed in POST")],
      [{ policy: { revision_number: 4 } }, 400, ...bad("Attribute 'revision_number' not allowed in POST")],
      [
        { policy: { name: "x".repeat(256) } },
        400,
        ...bad(`Invalid input for name. Reason: '${"x".repeat(256)}' exceeds maximum length of 255.`),
      ],
      [
        { policy: { name: " padded" } },
        400,
        ...bad("Invalid input for name. Reason: ' padded' is not a valid string."),
      ],
      [{ policy: { name: 7 } }, 400, ...bad("Invalid input for name. Reason: '7' is not a valid string.")],
      [
        { policy: { shared: "maybe" } },
        400,
        "InvalidInput",
        "Invalid input for operation: 'maybe' cannot be converted to boolean.",
      ],
      [
        { policy: { is_default: null } },
        400,
        "InvalidInput",
        "Invalid input for operation: 'None' cannot be converted to boolean.",
      ],
      [
        { policy: { tenant_id: "a", project_id: "b" } },
        400,
        ...bad("'project_id' and 'tenant_id' do not match"),
      ],
      [{ qos_policy: { name: "x" } }, 400, ...bad("Unable to find 'policy' in request body")],
      [{ policy: "x" }, 400, ...bad("Object 'policy' contains invalid data")],
      [{}, 400, ...bad("Resource body required")],
      [{ policies: [{ name: "x" }] }, 400, ...bad("Bulk operation not supported")],
    ];
    for (const [body, status, type, message] of cases) error(await post(body), status, type, message);
    assert.deepEqual((await s.api("GET", "/v2.0/qos/policies")).body.policies, [], "nothing was stored");

    const p = await policy(s);
    const put = (body: object) => s.api("PUT", `/v2.0/qos/policies/${p.id}`, { policy: body });
    error(await put({ tenant_id: "x" }), 400, ...bad("Cannot update read-only attribute tenant_id"));
    error(await put({ created_at: "x" }), 400, ...bad("Cannot update read-only attribute created_at"));
    error(await put({ rules: [] }), 400, ...bad("Cannot update read-only attribute rules"));
    assert.equal((await show(s, p.id)).revision_number, 1, "refused updates change nothing");
    // An admin may create a policy for another project.
    const other = await policy(s, { project_id: "other-project" });
    assert.deepEqual([other.project_id, other.tenant_id], ["other-project", "other-project"]);
  });

  test(`[${b}] QoS rules: bandwidth limits per direction and one DSCP mark, with Neutron's conversions and errors`, async (t) => {
    const s = await startServer(t, backend);
    const p = await policy(s);
    const bw = `/v2.0/qos/policies/${p.id}/bandwidth_limit_rules`;
    const dscp = `/v2.0/qos/policies/${p.id}/dscp_marking_rules`;
    // openstackclient sends integers as they were typed; Neutron's convert_to_int takes strings.
    const egress = await rule(s, p.id, "bandwidth_limit", { max_kbps: "10000" });
    assert.deepEqual(Object.keys(egress).sort(), ["direction", "id", "max_burst_kbps", "max_kbps"]);
    assert.deepEqual(
      [egress.max_kbps, egress.max_burst_kbps, egress.direction],
      [10000, 0, "egress"],
      "max_burst_kbps defaults to 0, direction to egress",
    );
    const ingress = await rule(s, p.id, "bandwidth_limit", {
      max_kbps: 5000,
      max_burst_kbps: 400,
      direction: "ingress",
    });
    const mark = await rule(s, p.id, "dscp_marking", { dscp_mark: 26 });
    assert.deepEqual(mark, { id: mark.id, dscp_mark: 26 });

    error(
      await s.api("POST", bw, { bandwidth_limit_rule: { max_kbps: 1 } }),
      409,
      "QoSRulesConflict",
      `Rule bandwidth_limit conflicts with rule ${egress.id} which already exists in QoS Policy ${p.id}.`,
    );
    error(
      await s.api("POST", dscp, { dscp_marking_rule: { dscp_mark: 10 } }),
      409,
      "QoSRulesConflict",
      `Rule dscp_marking conflicts with rule ${mark.id} which already exists in QoS Policy ${p.id}.`,
    );
    error(
      await s.api("PUT", `${bw}/${ingress.id}`, { bandwidth_limit_rule: { direction: "egress" } }),
      409,
      "QoSRulesConflict",
      `Rule bandwidth_limit conflicts with rule ${egress.id} which already exists in QoS Policy ${p.id}.`,
    );

    const invalid: [string, object, string, string][] = [
      [
        dscp,
        { dscp_marking_rule: { dscp_mark: 27 } },
        "HTTPBadRequest",
        "Invalid input for dscp_mark. Reason: 27 is not in valid_values.",
      ],
      [
        dscp,
        { dscp_marking_rule: { dscp_mark: "26x" } },
        "InvalidInput",
        "Invalid input for operation: '26x' is not an integer.",
      ],
      [
        dscp,
        { dscp_marking_rule: {} },
        "HTTPBadRequest",
        "Failed to parse request. Required attribute 'dscp_mark' not specified",
      ],
      [
        bw,
        { bandwidth_limit_rule: { max_kbps: -1 } },
        "HTTPBadRequest",
        "Invalid input for max_kbps. Reason: '-1' is too small - must be at least '0'.",
      ],
      [
        bw,
        { bandwidth_limit_rule: { max_kbps: 2147483648 } },
        "HTTPBadRequest",
        "Invalid input for max_kbps. Reason: '2147483648' is too large - must be no larger than '2147483647'.",
      ],
      [
        bw,
        { bandwidth_limit_rule: { max_kbps: 1, max_burst_kbps: "-5" } },
        "HTTPBadRequest",
        "Invalid input for max_burst_kbps. Reason: '-5' is too small - must be at least '0'.",
      ],
      [
        bw,
        { bandwidth_limit_rule: { max_kbps: 1, max_burst_kbps: null } },
        "InvalidInput",
        "Invalid input for operation: 'None' is not an integer.",
      ],
      [
        bw,
        { bandwidth_limit_rule: { max_kbps: 1, direction: "up" } },
        "HTTPBadRequest",
        "Invalid input for direction. Reason: up is not in valid_values.",
      ],
      [
        bw,
        { bandwidth_limit_rule: { max_burst_kbps: 1 } },
        "HTTPBadRequest",
        "Failed to parse request. Required attribute 'max_kbps' not specified",
      ],
      [
        bw,
        { bandwidth_limit_rule: { max_kbps: 1, min_kbps: 1 } },
        "HTTPBadRequest",
        "Unrecognized attribute(s) 'min_kbps'",
      ],
      [
        bw,
        { bandwidth_limit_rule: { max_kbps: 1, id: MISSING } },
        "HTTPBadRequest",
        "Attribute 'id' not allowed in POST",
      ],
      [
        bw,
        { bandwidth_limit_rule: { max_kbps: 1, tenant_id: PROJECT } },
        "HTTPBadRequest",
        "Unrecognized attribute(s) 'tenant_id, project_id'",
      ],
    ];
    for (const [path, body, type, message] of invalid)
      error(await s.api("POST", path, body), 400, type, message);
    error(
      await s.api("PUT", `${bw}/${egress.id}`, { bandwidth_limit_rule: { id: MISSING } }),
      400,
      "HTTPBadRequest",
      "Cannot update read-only attribute id",
    );

    // The policy shows every rule whole (openstackclient's rule list reads them there), bandwidth limits first.
    const shown = await show(s, p.id);
    assert.deepEqual(shown.rules, [
      ...[egress, ingress]
        .sort((x, y) => (x.id < y.id ? -1 : 1))
        .map((r) => ({
          id: r.id,
          qos_policy_id: p.id,
          type: "bandwidth_limit",
          max_kbps: r.max_kbps,
          max_burst_kbps: r.max_burst_kbps,
          direction: r.direction,
        })),
      { id: mark.id, qos_policy_id: p.id, type: "dscp_marking", dscp_mark: 26 },
    ]);
    assert.equal(shown.revision_number, 4, "each rule created bumps the policy's revision; refusals do not");

    const listed = (await s.api("GET", bw)).body.bandwidth_limit_rules;
    assert.deepEqual(listed.map((r: any) => r.id).sort(), [egress.id, ingress.id].sort());
    assert.deepEqual((await s.api("GET", `${bw}?direction=ingress`)).body.bandwidth_limit_rules, [ingress]);
    assert.deepEqual((await s.api("GET", `${bw}/${ingress.id}`)).body.bandwidth_limit_rule, ingress);
    const changed = await s.api("PUT", `${bw}/${egress.id}`, {
      bandwidth_limit_rule: { max_kbps: "20000", max_burst_kbps: 2000 },
    });
    assert.deepEqual(changed.body.bandwidth_limit_rule, {
      id: egress.id,
      max_kbps: 20000,
      max_burst_kbps: 2000,
      direction: "egress",
    });
    const remarked = await s.api("PUT", `${dscp}/${mark.id}`, { dscp_marking_rule: { dscp_mark: "46" } });
    assert.deepEqual(remarked.body.dscp_marking_rule, { id: mark.id, dscp_mark: 46 });
    // A rule is found under its own type only.
    error(
      await s.api("GET", `${bw}/${mark.id}`),
      404,
      "QosRuleNotFound",
      `QoS rule ${mark.id} for policy ${p.id} could not be found.`,
    );
    assert.equal((await s.api("DELETE", `${bw}/${ingress.id}`)).status, 204);
    error(
      await s.api("DELETE", `${bw}/${ingress.id}`),
      404,
      "QosRuleNotFound",
      `QoS rule ${ingress.id} for policy ${p.id} could not be found.`,
    );
    error(
      await s.api("POST", `/v2.0/qos/policies/${MISSING}/dscp_marking_rules`, {
        dscp_marking_rule: { dscp_mark: 0 },
      }),
      404,
      "QosPolicyNotFound",
      `QoS policy ${MISSING} could not be found.`,
    );
    // An ingress limit may come back once the old one is gone.
    await rule(s, p.id, "bandwidth_limit", { max_kbps: 1, direction: "ingress" });
    assert.equal((await show(s, p.id)).rules.length, 3);
  });

  test(`[${b}] is_default: one per project (409), and new networks without a policy get their project's`, async (t) => {
    const s = await startServer(t, backend);
    const plain = await policy(s, { name: "plain" });
    const noDefaultNet = await network(s);
    assert.equal(noDefaultNet.qos_policy_id, null);
    const def = await policy(s, { name: "default", is_default: true });
    assert.equal(def.is_default, true);
    error(
      await s.api("POST", "/v2.0/qos/policies", { policy: { name: "second", is_default: true } }),
      409,
      "QoSPolicyDefaultAlreadyExists",
      `A default QoS policy exists for project ${PROJECT}.`,
    );
    assert.equal(
      (await s.api("GET", "/v2.0/qos/policies?name=second")).body.policies.length,
      0,
      "the refused policy was not stored",
    );
    error(
      await s.api("PUT", `/v2.0/qos/policies/${plain.id}`, { policy: { is_default: true } }),
      409,
      "QoSPolicyDefaultAlreadyExists",
      `A default QoS policy exists for project ${PROJECT}.`,
    );
    assert.equal(
      (await s.api("PUT", `/v2.0/qos/policies/${def.id}`, { policy: { is_default: true } })).status,
      200,
      "setting the default again is a no-op",
    );
    const elsewhere = await policy(s, { name: "other-default", is_default: true, project_id: "p2" });
    assert.equal(elsewhere.is_default, true, "another project has its own default");

    assert.equal((await network(s)).qos_policy_id, def.id);
    assert.equal(
      (await network(s, { qos_policy_id: null })).qos_policy_id,
      def.id,
      "null is falsy: the default",
    );
    assert.equal((await network(s, { qos_policy_id: plain.id })).qos_policy_id, plain.id);
    assert.equal((await network(s, { project_id: "p2" })).qos_policy_id, elsewhere.id);
    assert.equal((await s.api("GET", `/v2.0/networks/${noDefaultNet.id}`)).body.network.qos_policy_id, null);
    assert.deepEqual(
      (await s.api("GET", "/v2.0/qos/policies?is_default=true&sort_key=name")).body.policies.map(
        (p: any) => p.name,
      ),
      ["default", "other-default"],
    );

    const unset = await s.api("PUT", `/v2.0/qos/policies/${def.id}`, { policy: { is_default: false } });
    assert.equal(unset.body.policy.is_default, false);
    assert.equal((await network(s)).qos_policy_id, null);
    assert.equal(
      (await s.api("PUT", `/v2.0/qos/policies/${plain.id}`, { policy: { is_default: "yes" } })).status,
      200,
    );
  });

  test(`[${b}] qos_policy_id on ports and networks: validated, shown, inherited, cleared; a policy in use is not deleted`, async (t) => {
    const s = await startServer(t, backend);
    const p = await policy(s, { name: "vm" });
    const q = await policy(s, { name: "net" });
    const n = await network(s, { qos_policy_id: q.id });
    assert.equal(n.qos_policy_id, q.id);
    error(
      await s.api("POST", "/v2.0/ports", { port: { network_id: n.id, qos_policy_id: MISSING } }),
      404,
      "QosPolicyNotFound",
      `QoS policy ${MISSING} could not be found.`,
    );
    error(
      await s.api("POST", "/v2.0/ports", { port: { network_id: n.id, qos_policy_id: "gold" } }),
      400,
      "HTTPBadRequest",
      "Invalid input for qos_policy_id. Reason: 'gold' is not a valid UUID.",
    );
    error(
      await s.api("POST", "/v2.0/networks", { network: { qos_policy_id: MISSING } }),
      404,
      "QosPolicyNotFound",
      `QoS policy ${MISSING} could not be found.`,
    );
    assert.equal(
      (await s.api("GET", `/v2.0/ports?network_id=${n.id}`)).body.ports.length,
      0,
      "refused ports were not stored",
    );

    const inherits = await port(s, n.id);
    assert.deepEqual([inherits.qos_policy_id, inherits.qos_network_policy_id], [null, q.id]);
    const own = await port(s, n.id, { qos_policy_id: p.id });
    assert.deepEqual([own.qos_policy_id, own.qos_network_policy_id], [p.id, q.id]);
    const dhcp = await port(s, n.id, { device_owner: "network:dhcp" });
    assert.equal(dhcp.qos_network_policy_id, q.id, "shown for every port, whatever its device_owner");
    const listed = (await s.api("GET", `/v2.0/ports?qos_policy_id=${p.id}`)).body.ports;
    assert.deepEqual(
      listed.map((x: any) => x.id),
      [own.id],
    );

    error(
      await s.api("DELETE", `/v2.0/qos/policies/${p.id}`),
      409,
      "QosPolicyInUse",
      `QoS Policy ${p.id} is used by port ${own.id}.`,
    );
    error(
      await s.api("DELETE", `/v2.0/qos/policies/${q.id}`),
      409,
      "QosPolicyInUse",
      `QoS Policy ${q.id} is used by network ${n.id}.`,
    );
    // openstackclient's `port unset --qos-policy` sends null.
    const cleared = await s.api("PUT", `/v2.0/ports/${own.id}`, { port: { qos_policy_id: null } });
    assert.deepEqual(
      [cleared.body.port.qos_policy_id, cleared.body.port.qos_network_policy_id],
      [null, q.id],
    );
    assert.equal((await s.api("DELETE", `/v2.0/qos/policies/${p.id}`)).status, 204);
    const moved = await s.api("PUT", `/v2.0/networks/${n.id}`, { network: { qos_policy_id: null } });
    assert.equal(moved.body.network.qos_policy_id, null);
    assert.equal((await s.api("GET", `/v2.0/ports/${inherits.id}`)).body.port.qos_network_policy_id, null);
    assert.equal((await s.api("DELETE", `/v2.0/qos/policies/${q.id}`)).status, 204);
  });

  test(`[${b}] rule types and extensions: what the openvswitch driver supports, as Neutron reports it`, async (t) => {
    const s = await startServer(t, backend);
    assert.deepEqual((await s.api("GET", "/v2.0/qos/rule-types")).body, {
      rule_types: [{ type: "bandwidth_limit" }, { type: "dscp_marking" }],
    });
    assert.equal((await s.api("GET", "/v2.0/qos/rule-types?all_rules=True")).body.rule_types.length, 5);
    assert.deepEqual((await s.api("GET", "/v2.0/qos/rule-types/bandwidth_limit")).body, {
      rule_type: {
        type: "bandwidth_limit",
        drivers: [
          {
            name: "openvswitch",
            supported_parameters: [
              {
                parameter_name: "max_kbps",
                parameter_type: "range",
                parameter_values: { start: 0, end: 2147483647 },
              },
              {
                parameter_name: "max_burst_kbps",
                parameter_type: "range",
                parameter_values: { start: 0, end: 2147483647 },
              },
              {
                parameter_name: "direction",
                parameter_type: "choices",
                parameter_values: ["ingress", "egress"],
              },
            ],
          },
        ],
      },
    });
    assert.deepEqual((await s.api("GET", "/v2.0/qos/rule-types/dscp_marking")).body.rule_type.drivers, [
      {
        name: "openvswitch",
        supported_parameters: [
          {
            parameter_name: "dscp_mark",
            parameter_type: "choices",
            parameter_values: [
              0, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 44, 46, 48, 56,
            ],
          },
        ],
      },
    ]);
    assert.deepEqual(
      (await s.api("GET", "/v2.0/qos/rule-types/minimum_bandwidth")).body.rule_type.drivers,
      [],
    );
    assert.equal((await s.api("GET", "/v2.0/qos/rule-types/nonsense")).status, 404);

    const extensions = (await s.api("GET", "/v2.0/extensions")).body.extensions;
    const byAlias = new Map(extensions.map((e: any) => [e.alias, e]));
    assert.deepEqual(
      ["qos", "qos-bw-limit-direction", "qos-default", "qos-rule-type-details"].map((a) => {
        const e: any = byAlias.get(a);
        return [a, e?.name, e?.description];
      }),
      [
        ["qos", "Quality of Service", "The Quality of Service extension."],
        [
          "qos-bw-limit-direction",
          "Direction for QoS bandwidth limit rule",
          "Allow to configure QoS bandwidth limit rule with specific direction: ingress or egress",
        ],
        ["qos-default", "QoS default policy", "Expose the QoS default policy per project"],
        [
          "qos-rule-type-details",
          "Details of QoS rule types",
          "Expose details about QoS rule types supported by loaded backend drivers",
        ],
      ],
    );
    assert.equal((await s.api("GET", "/v2.0/extensions/qos")).status, 200);
    // Neutron's /v2.0 lists core resources only: QoS policies are not among them.
    assert.ok(!(await s.api("GET", "/v2.0/")).body.resources.some((r: any) => r.name === "qos_policy"));
  });
}
