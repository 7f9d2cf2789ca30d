/**
 * Another build of this tree for the restart benchmark's upgrade with the firewall on: the same code with
 * the firewall's priorities moved (every rule flow and every anti-spoofing flow at another priority), so
 * that an upgrade to it and back replaces every firewall flow — new keys added and old ones deleted in
 * the generation swap's bundles — while established connections must keep flowing. Copied beside this
 * tree's node_modules into a temporary directory; needs cp, not git.
 */
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WeirError } from "../base/index.ts";
import { run } from "./exec.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface VariantBuild {
  /** Its src/cli/main.ts, for startAgent's `cli`. */
  readonly cli: string;
  remove(): Promise<void>;
}

/** Replaces `from` by `to` in a file of the copy; the text must be there (else the variant is no variant). */
async function patch(dir: string, file: string, from: string, to: string): Promise<void> {
  const path = join(dir, file);
  const text = await readFile(path, "utf8");
  if (!text.includes(from))
    throw new WeirError("WEIR_VARIANT_BUILD", `${file} has no ${JSON.stringify(from)}`);
  await writeFile(path, text.replace(from, to));
}

export async function makeFirewallPriorityVariant(): Promise<VariantBuild> {
  const dir = await mkdtemp(join(tmpdir(), "weir-variant-build-"));
  try {
    await run("cp", ["-r", join(root, "src"), join(root, "package.json"), dir]);
    await symlink(join(root, "node_modules"), join(dir, "node_modules"));
    await patch(
      dir,
      "src/agent/features/firewall/rules.ts",
      "RULE_PRIORITY_BASE = 70",
      "RULE_PRIORITY_BASE = 60",
    );
    await patch(dir, "src/agent/features/firewall/tables.ts", "spoofable: 95", "spoofable: 96");
    await patch(dir, "src/agent/features/firewall/tables.ts", "ipFromVif: 65", "ipFromVif: 66");
    return { cli: join(dir, "src/cli/main.ts"), remove: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
