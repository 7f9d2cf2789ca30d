// Writes docs/PROTOCOL.md from the protocol schemas.
import { writeFileSync } from "node:fs";
import { renderProtocolDocument } from "../src/protocol/index.ts";

const target = new URL("../docs/PROTOCOL.md", import.meta.url);
writeFileSync(target, renderProtocolDocument());
console.log(`wrote ${target.pathname}`);
