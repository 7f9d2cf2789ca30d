/**
 * How the agent proves to the server that it is an agent: the static `[weir] token` of a standalone
 * site, or a token of a Keystone service user (`[keystone_authtoken]` in the agent's configuration: the
 * service credentials a Neutron operator gives its agents' host), got with its password and renewed
 * before it expires — or at once, when the server refuses it (revoked, or the server's Keystone restarted
 * with new keys).
 */
import {
  KeystoneCredentialsError,
  KeystoneUnavailableError,
  type PasswordCredentials,
  PasswordSession,
} from "../../keystone/index.ts";

export interface Credentials {
  /** The token for the next request, or undefined (a server without authentication). */
  token(): Promise<string | undefined>;
  /** The server refused the last token: the next token() gets a new one (where there can be one). */
  refused(): void;
  readonly kind: "none" | "token" | "keystone";
}

export function staticCredentials(token: string | undefined): Credentials {
  return {
    kind: token === undefined ? "none" : "token",
    token: () => Promise.resolve(token),
    refused: () => {},
  };
}

export function keystoneCredentials(credentials: PasswordCredentials, timeoutS = 10): Credentials {
  const session = new PasswordSession(credentials, { timeoutS, maxRetries: 2 });
  return {
    kind: "keystone",
    token: () => session.token(),
    refused: () => session.invalidate(),
  };
}

/** Errors of getting a token that mean "the server is out of reach for now" (the agent retries). */
export const isKeystoneError = (error: unknown) =>
  error instanceof KeystoneUnavailableError || error instanceof KeystoneCredentialsError;
