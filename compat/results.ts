/**
 * Tempest's results per test: the subunit events of a run folded into one outcome per listed test (pass,
 * fail, skip with its reason), class fixtures (`setUpClass (module.Class)`) spread over the tests of their
 * class, and per-module counts and durations.
 */
import type { SubunitEvent, SubunitStatus } from "./subunit.ts";

export type Outcome = "pass" | "fail" | "skip";

export interface TestResult {
  /** The id as tempest lists it, attributes included: `module.Class.test_name[id-…,smoke]`. */
  readonly id: string;
  readonly module: string;
  readonly outcome: Outcome;
  /** Seconds, 0 when it did not run on its own (a class fixture decided it). */
  readonly durationS: number;
  /** For a skip, the reason; for a failure, the exception's first meaningful line. */
  readonly why: string;
  /** For a failure: the last HTTP exchange the test's log shows as refused or unexpected. */
  readonly request: HttpExchange | undefined;
  /** A failure decided by its class's set-up, or a test that never reported (time limit, crash). */
  readonly via: "test" | "setUpClass" | "not run";
}

export interface HttpExchange {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly requestBody: string;
  readonly responseBody: string;
}

/** A class or module fixture that failed after its tests ran (tearDownClass): reported, not counted. */
export interface FixtureFailure {
  readonly id: string;
  readonly why: string;
  readonly request: HttpExchange | undefined;
}

interface Raw {
  status: SubunitStatus;
  start: number | undefined;
  stop: number | undefined;
  files: Map<string, Buffer[]>;
}

/** Folds subunit events as they arrive; tells the caller when a test is finished. */
export class ResultCollector {
  readonly #raw = new Map<string, Raw>();

  /** Returns the test id and its final status when the event finishes a test. */
  add(event: SubunitEvent): { id: string; status: SubunitStatus } | undefined {
    const id = event.testId;
    if (id === undefined) return undefined;
    let raw = this.#raw.get(id);
    if (raw === undefined) {
      raw = { status: "undefined", start: undefined, stop: undefined, files: new Map() };
      this.#raw.set(id, raw);
    }
    if (event.fileName !== undefined && event.fileBytes !== undefined && event.fileBytes.length > 0) {
      const parts = raw.files.get(event.fileName) ?? [];
      parts.push(Buffer.from(event.fileBytes));
      raw.files.set(event.fileName, parts);
    }
    if (event.status === "inprogress") {
      raw.status = "inprogress";
      raw.start = event.timestamp ?? raw.start;
    } else if (event.status !== "undefined" && event.status !== "exists") {
      raw.status = event.status;
      raw.stop = event.timestamp ?? raw.stop;
      return { id, status: event.status };
    }
    return undefined;
  }

  get size(): number {
    return this.#raw.size;
  }

  /**
   * One result per listed test. A test without its own result takes its class's set-up outcome (skip or
   * failure), or counts as failed "not run". Reported ids outside the list (fixtures, tests tempest
   * loaded but did not list) are used for their class or kept as they are.
   */
  finish(listed: readonly string[]): { tests: TestResult[]; fixtureFailures: FixtureFailure[] } {
    const tests: TestResult[] = [];
    const fixtures = new Map<string, { kind: string; raw: Raw }>();
    for (const [id, raw] of this.#raw) {
      const fixture = /^(setUpClass|tearDownClass|setUpModule|tearDownModule) \((.+)\)$/.exec(id);
      if (fixture) fixtures.set(`${fixture[1]} ${fixture[2]}`, { kind: fixture[1]!, raw });
    }
    const classSetUp = (id: string): Raw | undefined => {
      const cls = classOf(id);
      return fixtures.get(`setUpClass ${cls}`)?.raw ?? fixtures.get(`setUpModule ${moduleOf(id)}`)?.raw;
    };
    const seen = new Set<string>();
    for (const id of listed) {
      seen.add(id);
      const raw = this.#raw.get(id);
      if (raw !== undefined && isFinal(raw.status)) {
        tests.push(resultOf(id, raw, "test"));
        continue;
      }
      const setUp = classSetUp(id);
      if (setUp !== undefined && isFinal(setUp.status) && setUp.status !== "success") {
        tests.push({ ...resultOf(id, setUp, "setUpClass"), durationS: 0 });
        continue;
      }
      tests.push({
        id,
        module: moduleOf(id),
        outcome: "fail",
        durationS: 0,
        why:
          raw?.status === "inprogress"
            ? "started but never finished (the run's time limit, or its worker died)"
            : "never ran (the run's time limit, or its worker died)",
        request: undefined,
        via: "not run",
      });
    }
    for (const [id, raw] of this.#raw) {
      if (seen.has(id) || !isFinal(raw.status)) continue;
      if (/^(setUpClass|setUpModule) \(/.test(id)) continue; // spread over their tests above
      if (/^(tearDownClass|tearDownModule) \(/.test(id)) continue;
      tests.push(resultOf(id, raw, "test"));
    }
    const fixtureFailures: FixtureFailure[] = [];
    for (const [key, { kind, raw }] of fixtures) {
      if (!kind.startsWith("tearDown") || raw.status !== "fail") continue;
      const r = resultOf(key, raw, "test");
      fixtureFailures.push({ id: key, why: r.why, request: r.request });
    }
    tests.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { tests, fixtureFailures };
  }
}

const isFinal = (status: SubunitStatus) =>
  status !== "undefined" && status !== "exists" && status !== "inprogress";

/** `tempest.api.network.test_networks.NetworksTest.test_x[id-…]` → `tempest.api.network.test_networks.NetworksTest`. */
export function classOf(id: string): string {
  const fixture = /^\w+ \((.+)\)$/.exec(id);
  if (fixture) return fixture[1]!;
  const bare = id.replace(/\[.*\]$/, "");
  return bare.slice(0, bare.lastIndexOf("."));
}

/** The test's module: its class's path without the class. */
export function moduleOf(id: string): string {
  const fixture = /^(setUpModule|tearDownModule) \((.+)\)$/.exec(id);
  if (fixture) return fixture[2]!;
  const cls = classOf(id);
  return cls.slice(0, cls.lastIndexOf("."));
}

function text(raw: Raw, name: string): string {
  const parts = raw.files.get(name);
  return parts === undefined ? "" : Buffer.concat(parts).toString("utf8");
}

function resultOf(id: string, raw: Raw, via: "test" | "setUpClass"): TestResult {
  const durationS =
    raw.start !== undefined && raw.stop !== undefined ? Math.max(0, (raw.stop - raw.start) / 1000) : 0;
  const outcome: Outcome =
    raw.status === "success" || raw.status === "xfail" ? "pass" : raw.status === "skip" ? "skip" : "fail";
  let why = "";
  let request: HttpExchange | undefined;
  if (outcome === "skip") why = oneLine(text(raw, "reason")) || "skipped (no reason given)";
  if (outcome === "fail") {
    why =
      raw.status === "uxsuccess"
        ? "passed but was expected to fail"
        : failureLine(text(raw, "traceback")) || "failed (no traceback)";
    request = failedExchange(logOf(raw));
  }
  return { id, module: moduleOf(id), outcome, durationS, why, request, via };
}

function logOf(raw: Raw): string {
  for (const [name, parts] of raw.files)
    if (name.startsWith("pythonlogging")) return Buffer.concat(parts).toString("utf8");
  return "";
}

const oneLine = (s: string) => s.replace(/\s+/g, " ").trim();

/**
 * The exception at the end of a Python traceback, on one line: `NotFound: Object not found Details: {…}`,
 * or an assertion's message. Chained tracebacks ("During handling…") end with the one that counted.
 */
export function failureLine(traceback: string): string {
  const lines = traceback.replace(/\r/g, "").split("\n");
  // The exception starts at the first line after the last frame's source line that is not indented.
  let start = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/^\s+File "/.test(lines[i]!)) {
      start = i + 1;
      while (start < lines.length && /^\s/.test(lines[start]!)) start++;
      break;
    }
  }
  const tail = (start < 0 ? lines : lines.slice(start)).filter((l) => l.trim() !== "");
  const message = oneLine(
    tail
      .join(" ")
      .replace(/^(?:[a-z_]+\.)+(?=[A-Z_a-z]+(?:Error|Exception|Mismatch|[A-Z]\w*):)/, "")
      .replace(/^[a-z_.]+\._StringException: /, ""),
  );
  return message.length > 600 ? `${message.slice(0, 597)}…` : message;
}

/**
 * The HTTP exchange tempest logged last with an error status (or, when none failed, the last one): its
 * INFO line `Request (Class:test): 404 POST http://… 0.012s` and the DEBUG lines after it with the
 * bodies.
 */
export function failedExchange(log: string): HttpExchange | undefined {
  const exchanges: HttpExchange[] = [];
  const lines = log.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /Request \([^)]*\): (\d{3}) ([A-Z]+) (\S+)/.exec(lines[i]!);
    if (!m) continue;
    let requestBody = "";
    let responseBody = "";
    let inResponse = false;
    for (let j = i + 1; j < Math.min(lines.length, i + 8); j++) {
      const line = lines[j]!;
      if (/Request \([^)]*\): \d{3} /.test(line)) break;
      if (/Response - Headers:/.test(line)) inResponse = true;
      const body = /^\s*Body: (.*)$/.exec(line);
      if (body) {
        if (inResponse) responseBody = body[1]!;
        else requestBody = body[1]!;
      }
    }
    exchanges.push({
      method: m[2]!,
      url: m[3]!,
      status: Number(m[1]),
      requestBody: cleanBody(requestBody),
      responseBody: cleanBody(responseBody),
    });
  }
  const failed = exchanges.filter((e) => e.status >= 400);
  return failed.at(-1) ?? exchanges.at(-1);
}

/** `b'{"a": 1}'` → `{"a": 1}`; `None` → empty. */
function cleanBody(body: string): string {
  const trimmed = body.trim();
  if (trimmed === "None") return "";
  const bytes = /^b'(.*)'$/.exec(trimmed) ?? /^b"(.*)"$/.exec(trimmed);
  const s = bytes ? bytes[1]!.replace(/\\'/g, "'").replace(/\\\\/g, "\\") : trimmed;
  return s.length > 500 ? `${s.slice(0, 497)}…` : s;
}

export interface ModuleSummary {
  readonly module: string;
  readonly pass: number;
  readonly fail: number;
  readonly skip: number;
  /** Sum of its tests' durations, seconds. */
  readonly durationS: number;
}

export function byModule(tests: readonly TestResult[]): ModuleSummary[] {
  const map = new Map<string, { pass: number; fail: number; skip: number; durationS: number }>();
  for (const t of tests) {
    const m = map.get(t.module) ?? { pass: 0, fail: 0, skip: 0, durationS: 0 };
    m[t.outcome]++;
    m.durationS += t.durationS;
    map.set(t.module, m);
  }
  return [...map]
    .map(([module, m]) => ({ module, ...m }))
    .sort((a, b) => (a.module < b.module ? -1 : a.module > b.module ? 1 : 0));
}

export function totals(tests: readonly TestResult[]): Record<Outcome, number> {
  const counts: Record<Outcome, number> = { pass: 0, fail: 0, skip: 0 };
  for (const t of tests) counts[t.outcome]++;
  return counts;
}
