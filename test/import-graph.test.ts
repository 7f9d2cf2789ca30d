// The layering of docs/ARCHITECTURE.md, checked on every import of the tree: a module is entered only
// through its index.ts (tests may also use its internal.ts), and only along the edges the table allows.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** What each module of src/ may import (besides itself), from ARCHITECTURE.md's table. */
const allowed: Record<string, readonly string[]> = {
  base: [],
  ovsdb: ["base"],
  openflow: ["base"],
  ovs: ["base", "ovsdb"],
  protocol: [],
  server: ["base", "protocol"],
  agent: ["base", "ovsdb", "openflow", "ovs", "protocol"],
  testbed: ["base", "ovsdb", "ovs", "protocol"],
  cli: ["base", "ovsdb", "openflow", "ovs", "protocol", "agent", "server", "testbed"],
};
/** Edges allowed for types only (erased at run time): the testbed reads the agent's report type. */
const typeOnly: Record<string, readonly string[]> = { testbed: ["agent"] };

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}

function files(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" || e.name === "fixtures" ? [] : files(path);
    return e.name.endsWith(".ts") ? [path] : [];
  });
}

function edges(file: string): Edge[] {
  const text = readFileSync(join(root, file), "utf8");
  const out: Edge[] = [];
  const pattern = /^(import|export)(\s+type)?[^;]*?from\s+"(\.[^"]+)"/gms;
  for (const m of text.matchAll(pattern)) {
    out.push({
      from: file,
      to: relative(root, resolve(dirname(join(root, file)), m[3]!)),
      typeOnly: m[2] !== undefined,
    });
  }
  return out;
}

const moduleOf = (path: string) => (path.startsWith("src/") ? path.split("/")[1]! : undefined);
const entrance = (path: string) => /^src\/[a-z-]+\/(index|internal)\.ts$/.exec(path) !== null;

function violations(): string[] {
  const found: string[] = [];
  for (const top of ["src", "bench", "scripts", "test", "bin"]) {
    for (const file of files(top)) {
      for (const edge of edges(file)) {
        const from = moduleOf(edge.from);
        const to = moduleOf(edge.to);
        if (to === undefined || from === to) continue;
        if (edge.to.endsWith("/internal.ts") && !edge.from.startsWith("test/"))
          found.push(`${edge.from} → ${edge.to}: internal.ts is for tests`);
        else if (!entrance(edge.to) && !(edge.from === "bin/weir.ts" && edge.to === "src/cli/main.ts"))
          found.push(`${edge.from} → ${edge.to}: a deep import (use src/${to}/index.ts)`);
        if (from === undefined) continue;
        const ok = allowed[from]!.includes(to) || (edge.typeOnly && (typeOnly[from] ?? []).includes(to));
        if (!ok) found.push(`${edge.from} → ${edge.to}: ${from} may not import ${to}`);
      }
    }
  }
  return found;
}

test("modules are entered through index.ts only, along the edges docs/ARCHITECTURE.md allows", () => {
  assert.deepEqual(violations(), []);
});

test("the check finds what it must: a deep import, a forbidden edge, internal.ts outside tests", () => {
  const probe = (from: string, to: string, type = false) => {
    const f = moduleOf(from);
    const t = moduleOf(to)!;
    const problems: string[] = [];
    if (to.endsWith("/internal.ts") && !from.startsWith("test/")) problems.push("internal");
    else if (!entrance(to)) problems.push("deep");
    if (f !== undefined && f !== t && !(allowed[f]!.includes(t) || (type && (typeOnly[f] ?? []).includes(t))))
      problems.push("edge");
    return problems;
  };
  assert.deepEqual(probe("src/server/app.ts", "src/ovs/index.ts"), ["edge"]);
  assert.deepEqual(probe("src/cli/x.ts", "src/agent/converge/converger.ts"), ["deep"]);
  assert.deepEqual(probe("bench/x.ts", "src/agent/internal.ts"), ["internal"]);
  assert.deepEqual(probe("src/testbed/x.ts", "src/agent/index.ts"), ["edge"]);
  assert.deepEqual(probe("src/testbed/x.ts", "src/agent/index.ts", true), []);
  assert.deepEqual(probe("test/agent/x.ts", "src/agent/internal.ts"), []);
});
