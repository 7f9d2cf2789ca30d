/**
 * Request bodies checked against an attribute map, as Neutron does it (neutron/api/v2/base.py
 * prepare_request_body, neutron-lib api/attributes.py AttributeInfo): the same checks in the same order,
 * with the same messages — unknown attributes, then required and POST-only ones (filling defaults), then
 * read-only ones on PUT, then each attribute's conversion and validation in map order.
 */
import { ApiError } from "../api-errors.ts";

export interface Attribute {
  readonly post: boolean;
  readonly put: boolean;
  /** Filled in on POST when absent; without one the attribute is required on POST. */
  readonly default?: unknown;
  /** Neutron's convert_to: throws InvalidInput (400) itself. */
  readonly convert?: (value: unknown) => unknown;
  /** Neutron's validate: the reason the value is refused, or undefined. */
  readonly validate?: (value: unknown) => string | undefined;
}

/** In Neutron's order: the first failing attribute is the one reported. */
export type AttributeMap = Readonly<Record<string, Attribute>>;

/** Who is asking: a project other than their own is for admins only. */
export interface BodyCaller {
  readonly projectId: string;
  readonly admin: boolean;
}

const badRequest = (message: string) => new ApiError(400, "HTTPBadRequest", message);

/** neutron-lib's InvalidInput, raised by converters: "Invalid input for operation: %(error_message)s." */
export const invalidInput = (message: string) =>
  new ApiError(400, "InvalidInput", `Invalid input for operation: ${message}.`);

/** Python's "%s" of a JSON value, as Neutron's messages render it. */
export function pyStr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(", ")}]`;
  return `{${Object.entries(value as object)
    .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`)
    .join(", ")}}`;
}

function pyRepr(value: unknown): string {
  return typeof value === "string" ? pyStringRepr(value) : pyStr(value);
}

/**
 * Python's repr() of a str: single quotes unless it holds one and no double quote; backslash, \t, \n and
 * \r escaped, and what Python does not print (controls, separators but the space, unassigned) as \x, \u
 * or \U escapes.
 */
function pyStringRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  const named: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };
  const escaped = [...value]
    .map((c) => {
      if (c in named) return named[c];
      if (c === quote) return `\\${c}`;
      if (c === " " || !/[\p{C}\p{Z}]/u.test(c)) return c;
      const code = c.codePointAt(0)!;
      const [prefix, width] = code <= 0xff ? ["x", 2] : code <= 0xffff ? ["u", 4] : ["U", 8];
      return `\\${prefix}${code.toString(16).padStart(width, "0")}`;
    })
    .join("");
  return `${quote}${escaped}${quote}`;
}

const truthy = (body: unknown) =>
  body !== null &&
  body !== undefined &&
  body !== false &&
  body !== 0 &&
  body !== "" &&
  !(Array.isArray(body) && body.length === 0) &&
  !(typeof body === "object" && !Array.isArray(body) && Object.keys(body as object).length === 0);

/** `{"<resource>": {...}}` (the resource and collection names given) checked against `attributes`; returns the attributes, defaults filled on create. */
export function parseResource(
  body: unknown,
  [resource, collection]: readonly [string, string],
  attributes: AttributeMap,
  operation: "create" | "update",
  caller: BodyCaller,
): Record<string, unknown> {
  const outer = checkOuter(body);
  // Neutron accepts {"<collection>": [...]} for bulk creates of some resources: parseResources.
  if (collection in outer) throw badRequest("Bulk operation not supported");
  return parseInner(outer[resource], resource, attributes, operation, caller);
}

/**
 * A create of one (`{"<resource>": {...}}`) or of many in one request (`{"<collection>": [{...}, …]}`,
 * for resources Neutron creates in bulk); each item checked as a single create is.
 */
export function parseResources(
  body: unknown,
  [resource, collection]: readonly [string, string],
  attributes: AttributeMap,
  caller: BodyCaller,
): { items: Record<string, unknown>[]; bulk: boolean } {
  const outer = checkOuter(body);
  if (!(collection in outer))
    return { items: [parseInner(outer[resource], resource, attributes, "create", caller)], bulk: false };
  const list = outer[collection];
  if (!Array.isArray(list)) throw badRequest("Body contains invalid data");
  if (list.length === 0) throw badRequest("Resources required");
  return {
    items: list.map((item) => parseInner(bulkItem(item, resource), resource, attributes, "create", caller)),
    bulk: true,
  };
}

/**
 * An item of a bulk create: its attributes, or them wrapped as `{"<resource>": {...}}` (Neutron's
 * prepare_request_body takes both; tempest's bulk security-group create sends the second).
 */
export function bulkItem(item: unknown, resource: string): unknown {
  if (typeof item === "object" && item !== null && !Array.isArray(item) && resource in item) {
    const inner = (item as Record<string, unknown>)[resource];
    if (typeof inner === "object" && inner !== null && !Array.isArray(inner)) return inner;
  }
  return item;
}

function checkOuter(body: unknown): Record<string, unknown> {
  if (!truthy(body)) throw badRequest("Resource body required");
  if (typeof body !== "object" || Array.isArray(body)) throw badRequest("Body contains invalid data");
  return body as Record<string, unknown>;
}

function parseInner(
  inner: unknown,
  resource: string,
  attributes: AttributeMap,
  operation: "create" | "update",
  caller: BodyCaller,
): Record<string, unknown> {
  if (inner === undefined || inner === null) throw badRequest(`Unable to find '${resource}' in request body`);
  if (typeof inner !== "object" || Array.isArray(inner))
    throw badRequest(`Object '${resource}' contains invalid data`);
  const values: Record<string, unknown> = { ...(inner as Record<string, unknown>) };
  populateProject(values, attributes, operation, caller);
  const unknown = Object.keys(values).filter((key) => !(key in attributes));
  if (unknown.length > 0) throw badRequest(`Unrecognized attribute(s) '${unknown.join(", ")}'`);
  for (const [name, attribute] of Object.entries(attributes)) {
    if (operation === "create") {
      if (!attribute.post) {
        if (name in values) throw badRequest(`Attribute '${name}' not allowed in POST`);
      } else if (!(name in values)) {
        if (!("default" in attribute))
          throw badRequest(`Failed to parse request. Required attribute '${name}' not specified`);
        values[name] = attribute.default;
      }
    } else if (name in values && !attribute.put) {
      throw badRequest(`Cannot update read-only attribute ${name}`);
    }
  }
  for (const [name, attribute] of Object.entries(attributes)) {
    if (!(name in values)) continue;
    if (attribute.convert) values[name] = attribute.convert(values[name]);
    const reason = attribute.validate?.(values[name]);
    if (reason !== undefined) throw badRequest(`Invalid input for ${name}. Reason: ${reason}.`);
  }
  return values;
}

/** tenant_id and project_id are one attribute under two names; a create defaults it to the caller's. */
function populateProject(
  values: Record<string, unknown>,
  attributes: AttributeMap,
  operation: "create" | "update",
  caller: BodyCaller,
): void {
  if ("tenant_id" in values && !("project_id" in values)) values.project_id = values.tenant_id;
  else if ("project_id" in values && !("tenant_id" in values)) values.tenant_id = values.project_id;
  checkRequestedProject(values.project_id, values.tenant_id, caller);
  if (operation === "create" && "tenant_id" in attributes && !("project_id" in values)) {
    values.project_id = caller.projectId;
    values.tenant_id = caller.projectId;
  }
}

// Converters (neutron-lib api/converters.py): Python's int() and oslo's bool_from_string(strict=True).

export function toInt(value: unknown): number {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number" && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === "string" && /^\s*[+-]?\d+(_\d+)*\s*$/.test(value))
    return Number(value.trim().replaceAll("_", ""));
  throw invalidInput(`'${pyStr(value)}' is not an integer`);
}

const TRUE_STRINGS = ["1", "t", "true", "on", "y", "yes"];
const FALSE_STRINGS = ["0", "f", "false", "off", "n", "no"];

/** undefined when the text is not one of oslo's boolean strings. */
export function booleanFrom(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  const lowered = pyStr(value).trim().toLowerCase();
  if (TRUE_STRINGS.includes(lowered)) return true;
  if (FALSE_STRINGS.includes(lowered)) return false;
  return undefined;
}

export function toBoolean(value: unknown): boolean {
  const result = booleanFrom(value);
  if (result === undefined) throw invalidInput(`'${pyStr(value)}' cannot be converted to boolean`);
  return result;
}

// Validators (neutron-lib api/validators): each returns Neutron's reason.

export const string =
  (maxLength: number) =>
  (value: unknown): string | undefined => {
    if (typeof value !== "string") return `'${pyStr(value)}' is not a valid string`;
    if (value.length > maxLength) return `'${value}' exceeds maximum length of ${maxLength}`;
    return undefined;
  };

/** Printable (no control or line/paragraph separators), no leading or trailing space separator; the BMP only. */
const validName = /^(?!\p{Zs})[^\p{C}\p{Zl}\p{Zp}\u{10000}-\u{10ffff}]*(?<!\p{Zs})$/u;

export const nameString =
  (maxLength: number) =>
  (value: unknown): string | undefined =>
    string(maxLength)(value) ??
    (validName.test(value as string) ? undefined : `'${value as string}' is not a valid string`);

export const values =
  (valid: readonly (string | number)[]) =>
  (value: unknown): string | undefined =>
    valid.includes(value as string | number) ? undefined : `${pyStr(value)} is not in valid_values`;

export const range =
  (min: number, max: number) =>
  (value: unknown): string | undefined => {
    const n = typeof value === "number" ? Math.trunc(value) : Number.NaN;
    if (!Number.isFinite(n)) return `'${pyStr(value)}' is not an integer`;
    if (n < min) return `'${n}' is too small - must be at least '${min}'`;
    if (n > max) return `'${n}' is too large - must be no larger than '${max}'`;
    return undefined;
  };

/**
 * neutron-lib's _validate_list_of_items: a list, no item twice, then each item's own reason — the
 * first one found.
 */
export const listOf =
  (item: (value: unknown) => string | undefined) =>
  (value: unknown): string | undefined => {
    if (!Array.isArray(value)) return `'${pyStr(value)}' is not a list`;
    const seen = new Set<unknown>();
    const repeated = [...new Set(value.filter((v) => seen.has(v) || !seen.add(v)))];
    if (repeated.length > 0) return `Duplicate items in the list: '${repeated.map(pyStr).join(", ")}'`;
    for (const v of value) {
      const reason = item(v);
      if (reason !== undefined) return reason;
    }
    return undefined;
  };

/**
 * A body's project_id and tenant_id (one attribute under two names) must agree, and only an admin may
 * name another project than the caller's (400, as Neutron's API layer answers before any policy).
 */
export function checkRequestedProject(projectId: unknown, tenantId: unknown, caller: BodyCaller): void {
  if (projectId !== undefined && tenantId !== undefined && projectId !== tenantId)
    throw badRequest("'project_id' and 'tenant_id' do not match");
  const requested = projectId ?? tenantId;
  if (requested !== undefined && requested !== caller.projectId && !caller.admin)
    throw badRequest(
      "Specifying 'project_id' other than the authenticated project in request is not allowed for the current user.",
    );
}

/** A create body's project (project_id or tenant_id), checked as above; undefined: the caller's. */
export function requestedProject(
  b: { readonly project_id?: string; readonly tenant_id?: string },
  caller: BodyCaller,
): string | undefined {
  checkRequestedProject(b.project_id, b.tenant_id, caller);
  return b.project_id ?? b.tenant_id;
}
