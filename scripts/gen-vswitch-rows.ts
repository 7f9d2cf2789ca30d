// Writes src/ovsdb/schema/vswitch-rows.ts from the installed Open vSwitch schema.
import { readFileSync, writeFileSync } from "node:fs";
import { parseSchema } from "../src/ovsdb/schema/schema.ts";
import { renderRowInterfaces } from "../src/ovsdb/schema/typegen.ts";
import { vswitchSchemaPath, vswitchTypedTables } from "../src/ovsdb/schema/vswitch.ts";

const source = process.argv[2] ?? vswitchSchemaPath;
const schema = parseSchema(JSON.parse(readFileSync(source, "utf8")));
const target = new URL("../src/ovsdb/schema/vswitch-rows.ts", import.meta.url);
writeFileSync(target, renderRowInterfaces(schema, vswitchTypedTables, source));
console.log(`wrote ${target.pathname} from ${source} (schema ${schema.version})`);
