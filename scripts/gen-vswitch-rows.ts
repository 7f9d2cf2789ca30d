// Writes src/ovsdb/schema/vswitch-rows.ts from the installed Open vSwitch schema.
import { readFileSync, writeFileSync } from "node:fs";
import {
  parseSchema,
  renderRowInterfaces,
  vswitchSchemaPath,
  vswitchTypedTables,
} from "../src/ovsdb/index.ts";

const source = process.argv[2] ?? vswitchSchemaPath;
const schema = parseSchema(JSON.parse(readFileSync(source, "utf8")));
const target = new URL("../src/ovsdb/schema/vswitch-rows.ts", import.meta.url);
writeFileSync(target, renderRowInterfaces(schema, vswitchTypedTables, source));
console.log(`wrote ${target.pathname} from ${source} (schema ${schema.version})`);
