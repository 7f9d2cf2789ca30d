/**
 * The regression gate: compat/tempest-expected-pass.txt lists, one id a line and sorted, the tests that
 * passed when it was last written. A listed test that did not pass now is a regression; a test that
 * passes and is not listed is newly passing (reported, not a failure).
 */
import { readFile, writeFile } from "node:fs/promises";
import type { TestResult } from "./results.ts";

export async function readExpected(path: string): Promise<string[]> {
  const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return "";
    throw error;
  });
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

export async function writeExpected(path: string, tests: readonly TestResult[]): Promise<number> {
  const ids = [...new Set(tests.filter((t) => t.outcome === "pass").map((t) => t.id))].sort();
  await writeFile(path, ids.map((id) => `${id}\n`).join(""));
  return ids.length;
}

export interface Comparison {
  /** Expected to pass, and did not: with what happened instead. */
  readonly regressions: readonly { id: string; outcome: string; why: string }[];
  readonly newlyPassing: readonly string[];
}

/**
 * Compares a run with the list. A run of a subset (--regex, `full` false) gates the listed tests it
 * selected; a full run also counts a listed test tempest no longer lists (renamed, dropped, or its module
 * no longer imports) as a regression.
 */
function scenarioBase(id: string): string {
  return id.replace(/\([^()]*\)$/, "");
}

export function compare(
  expected: readonly string[],
  listed: readonly string[],
  tests: readonly TestResult[],
  full: boolean,
): Comparison {
  const byId = new Map(tests.map((t) => [t.id, t]));
  const selected = new Set(listed);
  const wanted = new Set(expected);
  const regressions: { id: string; outcome: string; why: string }[] = [];
  for (const id of expected) {
    // testscenarios' tests (a name ending in "(scenario)") are expanded when they run: tempest lists
    // the base test once, and each scenario reports under its own id.
    if (!selected.has(id) && !selected.has(scenarioBase(id)) && !byId.has(id)) {
      if (full) regressions.push({ id, outcome: "missing", why: "tempest no longer lists it" });
      continue;
    }
    const t = byId.get(id);
    if (t?.outcome !== "pass")
      regressions.push({ id, outcome: t?.outcome ?? "missing", why: t?.why ?? "no result" });
  }
  const newlyPassing = tests
    .filter((t) => t.outcome === "pass" && !wanted.has(t.id))
    .map((t) => t.id)
    .sort();
  return { regressions, newlyPassing };
}
