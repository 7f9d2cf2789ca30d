// For tests only: the codecs and schema parser behind index.ts (test/import-graph.test.ts checks who uses it).
export { JsonFramer } from "./rpc/json-framer.ts";
export { type ColumnType, type DatabaseSchema, parseColumnType } from "./schema/schema.ts";
export { rowInterfaceName, rowTypes } from "./schema/typegen.ts";
export { decodeDatum, defaultDatum, encodeDatum } from "./wire/datum.ts";
