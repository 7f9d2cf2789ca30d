// For the module's own byte-by-byte tests only: the wire codecs behind index.ts. Nothing outside test/
// imports this (test/import-graph.test.ts says so).
export * from "./wire/actions-codec.ts";
export * from "./wire/buffer.ts";
export * from "./wire/constants.ts";
export * from "./wire/framer.ts";
export * from "./wire/match-codec.ts";
export * from "./wire/messages.ts";
export * from "./wire/meter-messages.ts";
export * from "./wire/packet-messages.ts";
