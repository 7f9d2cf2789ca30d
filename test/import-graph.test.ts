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
  packet: ["base"],
  ovs: ["base", "ovsdb"],
  protocol: [],
  keystone: ["base"],
  server: ["base", "protocol", "keystone"],
  agent: ["base", "ovsdb", "openflow", "packet", "ovs", "protocol", "keystone"],
  testbed: ["base", "ovsdb", "ovs", "protocol", "packet"],
  cli: ["base", "ovsdb", "openflow", "ovs", "protocol", "keystone", "agent", "server", "testbed"],
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

/** The imports of a source text: static `import`/`export … from`, and dynamic `import("./…")`. */
function importsOf(file: string, text: string): Edge[] {
  const out: Edge[] = [];
  const target = (spec: string) => relative(root, resolve(dirname(join(root, file)), spec));
  const statics = /^(import|export)(\s+type)?[^;]*?from\s+"(\.[^"]+)"/gms;
  for (const m of text.matchAll(statics))
    out.push({ from: file, to: target(m[3]!), typeOnly: m[2] !== undefined });
  const dynamics = /\bimport\(\s*"(\.[^"]+)"\s*\)/g;
  for (const m of text.matchAll(dynamics)) out.push({ from: file, to: target(m[1]!), typeOnly: false });
  return out;
}

const moduleOf = (path: string) => (path.startsWith("src/") ? path.split("/")[1]! : undefined);
const entrance = (path: string) => /^src\/[a-z-]+\/(index|internal)\.ts$/.exec(path) !== null;

/** What is wrong with these edges, one line each. */
function violations(all: Iterable<Edge>): string[] {
  const found: string[] = [];
  for (const edge of all) {
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
  return found;
}

function treeEdges(): Edge[] {
  return ["src", "bench", "scripts", "test", "bin"].flatMap((top) =>
    files(top).flatMap((file) => importsOf(file, readFileSync(join(root, file), "utf8"))),
  );
}

test("modules are entered through index.ts only, along the edges docs/ARCHITECTURE.md allows", () => {
  assert.deepEqual(violations(treeEdges()), []);
});

test("the check finds what it must: a deep import, a forbidden edge, internal.ts outside tests", () => {
  // The real check, on made-up source texts.
  const check = (from: string, text: string) => violations(importsOf(from, text));
  assert.match(
    check("src/server/app.ts", 'import { x } from "../ovs/index.ts";').join(),
    /server may not import ovs/,
  );
  assert.match(
    check("src/cli/x.ts", 'import { C } from "../agent/converge/converger.ts";').join(),
    /a deep import/,
  );
  assert.match(
    check("bench/x.ts", 'import { C } from "../src/agent/internal.ts";').join(),
    /internal.ts is for tests/,
  );
  assert.match(
    check("src/testbed/x.ts", 'import { R } from "../agent/index.ts";').join(),
    /testbed may not import agent/,
  );
  assert.deepEqual(check("src/testbed/x.ts", 'import type { R } from "../agent/index.ts";'), []);
  assert.deepEqual(check("test/agent/x.ts", 'import { C } from "../../src/agent/internal.ts";'), []);
  assert.deepEqual(check("bin/weir.ts", 'import { main } from "../src/cli/main.ts";'), []);
  assert.match(
    check("src/agent/x/y.ts", 'const m = await import("../../server/index.ts");').join(),
    /agent may not import server/,
  );
  assert.match(
    check("src/agent/x.ts", 'export {\n  a,\n  b,\n} from "../openflow/wire/framer.ts";').join(),
    /a deep import/,
  );
});
