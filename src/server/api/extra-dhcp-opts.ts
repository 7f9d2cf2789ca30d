/**
 * A port's `extra_dhcp_opts` as Neutron validates them (neutron-lib api/definitions/extra_dhcp_opt.py,
 * validators.validate_any_key_specs_or_none): a list without repeated items, each item matching one of
 * two key specs — `router` and `classless-static-route` may have an empty value, every other name needs
 * a one-line, non-blank one — with `ip_version` converted by int() and 4 or 6. What fails is
 * InvalidInput ("No valid key specs matched for: {...}"), raised by the validator itself, as in Neutron.
 */
import type { ExtraDhcpOptRequest } from "../services/extra-dhcp-opts.ts";
import { invalidInput, pyStr, toInt } from "./attributes.ts";

const NAME_MAX = 64;
const VALUE_MAX = 255;
const BLANKABLE = ["router", "classless-static-route"];

/** undefined for null or absent: nothing to do (Neutron's default None). */
export function parseExtraDhcpOpts(value: unknown): ExtraDhcpOptRequest[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalidInput(`'${pyStr(value)}' is not a list`);
  const repeated = duplicates(value);
  if (repeated.length > 0)
    throw invalidInput(`Duplicate items in the list: '${repeated.map(pyStr).join(", ")}'`);
  return value.map(item);
}

function item(value: unknown): ExtraDhcpOptRequest {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw invalidInput(`No valid key specs matched for: ${pyStr(value)}`);
  // validate_dict converts ip_version in place, so the message shows what the specs saw.
  const data = { ...(value as Record<string, unknown>) };
  for (const spec of [blankableSpec, valueSpec]) {
    if (matches(data, spec)) {
      return {
        optName: data.opt_name as string,
        optValue: data.opt_value as string | null,
        ipVersion: "ip_version" in data ? (data.ip_version as 4 | 6) : 4,
      };
    }
  }
  throw invalidInput(`No valid key specs matched for: ${pyStr(data)}`);
}

type Check = (value: unknown) => boolean;

interface KeySpec {
  readonly opt_name: Check;
  readonly opt_value: Check;
}

const blankableSpec: KeySpec = {
  opt_name: (v) => typeof v === "string" && BLANKABLE.includes(v),
  opt_value: (v) => v === null || (typeof v === "string" && length(v) <= VALUE_MAX),
};

const valueSpec: KeySpec = {
  opt_name: (v) => onelineNotEmpty(v, NAME_MAX),
  opt_value: (v) => v === null || onelineNotEmpty(v, VALUE_MAX),
};

/**
 * neutron-lib's validate_dict: the required keys present, no others, then each key in order. The
 * conversion of ip_version (int()) throws its own InvalidInput, which no other spec catches.
 */
function matches(data: Record<string, unknown>, spec: KeySpec): boolean {
  if (!("opt_name" in data) || !("opt_value" in data)) return false;
  if (Object.keys(data).some((k) => k !== "opt_name" && k !== "opt_value" && k !== "ip_version"))
    return false;
  if (!spec.opt_name(data.opt_name) || !spec.opt_value(data.opt_value)) return false;
  if (!("ip_version" in data)) return true;
  data.ip_version = toInt(data.ip_version);
  return data.ip_version === 4 || data.ip_version === 6;
}

/** validate_oneline_not_empty_string: a string within the length, not blank, not several lines. */
function onelineNotEmpty(value: unknown, max: number): boolean {
  return typeof value === "string" && length(value) <= max && value.trim() !== "" && lines(value) <= 1;
}

/**
 * The length Neutron's column sizes are checked against: UTF-16 units, not Python's code points, so that
 * whatever is accepted fits the agent channel's ExtraDhcpOpt (zod counts units; names and values of
 * options are ASCII in practice).
 */
const length = (s: string) => s.length;

/** Python's line boundaries (str.splitlines); \r\n counts as one. */
const LINE_BREAKS = new Set(["\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]);

/** How many lines Python's str.splitlines() makes of the text (a trailing line break ends a line). */
function lines(s: string): number {
  let breaks = 0;
  let tail = 0;
  for (let i = 0; i < s.length; i++) {
    if (!LINE_BREAKS.has(s[i]!)) tail++;
    else {
      if (s[i] === "\r" && s[i + 1] === "\n") i++;
      breaks++;
      tail = 0;
    }
  }
  return breaks + (tail > 0 ? 1 : 0);
}

/** neutron-lib's _collect_duplicates: items equal to an earlier one (dicts compare by content). */
function duplicates(list: readonly unknown[]): unknown[] {
  const seen: unknown[] = [];
  const repeated: unknown[] = [];
  for (const v of list) {
    if (seen.some((s) => same(s, v))) {
      if (!repeated.some((r) => same(r, v))) repeated.push(v);
    } else seen.push(v);
  }
  return repeated;
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length &&
    ka.every((k) => k in b && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}
