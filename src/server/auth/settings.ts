/**
 * How the server authenticates, from the keys a Neutron operator already has: `[DEFAULT] auth_strategy`
 * (keystone or noauth, as neutron.conf; Weir adds `token`, the static tokens of [weir] for standalone
 * sites, which is the default when no strategy is given) and `[keystone_authtoken]` (keystonemiddleware's
 * options). Options of keystonemiddleware that change nothing here (memcached, TLS files, the catalog)
 * are accepted and named in the start-up log rather than refused, so that an operator's neutron.conf
 * section loads as it is.
 */
import { type IniSections, InvalidArgumentError } from "../../base/index.ts";
import { PASSWORD_KEYS, passwordCredentials } from "../../keystone/index.ts";
import type { AuthSettings } from "./authenticator.ts";

/** The [keystone_authtoken] keys read; the rest of keystonemiddleware's options are `IGNORED_KEYS`. */
export const KEYSTONE_KEYS = [
  ...PASSWORD_KEYS,
  "www_authenticate_uri",
  "auth_uri",
  "user_domain_id",
  "project_domain_id",
  "token_cache_time",
  "http_connect_timeout",
  "http_request_max_retries",
  "service_token_roles",
  "service_token_roles_required",
  "delay_auth_decision",
] as const;

/** keystonemiddleware options accepted for compatibility that Weir does not act on. */
export const IGNORED_KEYS = [
  "memcached_servers",
  "memcache_security_strategy",
  "memcache_secret_key",
  "memcache_use_advanced_pool",
  "cafile",
  "certfile",
  "keyfile",
  "insecure",
  "region_name",
  "interface",
  "include_service_catalog",
  "service_type",
  "auth_version",
] as const;

/** The strategy and Keystone's settings; the static tokens of `token` are [weir]'s (ServerConfig). */
export function parseAuthSettings(sections: IniSections): AuthSettings {
  const field = (key: string) => sections.where("keystone_authtoken", key);
  const strategy = sections.get("DEFAULT", "auth_strategy") ?? "token";
  if (strategy === "noauth") return { strategy };
  if (strategy === "token") return { strategy };
  if (strategy !== "keystone")
    throw new InvalidArgumentError(
      sections.where("DEFAULT", "auth_strategy"),
      `${JSON.stringify(strategy)} is not an auth strategy (keystone, noauth, token)`,
    );
  const get = (key: string) => sections.get("keystone_authtoken", key);
  if (
    get("delay_auth_decision") !== undefined &&
    sections.bool("keystone_authtoken", "delay_auth_decision", false)
  )
    throw new InvalidArgumentError(
      field("delay_auth_decision"),
      "true is not supported: every API request is authenticated before it is handled",
    );
  if (get("user_domain_id") !== undefined || get("project_domain_id") !== undefined)
    throw new InvalidArgumentError(
      field(get("user_domain_id") !== undefined ? "user_domain_id" : "project_domain_id"),
      "domains are given by name here: use user_domain_name and project_domain_name",
    );
  const service = passwordCredentials(sections, "keystone_authtoken", "with auth_strategy = keystone");
  const www = get("www_authenticate_uri") ?? get("auth_uri") ?? service.authUrl;
  checkUrl(www, field(get("www_authenticate_uri") !== undefined ? "www_authenticate_uri" : "auth_uri"));
  return {
    strategy,
    service,
    wwwAuthenticateUri: www,
    tokenCacheTime: sections.int("keystone_authtoken", "token_cache_time", 300, -1, 86_400),
    timeoutS: sections.int("keystone_authtoken", "http_connect_timeout", 10, 1, 600),
    maxRetries: sections.int("keystone_authtoken", "http_request_max_retries", 3, 0, 20),
    serviceTokenRoles: sections.list("keystone_authtoken", "service_token_roles", ["service"]),
    serviceTokenRolesRequired: sections.bool("keystone_authtoken", "service_token_roles_required", true),
  };
}

function checkUrl(value: string, where: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(where, `${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new InvalidArgumentError(where, `${JSON.stringify(value)} is not an http(s) URL`);
}
