/**
 * A private Keystone for tests and the API suites: Debian's keystone (`keystone-manage`,
 * `keystone-wsgi-public`, whose pbr script serves the app with wsgiref on loopback) over SQLite in a run
 * directory of its own, with fernet keys there too, bootstrapped with an admin, and with the roles
 * Keystone 22 does not create itself (`service`, `manager`). Its pid is in `keystone.pid` so that a
 * crashed run's Keystone is found and stopped by the testbed sweep (stopKeystoneIn), and only that one.
 */
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { WeirError, waitFor } from "../base/index.ts";
import { isAlive, isOurProcess, readPidfile, stopProcess } from "./processes.ts";
import { freeLoopbackPort } from "./server-process.ts";

const run = promisify(execFile);
const KEYSTONE_PIDFILE = "keystone.pid";
const KEYSTONE_LOG = "keystone.log";
const WSGI = "/usr/bin/keystone-wsgi-public";

export interface KeystoneProcess {
  /** http://127.0.0.1:PORT (the v3 API is under /v3). */
  readonly url: string;
  readonly dir: string;
  readonly adminPassword: string;
  /** An admin token (project admin, domain Default), for setting users and roles up. */
  adminToken(): Promise<string>;
  /** Creates (or finds) a project, a user with a password in it, and gives the user these roles there. */
  user(spec: { project: string; name: string; password: string; roles: readonly string[] }): Promise<{
    projectId: string;
    userId: string;
  }>;
  /** A token of a user (POST /v3/auth/tokens), scoped to a project, or "system" for a system-scoped one. */
  token(name: string, password: string, project: string): Promise<string>;
  /** Registers a service of `type` at `url` in the catalog (public, internal and admin endpoints). */
  registerService(type: string, name: string, url: string): Promise<void>;
  /** Revokes a token (DELETE /v3/auth/tokens). */
  revokeToken(token: string): Promise<void>;
  /** Takes a role off a user in a project. */
  revokeRole(user: string, project: string, role: string): Promise<void>;
  /** Stops the server (SIGTERM; its data stays, so start() brings the same Keystone back). */
  stop(): Promise<void>;
  /** Starts it again after stop() (nothing when it runs). */
  start(): Promise<void>;
}

/** Whether this machine has Debian's keystone (setup installs it). */
export async function keystoneInstalled(): Promise<boolean> {
  return readFile(WSGI).then(
    () => true,
    () => false,
  );
}

/** Sets up and starts a Keystone in `dir` (created), listening on a free loopback port. */
export async function startKeystone(
  dir: string,
  options: { tokenExpirationS?: number } = {},
): Promise<KeystoneProcess> {
  if (!(await keystoneInstalled()))
    throw new WeirError("WEIR_KEYSTONE_MISSING", `${WSGI} is missing: install Debian's keystone package`);
  await mkdir(dir, { recursive: true });
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  const conf = join(dir, "keystone.conf");
  await writeFile(
    conf,
    [
      "[DEFAULT]",
      `log_file = ${join(dir, KEYSTONE_LOG)}`,
      "[database]",
      `connection = sqlite:///${join(dir, "keystone.db")}`,
      "[token]",
      "provider = fernet",
      `expiration = ${options.tokenExpirationS ?? 3600}`,
      "[fernet_tokens]",
      `key_repository = ${join(dir, "fernet-keys")}`,
      "[credential]",
      `key_repository = ${join(dir, "credential-keys")}`,
      // Keystone's in-process cache (dogpile's memory backend: one process, nothing to run beside it).
      // Without it every request re-reads roles, assignments and the catalog through SQLite on a fresh
      // connection, and Keystone became the bottleneck of a compat run, one core at 100 %: measured
      // (2026-12-03, this machine) 587 ms per token, validation or role list, 2.4 s per user with a
      // project; cached, 18 ms and 212 ms. Keystone invalidates what it caches itself when roles,
      // assignments or tokens change, so a revoked role or token still takes effect at once.
      "[cache]",
      "enabled = true",
      "backend = dogpile.cache.memory",
      // bcrypt's default 12 rounds cost ~0.3 s of CPU per user created and per password login, and
      // OpenStack's API tests make a user or two per test class. A test Keystone's passwords need no
      // strength: 4 rounds, bcrypt's minimum.
      "[identity]",
      "password_hash_rounds = 4",
      "",
    ].join("\n"),
  );
  const manage = (args: string[]) =>
    run("keystone-manage", ["--config-file", conf, ...args], { timeout: 300_000 });
  await manage(["db_sync"]);
  // Keystone reads and writes SQLite through two engines (oslo.db's reader and writer): in the default
  // rollback journal a reader's lock makes a write's commit fail ("database is locked"); WAL lets them
  // pass each other. The mode is kept in the file.
  await run("python3", [
    "-c",
    "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA journal_mode=WAL'); c.close()",
    join(dir, "keystone.db"),
  ]);
  for (const what of ["fernet_setup", "credential_setup"])
    await manage([what, "--keystone-user", "root", "--keystone-group", "root"]);
  const adminPassword = "weir-admin-secret";
  await manage([
    "bootstrap",
    "--bootstrap-password",
    adminPassword,
    "--bootstrap-admin-url",
    `${url}/v3/`,
    "--bootstrap-internal-url",
    `${url}/v3/`,
    "--bootstrap-public-url",
    `${url}/v3/`,
    "--bootstrap-region-id",
    "RegionOne",
  ]);

  let child: ReturnType<typeof spawn> | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const start = async () => {
    if (running()) return;
    const log = createWriteStream(join(dir, "wsgi.log"), { flags: "a" });
    await once(log, "open");
    // The marker (the run directory) is on the command line, so a sweep can tell this process is ours.
    child = spawn(WSGI, ["--host", "127.0.0.1", "--port", String(port), "--", "--config-file", conf], {
      stdio: ["ignore", log, log],
      detached: true,
      env: { ...process.env, OS_KEYSTONE_CONFIG_FILES: conf },
    });
    if (child.pid === undefined)
      throw new WeirError("WEIR_KEYSTONE_SPAWN", "could not start keystone-wsgi-public");
    await writeFile(join(dir, KEYSTONE_PIDFILE), `${child.pid}\n`);
    exited = once(child, "exit").then(() => log.end());
    await waitFor(
      async () => {
        if (child?.exitCode !== null) {
          const text = await readFile(join(dir, "wsgi.log"), "utf8").catch(() => "");
          throw new WeirError("WEIR_KEYSTONE_EXITED", `keystone exited at start:\n${text.slice(-2000)}`);
        }
        const response = await fetch(`${url}/v3`).catch(() => undefined);
        return response?.ok ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: `keystone on ${url}` },
    );
  };
  const stop = async () => {
    if (running()) child!.kill("SIGTERM");
    await exited;
    await rm(join(dir, KEYSTONE_PIDFILE), { force: true });
  };
  await start();

  const api = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}/v3${path}`, {
      method,
      headers: { "x-auth-token": token, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok && !(method === "POST" && res.status === 409))
      throw new WeirError(
        "WEIR_KEYSTONE_API",
        `keystone ${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`,
      );
    return { status: res.status, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
  };
  /** A token of `name`, scoped to a project by name, or to the whole system (`system`). */
  const token = async (name: string, password: string, project: string | "system") => {
    const scope =
      project === "system"
        ? { system: { all: true } }
        : { project: { name: project, domain: { name: "Default" } } };
    const res = await fetch(`${url}/v3/auth/tokens?nocatalog`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ["password"],
            password: { user: { name, password, domain: { name: "Default" } } },
          },
          scope,
        },
      }),
    });
    const subject = res.headers.get("x-subject-token");
    if (res.status !== 201 || subject === null)
      throw new WeirError("WEIR_KEYSTONE_AUTH", `keystone refused ${name} in ${project}: HTTP ${res.status}`);
    return subject;
  };
  const adminToken = () => token("admin", adminPassword, "admin");
  const find = async (admin: string, kind: "projects" | "users" | "roles", name: string) => {
    const { body } = await api(admin, "GET", `/${kind}?name=${encodeURIComponent(name)}`);
    return (body[kind] as { id: string }[])[0]?.id;
  };
  const ensure = async (
    admin: string,
    kind: "projects" | "users" | "roles",
    entity: Record<string, unknown>,
  ) => {
    const name = String(entity.name);
    const known = await find(admin, kind, name);
    if (known !== undefined) return known;
    const singular = kind.slice(0, -1);
    const { body } = await api(admin, "POST", `/${kind}`, { [singular]: entity });
    return (body[singular] as { id: string }).id;
  };
  {
    const admin = await adminToken();
    for (const role of ["service", "manager"]) await ensure(admin, "roles", { name: role });
  }

  return {
    url,
    dir,
    adminPassword,
    adminToken,
    token,
    async user({ project, name, password, roles }) {
      const admin = await adminToken();
      const projectId = await ensure(admin, "projects", { name: project, domain_id: "default" });
      const userId = await ensure(admin, "users", {
        name,
        password,
        domain_id: "default",
        default_project_id: projectId,
      });
      for (const role of roles) {
        const roleId = await ensure(admin, "roles", { name: role });
        await api(admin, "PUT", `/projects/${projectId}/users/${userId}/roles/${roleId}`);
      }
      return { projectId, userId };
    },
    async registerService(type, name, url) {
      const admin = await adminToken();
      const { body } = await api(admin, "GET", `/services?type=${encodeURIComponent(type)}`);
      let id = (body.services as { id: string }[])[0]?.id;
      if (id === undefined) {
        const made = await api(admin, "POST", "/services", { service: { type, name, enabled: true } });
        id = (made.body.service as { id: string }).id;
      }
      for (const iface of ["public", "internal", "admin"])
        await api(admin, "POST", "/endpoints", {
          endpoint: { service_id: id, interface: iface, url, region_id: "RegionOne", enabled: true },
        });
    },
    async revokeToken(token) {
      const admin = await adminToken();
      const res = await fetch(`${url}/v3/auth/tokens`, {
        method: "DELETE",
        headers: { "x-auth-token": admin, "x-subject-token": token },
      });
      if (res.status !== 204)
        throw new WeirError("WEIR_KEYSTONE_API", `revoking a token: HTTP ${res.status}`);
    },
    async revokeRole(user, project, role) {
      const admin = await adminToken();
      const [u, p, r] = await Promise.all([
        find(admin, "users", user),
        find(admin, "projects", project),
        find(admin, "roles", role),
      ]);
      if (u === undefined || p === undefined || r === undefined)
        throw new WeirError("WEIR_KEYSTONE_API", `no ${user}, ${project} or ${role} to revoke`);
      await api(admin, "DELETE", `/projects/${p}/users/${u}/roles/${r}`);
    },
    stop,
    start,
  };
}

/** Stops a Keystone left in `dir` by a crashed run: by its pidfile, checked to be that run's process. */
export async function stopKeystoneIn(dir: string): Promise<string[]> {
  const path = join(dir, KEYSTONE_PIDFILE);
  const pid = await readPidfile(path);
  if (pid === undefined || !(await isAlive(pid))) return [];
  // comm is the script's interpreter name or the script's (truncated to 15 characters).
  const ours =
    (await isOurProcess(pid, "keystone-wsgi-p", dir)) ||
    (await isOurProcess(pid, "python3", dir)) ||
    (await isOurProcess(pid, "keystone-wsgi-public", dir));
  if (!ours) return [];
  await stopProcess(pid, 3_000);
  await rm(path, { force: true });
  return [`keystone ${pid}`];
}
