/**
 * A project-scoped token got with a user's password (POST /v3/auth/tokens), kept until a minute before
 * it expires and renewed on demand: the server's own token (to validate users' tokens with) and an
 * agent's (to call the server with).
 */
import { KeystoneCredentialsError, KeystoneUnavailableError } from "./errors.ts";
import { type HttpOptions, keystoneRequest, readJson, v3 } from "./http.ts";
import { parseToken } from "./token.ts";

export interface PasswordCredentials {
  readonly authUrl: string;
  readonly username: string;
  readonly password: string;
  readonly projectName: string;
  readonly userDomainName: string;
  readonly projectDomainName: string;
}

export class PasswordSession {
  readonly #credentials: PasswordCredentials;
  readonly #http: HttpOptions;
  readonly #now: () => number;
  #token: { value: string; expiresAt: number } | undefined;
  #pending: Promise<string> | undefined;

  constructor(credentials: PasswordCredentials, http: HttpOptions, now: () => number = Date.now) {
    this.#credentials = credentials;
    this.#http = http;
    this.#now = now;
  }

  get authUrl(): string {
    return v3(this.#credentials.authUrl);
  }

  get http(): HttpOptions {
    return this.#http;
  }

  /** A valid token: the held one, or a new one (one request however many callers wait for it). */
  token(): Promise<string> {
    const held = this.#token;
    if (held !== undefined && held.expiresAt - 60_000 > this.#now()) return Promise.resolve(held.value);
    this.#pending ??= this.#authenticate().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /** Forgets the held token (Keystone refused it: revoked, or expired early). */
  invalidate(): void {
    this.#token = undefined;
  }

  async #authenticate(): Promise<string> {
    const c = this.#credentials;
    const res = await keystoneRequest(
      `${this.authUrl}/auth/tokens?nocatalog`,
      {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({
          auth: {
            identity: {
              methods: ["password"],
              password: {
                user: { name: c.username, password: c.password, domain: { name: c.userDomainName } },
              },
            },
            scope: { project: { name: c.projectName, domain: { name: c.projectDomainName } } },
          },
        }),
      },
      this.#http,
    );
    if (res.status === 401)
      throw new KeystoneCredentialsError(
        `Keystone at ${this.authUrl} refused the password of ${c.username} (domain ${c.userDomainName}) for project ${c.projectName} (domain ${c.projectDomainName})`,
      );
    if (res.status !== 201 && res.status !== 200)
      throw new KeystoneUnavailableError(`authenticating ${c.username} answered HTTP ${res.status}`);
    const value = res.headers.get("x-subject-token");
    const info = parseToken(await readJson(res));
    if (value === null || info === undefined)
      throw new KeystoneUnavailableError(`authenticating ${c.username} answered no token`);
    this.#token = { value, expiresAt: info.expiresAt.getTime() };
    return value;
  }
}
