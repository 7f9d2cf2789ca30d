// The password session's bookkeeping (a scripted Keystone; the real one is in
// test/integration/keystone-auth.test.ts): one login however many callers wait, the token reused until a
// minute before it expires, a new one after it is refused, and Keystone's answers as typed errors.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  KeystoneCredentialsError,
  KeystoneUnavailableError,
  PasswordSession,
} from "../../src/keystone/index.ts";

const credentials = {
  authUrl: "http://keystone.invalid:5000/v3/",
  username: "weir-agent",
  password: "secret",
  projectName: "service",
  userDomainName: "Default",
  projectDomainName: "Default",
};

/** A Keystone answering logins with tokens t1, t2… that expire `lifetimeMs` after `now()`. */
function scripted(now: () => number, lifetimeMs: number, status = 201) {
  const calls: string[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    calls.push(`${init.method} ${url}`);
    const body = {
      token: {
        user: { id: "u", name: "weir-agent" },
        expires_at: new Date(now() + lifetimeMs).toISOString(),
      },
    };
    return new Response(JSON.stringify(body), { status, headers: { "x-subject-token": `t${calls.length}` } });
  };
  return { calls, fetch };
}

test("one login for concurrent callers, reused until a minute before expiry, renewed after a refusal", async () => {
  let now = Date.parse("2026-12-02T12:00:00Z");
  const k = scripted(() => now, 10 * 60_000);
  const session = new PasswordSession(credentials, { timeoutS: 1, maxRetries: 0, fetch: k.fetch }, () => now);
  assert.deepEqual(await Promise.all([session.token(), session.token(), session.token()]), [
    "t1",
    "t1",
    "t1",
  ]);
  assert.deepEqual(k.calls, ["POST http://keystone.invalid:5000/v3/auth/tokens?nocatalog"]);
  now += 8 * 60_000;
  assert.equal(await session.token(), "t1", "two minutes left: kept");
  now += 90_000;
  assert.equal(await session.token(), "t2", "30 s left: renewed");
  session.invalidate();
  assert.equal(await session.token(), "t3", "refused by the server: a new one at once");
  assert.equal(k.calls.length, 3);
});

test("a refused password is a credentials error naming the user; no answer is Keystone unavailable", async () => {
  const refused = scripted(Date.now, 60_000, 401);
  const bad = new PasswordSession(credentials, { timeoutS: 1, maxRetries: 0, fetch: refused.fetch });
  await assert.rejects(
    bad.token(),
    (e) => e instanceof KeystoneCredentialsError && /weir-agent/.test(e.message),
  );
  let attempts = 0;
  const down = new PasswordSession(credentials, {
    timeoutS: 1,
    maxRetries: 2,
    fetch: async () => {
      attempts++;
      throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED") });
    },
  });
  await assert.rejects(
    down.token(),
    (e) => e instanceof KeystoneUnavailableError && /ECONNREFUSED/.test(e.message),
  );
  assert.equal(attempts, 3, "the first try and two retries");
});
