import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseSchema, vswitchSchemaPath, vswitchTypedTables } from "../../src/ovsdb/index.ts";
import { rowInterfaceName, rowTypes } from "../../src/ovsdb/internal.ts";

// The committed row interfaces must match the installed Open vSwitch's schema: every declared column
// exists there with the type we declare. (A newer schema may add columns; regenerate with npm run gen:vswitch.)
test("vswitch-rows.ts agrees with the installed vswitch.ovsschema", () => {
  const schema = parseSchema(JSON.parse(readFileSync(vswitchSchemaPath, "utf8")));
  const source = readFileSync(new URL("../../src/ovsdb/schema/vswitch-rows.ts", import.meta.url), "utf8");
  const expected = rowTypes(schema, vswitchTypedTables);
  for (const table of vswitchTypedTables) {
    const body = new RegExp(`export interface ${rowInterfaceName(table)} \\{([\\s\\S]*?)\\n\\}`).exec(
      source,
    )?.[1];
    assert.ok(body, `interface for ${table} present`);
    const declared = [...body.matchAll(/^ {2}(\w+): (.+);$/gm)].map((m) => [m[1]!, m[2]!] as const);
    assert.ok(declared.length >= 3, `${table} declares its columns`);
    for (const [column, type] of declared) {
      assert.equal(type, expected.get(table)!.get(column), `${table}.${column}`);
    }
    for (const column of ["name", "external_ids"].filter((c) => expected.get(table)!.has(c))) {
      assert.ok(
        declared.some(([name]) => name === column),
        `${table}.${column} declared`,
      );
    }
  }
});
