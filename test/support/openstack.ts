// The openstack CLI against a test server that runs without auth, as an operator would type it.
import { execFile } from "node:child_process";

/** `openstack ARGS` against `url` with no auth; rejects with its stderr when it fails. */
export function openstackNoAuth(url: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      "openstack",
      ["--os-auth-type", "none", "--os-endpoint", url, ...args],
      { timeout: 60_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`openstack ${args.join(" ")}: ${stderr}`)) : resolve(stdout),
    ),
  );
}
