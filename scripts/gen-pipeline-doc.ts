// Writes docs/PIPELINE.md from the agent's pipeline declarations.
import { writeFileSync } from "node:fs";
import { renderPipelineDocument } from "../src/agent/index.ts";

const target = new URL("../docs/PIPELINE.md", import.meta.url);
writeFileSync(target, renderPipelineDocument());
console.log(`wrote ${target.pathname}`);
