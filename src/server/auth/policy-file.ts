/**
 * An oslo.policy file ([oslo_policy] policy_file): rule name → rule text, in YAML (the `name: "rule"`
 * lines oslopolicy-sample-generator writes, comments and blank lines between them) or in JSON. Anything
 * else — nesting, lists, a duplicate name — is an error naming the file and the line.
 */
import { readFileSync } from "node:fs";
import { describeError } from "../../base/index.ts";
import { PolicyError } from "./policy.ts";

export function readPolicyFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new PolicyError(`${path}: cannot read the policy file: ${describeError(error)}`);
  }
  return parsePolicyText(text, path);
}

export function parsePolicyText(text: string, path: string): Record<string, string> {
  if (text.trimStart().startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new PolicyError(`${path}: not valid JSON: ${describeError(error)}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new PolicyError(`${path}: a policy file is an object of rule names to rules`);
    const out: Record<string, string> = {};
    for (const [name, rule] of Object.entries(parsed)) {
      if (typeof rule !== "string")
        throw new PolicyError(`${path}: rule ${JSON.stringify(name)} is not a string`);
      out[name] = rule;
    }
    return out;
  }
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s+/, "");
    if (line === "" || line.startsWith("#") || line === "---") return;
    // A name runs to the first colon followed by a space or the end (names hold colons: a:b: "rule").
    const m = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^\s#"'][^#]*?):(?:\s+(.*?))?\s*$/.exec(line);
    const where = `${path}:${i + 1}`;
    if (m === null || raw !== line)
      throw new PolicyError(`${where}: expected \`"rule_name": "rule"\`, got ${JSON.stringify(raw)}`);
    const name = scalar(m[1]!, where);
    const value = m[2] === undefined || m[2] === "" ? "" : scalar(stripComment(m[2]), where);
    if (name in out) throw new PolicyError(`${where}: rule ${JSON.stringify(name)} is given twice`);
    out[name] = value;
  });
  return out;
}

function stripComment(v: string): string {
  if (v.startsWith('"') || v.startsWith("'")) return v;
  const hash = v.indexOf(" #");
  return (hash < 0 ? v : v.slice(0, hash)).trim();
}

function scalar(v: string, where: string): string {
  if (v.startsWith('"')) {
    try {
      return JSON.parse(v) as string;
    } catch {
      throw new PolicyError(`${where}: cannot read the quoted string ${v}`);
    }
  }
  if (v.startsWith("'")) {
    if (!v.endsWith("'") || v.length < 2)
      throw new PolicyError(`${where}: cannot read the quoted string ${v}`);
    return v.slice(1, -1).replace(/''/g, "'");
  }
  if (/^[[{|>&*!%@`]/.test(v) && v !== "@" && v !== "!")
    throw new PolicyError(`${where}: only plain or quoted strings are rules, not ${JSON.stringify(v)}`);
  return v;
}
