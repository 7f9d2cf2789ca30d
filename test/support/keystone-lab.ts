// A real Keystone for a test file (Debian's, on loopback over SQLite, in the file's testbed run dir),
// with the users the authentication and RBAC tests act as, and Weir servers that validate against it.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before } from "node:test";
import type { AuthSettings } from "../../src/server/index.ts";
import {
  defaultRunRoot,
  type KeystoneProcess,
  removeTestbed,
  startKeystone,
} from "../../src/testbed/index.ts";
import { testName, testOwner } from "./ovs.ts";
import { startServer, type TestServer } from "./server.ts";

export const PASSWORD = "weir-test-password";
export const CACHE_S = 2;

/** Users: neutron (the service user), weir-agent (service), alice (member p1), carol (reader p1), bob and dave (members p2), admin. */
export interface KeystoneLab {
  readonly ks: KeystoneProcess;
  readonly ids: Record<string, { projectId: string; userId: string }>;
  tokenOf(name: string, project: string): Promise<string>;
  server(t: Parameters<typeof startServer>[0]): Promise<TestServer>;
}

/** Registers before/after hooks for the calling file; the lab's fields are valid once `before` ran. */
export function keystoneLab(): KeystoneLab {
  const runName = testName();
  const ids: Record<string, { projectId: string; userId: string }> = {};
  let ks: KeystoneProcess | undefined;
  after(async () => {
    await ks?.stop();
    await removeTestbed(defaultRunRoot, runName);
  });
  before(async () => {
    const root = join(defaultRunRoot, runName);
    await mkdir(root, { recursive: true });
    await writeFile(join(root, "owner"), `${testOwner}\n`);
    ks = await startKeystone(join(root, "keystone"));
    const users = [
      { name: "neutron", project: "service", roles: ["admin", "service"] },
      { name: "weir-agent", project: "service", roles: ["service"] },
      { name: "alice", project: "p1", roles: ["member"] },
      { name: "carol", project: "p1", roles: ["reader"] },
      { name: "bob", project: "p2", roles: ["member"] },
      { name: "dave", project: "p2", roles: ["member"] },
    ];
    for (const u of users) ids[u.name] = await ks.user({ ...u, password: PASSWORD });
    ids.admin = await ks.user({
      project: "admin",
      name: "admin",
      password: ks.adminPassword,
      roles: ["admin"],
    });
  });
  const keystone = () => {
    if (ks === undefined) throw new Error("the Keystone lab is used before its before() hook ran");
    return ks;
  };
  const auth = (): AuthSettings => ({
    strategy: "keystone",
    service: {
      authUrl: keystone().url,
      username: "neutron",
      password: PASSWORD,
      projectName: "service",
      userDomainName: "Default",
      projectDomainName: "Default",
    },
    wwwAuthenticateUri: keystone().url,
    tokenCacheTime: CACHE_S,
    timeoutS: 5,
    maxRetries: 1,
    serviceTokenRoles: ["service"],
    serviceTokenRolesRequired: true,
  });
  return {
    get ks() {
      return keystone();
    },
    ids,
    tokenOf: (name, project) =>
      keystone().token(name, name === "admin" ? keystone().adminPassword : PASSWORD, project),
    server: (t) => startServer(t, { kind: "sqlite" }, { noauth: false, config: { auth: auth() } }),
  };
}

/** A request as one user: method, path, body. */
export type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

/** A server against the lab's Keystone, and requests as alice and carol (p1), bob (p2) and the admin. */
export async function actors(lab: KeystoneLab, t: Parameters<typeof startServer>[0]) {
  const s = await lab.server(t);
  const as =
    (token: string): Api =>
    (method, path, body) =>
      s.api(method, path, body, token);
  const [alice, carol, bob, admin] = await Promise.all([
    lab.tokenOf("alice", "p1"),
    lab.tokenOf("carol", "p1"),
    lab.tokenOf("bob", "p2"),
    lab.tokenOf("admin", "admin"),
  ]);
  return { alice: as(alice), carol: as(carol), bob: as(bob), admin: as(admin) };
}
