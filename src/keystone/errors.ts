import { WeirError } from "../base/index.ts";

/** Keystone did not answer, timed out, or answered what it should not: the caller must not pass anyone. */
export class KeystoneUnavailableError extends WeirError {
  constructor(why: string) {
    super("WEIR_KEYSTONE_UNAVAILABLE", `Keystone is unavailable: ${why}`);
  }
}

/** Keystone refused the configured credentials (a wrong password, user, project or domain). */
export class KeystoneCredentialsError extends WeirError {
  constructor(why: string) {
    super("WEIR_KEYSTONE_CREDENTIALS", why);
  }
}
