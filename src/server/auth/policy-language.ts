/**
 * oslo.policy's rule language, as Neutron's defaults and operators' policy files write it: checks joined
 * by `and`, `or`, `not` and parentheses. A check is `@` (always), `!` (never), `rule:NAME` (another
 * rule), `role:NAME` (the caller has the role), `field:RESOURCE:ATTR=VALUE` (the target's attribute), or
 * `KEY:VALUE` comparing a credential (project_id, user_id, …) with a constant or with the target's
 * attribute `%(attr)s`. Parsed once at start-up; a malformed rule is an error naming it.
 */

export type Expr =
  | { readonly kind: "true" }
  | { readonly kind: "false" }
  | { readonly kind: "and" | "or"; readonly parts: readonly Expr[] }
  | { readonly kind: "not"; readonly expr: Expr }
  | { readonly kind: "rule"; readonly name: string }
  | { readonly kind: "role"; readonly role: string }
  | { readonly kind: "field"; readonly resource: string; readonly attr: string; readonly value: string }
  | { readonly kind: "generic"; readonly key: string; readonly value: string; readonly target: boolean };

/** What a check is evaluated against: the caller's credentials and the object acted on. */
export interface PolicyInput {
  readonly roles: ReadonlySet<string>;
  /** project_id, user_id and the like, as strings. */
  readonly credentials: Readonly<Record<string, string | undefined>>;
  /** The object's attributes, with its parents' as "network:project_id". */
  readonly target: Readonly<Record<string, unknown>>;
}

export class PolicySyntaxError extends Error {}

export function parseRule(text: string): Expr {
  const tokens = tokenize(text);
  if (tokens.length === 0) return { kind: "true" }; // oslo.policy: an empty rule always passes
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];

  const parseOr = (): Expr => {
    const parts = [parseAnd()];
    while (peek() === "or") {
      next();
      parts.push(parseAnd());
    }
    return parts.length === 1 ? parts[0]! : { kind: "or", parts };
  };
  const parseAnd = (): Expr => {
    const parts = [parseNot()];
    while (peek() === "and") {
      next();
      parts.push(parseNot());
    }
    return parts.length === 1 ? parts[0]! : { kind: "and", parts };
  };
  const parseNot = (): Expr => {
    if (peek() === "not") {
      next();
      return { kind: "not", expr: parseNot() };
    }
    return parseAtom();
  };
  const parseAtom = (): Expr => {
    const t = next();
    if (t === undefined) throw new PolicySyntaxError("ends where a check was expected");
    if (t === "(") {
      const inner = parseOr();
      if (next() !== ")") throw new PolicySyntaxError("a parenthesis is not closed");
      return inner;
    }
    if (t === ")" || t === "and" || t === "or")
      throw new PolicySyntaxError(`unexpected ${JSON.stringify(t)}`);
    return parseCheck(t);
  };

  const expr = parseOr();
  if (i < tokens.length) throw new PolicySyntaxError(`unexpected ${JSON.stringify(tokens[i])}`);
  return expr;
}

/** As oslo.policy: words split on white space, parentheses peeled off their fronts and ends (so that
 * `%(project_id)s` stays one word), `and`/`or`/`not` in any case. */
function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    let w = word;
    while (w.startsWith("(")) {
      out.push("(");
      w = w.slice(1);
    }
    let closing = 0;
    while (w.endsWith(")")) {
      closing++;
      w = w.slice(0, -1);
    }
    if (w !== "") out.push(/^(and|or|not)$/i.test(w) ? w.toLowerCase() : w);
    for (let i = 0; i < closing; i++) out.push(")");
  }
  return out;
}

function parseCheck(t: string): Expr {
  if (t === "@") return { kind: "true" };
  if (t === "!") return { kind: "false" };
  const colon = t.indexOf(":");
  if (colon <= 0) throw new PolicySyntaxError(`${JSON.stringify(t)} is not a check (KIND:VALUE, @ or !)`);
  const kind = t.slice(0, colon);
  const value = t.slice(colon + 1);
  if (kind === "rule") return { kind: "rule", name: value };
  if (kind === "role") return { kind: "role", role: value.toLowerCase() };
  if (kind === "field") {
    const m = /^([^:]+):(.+)=(.*)$/.exec(value);
    if (m === null)
      throw new PolicySyntaxError(`${JSON.stringify(t)}: a field check is field:RESOURCE:ATTR=VALUE`);
    return { kind: "field", resource: m[1]!, attr: m[2]!, value: m[3]! };
  }
  const target = /^%\((.+)\)s$/.exec(value);
  return target === null
    ? { kind: "generic", key: kind, value: unquote(value), target: false }
    : { kind: "generic", key: kind, value: target[1]!, target: true };
}

const unquote = (v: string) => (/^'.*'$/.test(v) || /^".*"$/.test(v) ? v.slice(1, -1) : v);

/** Evaluates `expr`; `rules` resolves rule:NAME (an unknown name fails closed, as in oslo.policy). */
export function evaluate(
  expr: Expr,
  input: PolicyInput,
  rules: (name: string) => Expr | undefined,
  depth = 0,
): boolean {
  if (depth > 50) return false; // a rule that names itself: never true
  switch (expr.kind) {
    case "true":
      return true;
    case "false":
      return false;
    case "and":
      return expr.parts.every((p) => evaluate(p, input, rules, depth));
    case "or":
      return expr.parts.some((p) => evaluate(p, input, rules, depth));
    case "not":
      return !evaluate(expr.expr, input, rules, depth);
    case "rule": {
      const named = rules(expr.name);
      return named !== undefined && evaluate(named, input, rules, depth + 1);
    }
    case "role":
      return input.roles.has(expr.role);
    case "field": {
      // field:networks:shared=True on a subnet or port reads its network's, given as "network:shared".
      const parent = `${expr.resource.replace(/s$/, "")}:${expr.attr}`;
      const value = parent in input.target ? input.target[parent] : input.target[expr.attr];
      return value !== undefined && stringOf(value) === expr.value;
    }
    case "generic": {
      const have = input.credentials[expr.key];
      if (have === undefined) return false;
      const want = expr.target ? input.target[expr.value] : expr.value;
      return want !== undefined && stringOf(want) === have;
    }
  }
}

/** Python's str() of the values a target holds (True/False for booleans, as rules write them). */
function stringOf(v: unknown): string {
  if (v === true) return "True";
  if (v === false) return "False";
  return String(v);
}
