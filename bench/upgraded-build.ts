// "An agent upgrade": a copy of this tree whose pipeline differs — every flow of the agent's pipelines
// at a priority 10 higher (their order within each table unchanged). Starting it against bridges that
// the current build programmed replaces every flow, which is what an upgrade that changes the pipeline
// does; starting the current build again afterwards is the downgrade.
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const pipelineFiles = ["src/agent/pipeline/base-flows.ts", "src/agent/pipeline/network-flows.ts"];

export interface UpgradedBuild {
  /** Its src/cli/main.ts, for startAgent's `cli`. */
  readonly cli: string;
  remove(): Promise<void>;
}

export async function makeUpgradedBuild(): Promise<UpgradedBuild> {
  const dir = await mkdtemp(join(tmpdir(), "weir-bench-upgrade-"));
  for (const entry of ["src", "bin", "package.json", "tsconfig.json"])
    await cp(join(root, entry), join(dir, entry), { recursive: true });
  await symlink(join(root, "node_modules"), join(dir, "node_modules"));
  let shifted = 0;
  for (const file of pipelineFiles) {
    const text = await readFile(join(dir, file), "utf8");
    const changed = text.replace(/priority: (\d+)/g, (_, n: string) => {
      shifted++;
      return `priority: ${Math.min(Number(n) + 10, 65535)}`;
    });
    await writeFile(join(dir, file), changed);
  }
  if (shifted === 0) throw new Error(`no flow priorities found in ${pipelineFiles.join(", ")}`);
  return {
    cli: join(dir, "src/cli/main.ts"),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
