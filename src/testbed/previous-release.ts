/**
 * The agent of the previous release, as it shipped (test/fixtures/previous-release.tar.gz, made by
 * scripts/make-previous-release.sh): unpacked into a temporary directory beside this tree's
 * node_modules, for what runs it — the protocol-compatibility test (an old agent beside a new server) and
 * the restart benchmark's upgrade and downgrade. Needs tar, not git.
 */
import { mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "./exec.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const fixtures = join(root, "test/fixtures");

export interface PreviousRelease {
  /** The commit it was made from. */
  readonly commit: string;
  /** Its src/cli/main.ts, for startAgent's `cli`. */
  readonly cli: string;
  remove(): Promise<void>;
}

export async function unpackPreviousRelease(): Promise<PreviousRelease> {
  const dir = await mkdtemp(join(tmpdir(), "weir-previous-release-"));
  try {
    await run("tar", ["-xzf", join(fixtures, "previous-release.tar.gz"), "-C", dir]);
    await symlink(join(root, "node_modules"), join(dir, "weir", "node_modules"));
    const commit = (await readFile(join(fixtures, "previous-release.commit"), "utf8")).trim();
    return {
      commit,
      cli: join(dir, "weir/src/cli/main.ts"),
      remove: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
