/**
 * Who is calling, from a request's headers, by the configured strategy: `keystone` (tokens validated by
 * Keystone as keystonemiddleware does, cached by hash), `token` (the static admin and agent tokens of a
 * standalone site) or `noauth` (local demos: everyone is an admin). What a caller may then do is the
 * policy's business (policy.ts); this only establishes identity, project and roles.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import {
  KeystoneCredentialsError,
  KeystoneUnavailableError,
  type PasswordCredentials,
  PasswordSession,
  type TokenInfo,
  validateToken,
} from "../../keystone/index.ts";
import { ApiError, forbidden } from "../api-errors.ts";
import type { Access, Caller } from "../http/router.ts";
import { Grants } from "../services/grants.ts";
import { Policy } from "./policy.ts";
import { TokenCache } from "./token-cache.ts";

export type AuthSettings =
  | { readonly strategy: "noauth" }
  | { readonly strategy: "token"; readonly adminToken?: string; readonly agentToken?: string }
  | {
      readonly strategy: "keystone";
      /** The server's own user ([keystone_authtoken] auth_url, username, password, project and domains). */
      readonly service: PasswordCredentials;
      readonly timeoutS: number;
      readonly maxRetries: number;
      /** Sent in WWW-Authenticate with a 401 ([keystone_authtoken] www_authenticate_uri). */
      readonly wwwAuthenticateUri: string;
      /** Seconds a validated token is trusted without asking Keystone again. */
      readonly tokenCacheTime: number;
      readonly serviceTokenRoles: readonly string[];
      readonly serviceTokenRolesRequired: boolean;
    };

export interface Authenticator {
  /** The caller, or an ApiError (401, 403, 503) to answer with. */
  authenticate(headers: IncomingHttpHeaders, access: Access): Promise<Caller>;
  /** Headers every 401 carries (WWW-Authenticate with Keystone). */
  readonly challenge: Readonly<Record<string, string>>;
}

/** An error keystonemiddleware answers itself, before Neutron sees the request: its body, not Neutron's. */
export class AuthError extends ApiError {
  override body(): object {
    const title =
      this.status === 401 ? "Unauthorized" : this.status === 503 ? "Service Unavailable" : "Forbidden";
    return { error: { code: this.status, title, message: this.message } };
  }
}

const unauthenticated = () =>
  new AuthError(401, "Unauthorized", "The request you have made requires authentication.");
const unavailable = (why: string) =>
  new AuthError(503, "ServiceUnavailable", "The Keystone service is temporarily unavailable.", why);

/** The roles Keystone's bootstrap gives an admin (admin implies manager, member and reader). */
const ADMIN_ROLES = ["admin", "manager", "member", "reader"] as const;

export function callerOf(
  projectId: string,
  roles: Iterable<string>,
  userId: string | undefined,
  agentChannel: boolean,
  policy: Policy = Policy.default,
): Caller {
  const set = new Set([...roles].map((r) => r.toLowerCase()));
  const admin = set.has("admin");
  const service = set.has("service");
  return {
    projectId,
    userId,
    roles: set,
    admin,
    service,
    agent: agentChannel && (admin || service),
    policy,
    grants: Grants.none,
  };
}

export function createAuthenticator(
  settings: AuthSettings,
  defaultProjectId: string,
  policy: Policy = Policy.default,
): Authenticator {
  if (settings.strategy === "noauth")
    return {
      challenge: {},
      authenticate: async () =>
        callerOf(defaultProjectId, [...ADMIN_ROLES, "service"], undefined, true, policy),
    };
  const inner =
    settings.strategy === "token"
      ? staticTokens(settings, defaultProjectId, policy)
      : keystone(settings, policy);
  // Public routes (version discovery, /metrics) need no token: an anonymous caller with no role.
  const anonymous = callerOf(defaultProjectId, [], undefined, false, policy);
  return {
    challenge: inner.challenge,
    authenticate: (headers, access) =>
      access === "public" ? Promise.resolve(anonymous) : inner.authenticate(headers, access),
  };
}

function tokenOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const token = Array.isArray(value) ? value[0] : value;
  return token === undefined || token === "" ? undefined : token;
}

/** Compares a token with a configured secret in constant time (over their hashes: lengths differ). */
function sameSecret(token: string | undefined, secret: string | undefined): boolean {
  if (token === undefined || secret === undefined) return false;
  const digest = (v: string) => createHash("sha256").update(v).digest();
  return timingSafeEqual(digest(token), digest(secret));
}

function staticTokens(
  settings: { readonly adminToken?: string; readonly agentToken?: string },
  project: string,
  policy: Policy,
): Authenticator {
  return {
    challenge: {},
    async authenticate(headers, access) {
      const token = tokenOf(headers, "x-auth-token");
      if (sameSecret(token, settings.adminToken))
        return callerOf(project, [...ADMIN_ROLES, "service"], undefined, true, policy);
      if (sameSecret(token, settings.agentToken)) {
        if (access === "agent") return callerOf(project, ["service"], undefined, true, policy);
        throw forbidden("agent tokens may only use the agent channel");
      }
      throw new ApiError(
        401,
        "Unauthorized",
        "The request you have made requires authentication: a valid X-Auth-Token header.",
      );
    },
  };
}

function keystone(settings: Extract<AuthSettings, { strategy: "keystone" }>, policy: Policy): Authenticator {
  const session = new PasswordSession(settings.service, {
    timeoutS: settings.timeoutS,
    maxRetries: settings.maxRetries,
  });
  const cache = new TokenCache(settings.tokenCacheTime);
  const challenge = { "www-authenticate": `Keystone uri="${settings.wwwAuthenticateUri}"` };

  const validate = async (token: string): Promise<TokenInfo | undefined> => {
    const known = cache.get(token);
    if (known !== undefined) return known ?? undefined;
    let info: TokenInfo | undefined;
    try {
      info = await validateToken(session, token);
    } catch (error) {
      // Our own credentials refused is a configuration error, but no reason to pass anyone either.
      if (error instanceof KeystoneUnavailableError || error instanceof KeystoneCredentialsError)
        throw unavailable(error.message);
      throw error;
    }
    cache.put(token, info);
    return info;
  };

  return {
    challenge,
    async authenticate(headers, access) {
      const token = tokenOf(headers, "x-auth-token");
      if (token === undefined) throw unauthenticated();
      const info = await validate(token);
      // Cached answers are checked for expiry again: the cache keeps a token until it expires at most.
      if (info === undefined || info.expiresAt.getTime() <= Date.now()) throw unauthenticated();
      const serviceToken = tokenOf(headers, "x-service-token");
      if (serviceToken !== undefined) {
        const service = await validate(serviceToken);
        const rolesOk = service?.roles.some((r) => settings.serviceTokenRoles.includes(r)) ?? false;
        if (service === undefined || (settings.serviceTokenRolesRequired && !rolesOk))
          throw unauthenticated();
      }
      if (info.projectId === undefined)
        throw new ApiError(
          403,
          "PolicyNotAuthorized",
          "This API needs a project-scoped token: domain- and system-scoped tokens are refused.",
        );
      const caller = callerOf(info.projectId, info.roles, info.userId, access === "agent", policy);
      if (access === "agent" && !caller.agent)
        throw new ApiError(
          403,
          "PolicyNotAuthorized",
          "The agent channel is for agents: the token needs the service or the admin role.",
        );
      return caller;
    },
  };
}
