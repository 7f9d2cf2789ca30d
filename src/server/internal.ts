// For tests only: the address arithmetic behind the API (test/import-graph.test.ts checks who uses it).
export { defaultPools, firstFree, formatIp, overlaps, parseCidr, parseIp, validatePools } from "./ipam.ts";
