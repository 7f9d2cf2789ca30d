/**
 * compat/known-gaps.txt: why the tests that fail fail, where the cause is known and not a bug to fix
 * now — a feature of a later issue, a test that assumes something Weir decides otherwise on purpose, a
 * tempest older than the behaviour it checks. One gap a line, `PATTERN :: REASON`, PATTERN a regular
 * expression searched in test ids. The report puts each failing test under its reason; a failing test
 * under none is listed as unexplained.
 */
import { readFile } from "node:fs/promises";

export interface KnownGap {
  readonly pattern: RegExp;
  readonly source: string;
  readonly reason: string;
}

/** Parses the file's text; a line that is not `PATTERN :: REASON` or whose pattern does not compile is an error naming it. */
export function parseGaps(text: string, file = "compat/known-gaps.txt"): KnownGap[] {
  const gaps: KnownGap[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const at = line.indexOf(" :: ");
    const source = at < 0 ? "" : line.slice(0, at).trim();
    const reason = at < 0 ? "" : line.slice(at + 4).trim();
    if (source === "" || reason === "") throw new Error(`${file}:${i + 1}: expected "PATTERN :: REASON"`);
    let pattern: RegExp;
    try {
      pattern = new RegExp(source);
    } catch (error) {
      throw new Error(`${file}:${i + 1}: ${(error as Error).message}`);
    }
    gaps.push({ pattern, source, reason });
  });
  return gaps;
}

export async function readGaps(path: string): Promise<KnownGap[]> {
  const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return "";
    throw error;
  });
  return parseGaps(text, path);
}

/** The first gap whose pattern the id matches. */
export function gapOf(gaps: readonly KnownGap[], id: string): KnownGap | undefined {
  return gaps.find((g) => g.pattern.test(id));
}
