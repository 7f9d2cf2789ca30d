// The policy's pure parts: oslo.policy's rule language, Neutron's defaults as a matrix of callers and
// objects, overrides by rule name, and policy files.
import assert from "node:assert/strict";
import { test } from "node:test";
import { callerOf, Policy, PolicyError, parsePolicyText, parseRule } from "../../src/server/internal.ts";

const P1 = "11111111111111111111111111111111";
const P2 = "22222222222222222222222222222222";
const admin = callerOf(P1, ["admin", "manager", "member", "reader"], "u-admin", false);
const member1 = callerOf(P1, ["member", "reader"], "u1", false);
const reader1 = callerOf(P1, ["reader"], "u3", false);
const member2 = callerOf(P2, ["member", "reader"], "u2", false);
const nova = callerOf(P2, ["service"], "nova", false);
const noRole = callerOf(P1, [], "u4", false);

test("the rule language: and, or, not, parentheses, role, rule, field and credential checks", () => {
  const policy = Policy.default;
  assert.deepEqual(parseRule("role:admin or (role:member and project_id:%(project_id)s)"), {
    kind: "or",
    parts: [
      { kind: "role", role: "admin" },
      {
        kind: "and",
        parts: [
          { kind: "role", role: "member" },
          { kind: "generic", key: "project_id", value: "project_id", target: true },
        ],
      },
    ],
  });
  assert.deepEqual(parseRule("not (@)"), { kind: "not", expr: { kind: "true" } });
  assert.deepEqual(parseRule(""), { kind: "true" }, "an empty rule always passes, as in oslo.policy");
  for (const bad of ["role:admin or", "(role:admin", "role:admin)", "and role:admin", "admin"])
    assert.throws(() => parseRule(bad), Error, bad);
  assert.ok(policy.allows("get_network", member1, { project_id: P2, shared: true }), "a shared network");
  assert.ok(!policy.allows("get_network", member1, { project_id: P2, shared: false }));
  assert.ok(
    policy.allows("get_subnet", member1, { project_id: P2, "network:shared": true }),
    "its network's",
  );
});

test("Neutron's defaults: who may read, change and delete another project's objects (a matrix)", () => {
  const policy = Policy.default;
  const own = { project_id: P1, shared: false };
  const other = { project_id: P2, shared: false };
  const cases: [string, ReturnType<typeof callerOf>, Record<string, unknown>, boolean][] = [
    ["get_network", admin, other, true],
    ["get_network", member1, own, true],
    ["get_network", reader1, own, true],
    ["get_network", member1, other, false],
    ["get_network", noRole, own, false],
    ["update_network", member1, own, true],
    ["update_network", reader1, own, false],
    ["update_network", member1, other, false],
    ["delete_network", member2, other, true],
    ["create_network:shared", member1, own, false],
    ["create_network:shared", admin, own, true],
    ["get_network:provider:network_type", member1, own, false],
    ["get_network:provider:network_type", admin, own, true],
    ["get_port:binding:vif_details", member1, own, false],
    ["get_port:binding:vif_details", nova, other, true],
    ["create_port:binding:host_id", nova, own, true],
    ["create_port:binding:host_id", member1, own, false],
    ["create_port:binding:profile", admin, own, false],
    ["create_port:binding:profile", nova, own, true],
    ["create_subnet", member1, { project_id: P1, "network:project_id": P2 }, false],
    ["create_subnet", member1, { project_id: P1, "network:project_id": P1 }, true],
    ["get_port", member1, { project_id: P2, "network:project_id": P1 }, true],
    ["create_policy", member1, own, false],
    ["get_policy", member1, { project_id: P2, shared: true }, true],
    ["get_policy", member1, { project_id: P2, shared: false }, false],
    ["update_quota", member1, own, false],
    ["get_quota", reader1, own, true],
    ["get_quota", reader1, other, false],
    ["get_agent", member1, own, false],
    ["create_security_group_rule", member1, { project_id: P1, "security_group:project_id": P2 }, false],
    ["get_rule_type", noRole, {}, true],
  ];
  const wrong = cases
    .filter(([action, caller, target, want]) => policy.allows(action, caller, target) !== want)
    .map(
      ([action, caller, target, want]) =>
        `${action} by ${[...caller.roles]} of ${caller.projectId.slice(0, 2)} on ${JSON.stringify(target)}: want ${want}`,
    );
  assert.deepEqual(wrong, []);
});

test("404 for what the caller may not see, 403 for what it sees but may not change; hidden attributes", () => {
  const policy = Policy.default;
  const hidden = () => Object.assign(new Error("hidden"), { status: 404 });
  const updating = (shared: boolean) => () =>
    policy.authorize("update_network", "get_network", member1, { project_id: P2, shared }, hidden as never);
  assert.throws(updating(false), /hidden/, "another project's network: not found");
  assert.throws(updating(true), (e: { status?: number }) => e.status === 403, "a shared one: forbidden");
  const view = { id: "n", "provider:network_type": "vxlan", "provider:segmentation_id": 5, name: "x" };
  assert.deepEqual(Object.keys(policy.visibleView("network", view, member1, { project_id: P1 })), [
    "id",
    "name",
  ]);
  assert.equal(
    policy.visibleView("network", view, admin, { project_id: P1 }),
    view,
    "an admin's view untouched",
  );
  assert.deepEqual(
    policy.deniedAttributes("create_network", ["name", "shared", "provider:network_type"], member1, {
      project_id: P1,
    }),
    ["create_network:shared", "create_network:provider:network_type"],
  );
});

test("overrides by Neutron's rule names; an unknown name or a malformed rule names the file and the rule", () => {
  const strict = Policy.build({ create_network: "role:admin" }, "policy.yaml");
  assert.ok(!strict.allows("create_network", member1, { project_id: P1 }));
  assert.ok(Policy.default.allows("create_network", member1, { project_id: P1 }));
  assert.throws(
    () => Policy.build({ create_netwrk: "role:admin" }, "policy.yaml"),
    /policy.yaml: "create_netwrk" is not a rule/,
  );
  assert.throws(
    () => Policy.build({ create_network: "role:admin or" }, "policy.yaml"),
    /policy.yaml: rule "create_network"/,
  );
  assert.ok(PolicyError);
});

test("policy files: YAML lines with colons in names, comments, quotes; JSON; anything else refused by line", () => {
  const text = [
    "# Weir",
    '"create_network:shared": "role:admin"',
    "create_network:router:external: role:admin or role:service  # a comment",
    "get_network: ''",
    "",
  ].join("\n");
  assert.deepEqual(parsePolicyText(text, "p.yaml"), {
    "create_network:shared": "role:admin",
    "create_network:router:external": "role:admin or role:service",
    get_network: "",
  });
  assert.deepEqual(parsePolicyText('{"get_network": "@"}', "p.json"), { get_network: "@" });
  assert.throws(() => parsePolicyText("a: x\n  b: y\n", "p.yaml"), /p.yaml:2:/);
  assert.throws(() => parsePolicyText("a: [1]\n", "p.yaml"), /p.yaml:1: only plain or quoted strings/);
  assert.throws(() => parsePolicyText("a: x\na: y\n", "p.yaml"), /p.yaml:2: rule "a" is given twice/);
  assert.throws(() => parsePolicyText("{", "p.json"), /p.json: not valid JSON/);
});
