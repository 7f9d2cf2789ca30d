/**
 * A Keystone password login in an INI section, as `[keystone_authtoken]` writes it in neutron.conf and
 * in Weir's agent.ini: the same keys and the same checks for the server's own user and an agent's.
 */
import { type IniSections, InvalidArgumentError } from "../base/index.ts";
import type { PasswordCredentials } from "./password-session.ts";

export const PASSWORD_KEYS = [
  "auth_url",
  "auth_type",
  "username",
  "password",
  "project_name",
  "user_domain_name",
  "project_domain_name",
] as const;

/** The section's credentials; `context` says why they are needed ("with auth_strategy = keystone"). */
export function passwordCredentials(cfg: IniSections, section: string, context: string): PasswordCredentials {
  const get = (key: string) => cfg.get(section, key);
  const required = (key: string) => {
    const value = get(key);
    if (value === undefined || value === "")
      throw new InvalidArgumentError(cfg.where(section, key), `is required ${context}`);
    return value;
  };
  const authUrl = required("auth_url");
  let url: URL | undefined;
  try {
    url = new URL(authUrl);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:"))
    throw new InvalidArgumentError(
      cfg.where(section, "auth_url"),
      `${JSON.stringify(authUrl)} is not an http(s) URL`,
    );
  const authType = get("auth_type") ?? "password";
  if (authType !== "password")
    throw new InvalidArgumentError(
      cfg.where(section, "auth_type"),
      `${JSON.stringify(authType)}: only password is supported`,
    );
  return {
    authUrl,
    username: required("username"),
    password: required("password"),
    projectName: required("project_name"),
    userDomainName: get("user_domain_name") ?? "Default",
    projectDomainName: get("project_domain_name") ?? "Default",
  };
}
