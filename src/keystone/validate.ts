/**
 * A user's token validated as keystonemiddleware does: GET /v3/auth/tokens with the service's own token
 * (X-Auth-Token) and the user's (X-Subject-Token). 404: Keystone does not know it (or it expired) —
 * undefined. 401: the service's own token went bad — renewed and asked again, once. Anything else, or no
 * answer: KeystoneUnavailableError, so the caller answers 503 and passes no one.
 */
import { KeystoneUnavailableError } from "./errors.ts";
import { keystoneRequest, readJson } from "./http.ts";
import type { PasswordSession } from "./password-session.ts";
import { parseToken, type TokenInfo } from "./token.ts";

export async function validateToken(
  session: PasswordSession,
  token: string,
  now: () => number = Date.now,
): Promise<TokenInfo | undefined> {
  for (let attempt = 0; ; attempt++) {
    const own = await session.token();
    const res = await keystoneRequest(
      `${session.authUrl}/auth/tokens?nocatalog`,
      {
        method: "GET",
        headers: { "x-auth-token": own, "x-subject-token": token, accept: "application/json" },
      },
      session.http,
    );
    if (res.status === 404) return undefined;
    if (res.status === 401 && attempt === 0) {
      session.invalidate();
      continue;
    }
    if (res.status !== 200)
      throw new KeystoneUnavailableError(`token validation answered HTTP ${res.status}`);
    const info = parseToken(await readJson(res));
    if (info === undefined) throw new KeystoneUnavailableError("token validation answered no token");
    return info.expiresAt.getTime() <= now() ? undefined : info;
  }
}
