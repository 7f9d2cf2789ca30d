/**
 * What a caller may do, by Neutron's rule names: the defaults of policy-defaults.ts with an operator's
 * overrides (policy-file.ts), compiled once. A route asks `allows(action, caller, target)`; for an object
 * that exists, `authorize` answers as Neutron does — 404 when the caller may not even see it (so that
 * existence is not leaked), 403 when it may see it but not do this — and `visibleView` removes the
 * attributes the caller may not read (`get_<resource>:<attribute>` rules: provider and binding details).
 */
import { ApiError } from "../api-errors.ts";
import type { Caller } from "../services/context.ts";
import { DEFAULT_RULES } from "./policy-defaults.ts";
import { type Expr, evaluate, PolicySyntaxError, parseRule } from "./policy-language.ts";

export class PolicyError extends Error {}

export type Target = Readonly<Record<string, unknown>>;

export class Policy {
  readonly #rules: ReadonlyMap<string, Expr>;
  readonly #readRulesBy = new Map<string, readonly (readonly [string, string])[]>();

  private constructor(rules: ReadonlyMap<string, Expr>) {
    this.#rules = rules;
  }

  /** The defaults with `overrides` (rule name → rule text) from `source`; an unknown name or bad rule throws. */
  static build(overrides: Readonly<Record<string, string>> = {}, source = "the policy file"): Policy {
    const rules = new Map<string, Expr>();
    const compile = (name: string, text: string, from: string) => {
      try {
        rules.set(name, parseRule(text));
      } catch (error) {
        if (error instanceof PolicySyntaxError)
          throw new PolicyError(
            `${from}: rule ${JSON.stringify(name)}: ${error.message} in ${JSON.stringify(text)}`,
          );
        throw error;
      }
    };
    for (const [name, text] of Object.entries(DEFAULT_RULES)) compile(name, text, "the default policy");
    for (const [name, text] of Object.entries(overrides)) {
      if (!(name in DEFAULT_RULES))
        throw new PolicyError(
          `${source}: ${JSON.stringify(name)} is not a rule of this server (rule names are Neutron's, e.g. create_network:shared)`,
        );
      compile(name, text, source);
    }
    return new Policy(rules);
  }

  static readonly default: Policy = Policy.build();

  allows(action: string, caller: Caller, target: Target): boolean {
    const rule = this.#rules.get(action);
    // An action without a rule of its own falls to Neutron's "default" (admin or owner).
    const expr = rule ?? this.#rules.get("admin_or_owner")!;
    return evaluate(expr, inputOf(caller, target), (name) => this.#rules.get(name));
  }

  /** Throws 403 unless `action` is allowed (for creates, and actions on objects the caller surely sees). */
  require(action: string, caller: Caller, target: Target): void {
    if (!this.allows(action, caller, target)) throw denied(action);
  }

  /**
   * For an action on an existing object: 404 (from `hidden`) when the caller may not `see` it, 403 when
   * it may see it but not do `action`.
   */
  authorize(action: string, see: string, caller: Caller, target: Target, hidden: () => ApiError): void {
    if (this.allows(action, caller, target)) return;
    if (!this.allows(see, caller, target)) throw hidden();
    throw denied(action);
  }

  /** The view without the attributes whose `get_<resource>:<attr>` rule the caller does not pass. */
  visibleView<V extends Record<string, unknown>>(
    resource: string,
    view: V,
    caller: Caller,
    target: Target,
  ): V {
    let out: Record<string, unknown> | undefined;
    for (const [key, rule] of this.#readRules(resource)) {
      if (!(key in view) || this.allows(rule, caller, target)) continue;
      out ??= { ...view };
      delete out[key];
    }
    return (out ?? view) as V;
  }

  /** A resource's attribute read rules (get_port:binding:host_id → [binding:host_id, rule]), found once. */
  #readRules(resource: string): readonly (readonly [string, string])[] {
    let found = this.#readRulesBy.get(resource);
    if (found === undefined) {
      const prefix = `get_${resource}:`;
      found = [...this.#rules.keys()]
        .filter((r) => r.startsWith(prefix))
        .map((r) => [r.slice(prefix.length), r] as const);
      this.#readRulesBy.set(resource, found);
    }
    return found;
  }

  /** Attributes given in a create or update body that the caller may not set (`<action>:<attr>`). */
  deniedAttributes(action: string, given: Iterable<string>, caller: Caller, target: Target): string[] {
    const out: string[] = [];
    for (const attr of given) {
      const rule = `${action}:${attr}`;
      if (this.#rules.has(rule) && !this.allows(rule, caller, target)) out.push(rule);
    }
    return out;
  }
}

const denied = (action: string) =>
  new ApiError(403, "PolicyNotAuthorized", `(rule:${action}) is disallowed by policy`);

function inputOf(caller: Caller, target: Target) {
  return {
    roles: caller.roles,
    credentials: { project_id: caller.projectId, tenant_id: caller.projectId, user_id: caller.userId },
    target: { tenant_id: target.project_id, ...target },
  };
}
