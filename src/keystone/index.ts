/** Keystone v3 as a client: password sessions, token validation. Knows nothing of Neutron or OVS. */
export { KeystoneCredentialsError, KeystoneUnavailableError } from "./errors.ts";
export { type Fetch, type HttpOptions, v3 } from "./http.ts";
export { PASSWORD_KEYS, passwordCredentials } from "./ini.ts";
export { type PasswordCredentials, PasswordSession } from "./password-session.ts";
export { parseToken, type TokenInfo } from "./token.ts";
export { validateToken } from "./validate.ts";
