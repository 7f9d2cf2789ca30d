/** A Keystone v3 token body (api-ref authenticate-v3), as far as access decisions need it. */

export interface TokenInfo {
  readonly userId: string;
  readonly userName: string;
  /** Undefined for a domain- or system-scoped token. */
  readonly projectId: string | undefined;
  readonly projectName: string | undefined;
  /** Role names, implied ones included (an admin's token lists member and reader too). */
  readonly roles: readonly string[];
  readonly expiresAt: Date;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

export function parseToken(body: unknown): TokenInfo | undefined {
  const token = isObject(body) ? body.token : undefined;
  if (!isObject(token) || !isObject(token.user)) return undefined;
  const { user, project } = token;
  const expiresAt = new Date(String(token.expires_at));
  if (typeof user.id !== "string" || Number.isNaN(expiresAt.getTime())) return undefined;
  const roles = Array.isArray(token.roles)
    ? token.roles.flatMap((r) => (isObject(r) && typeof r.name === "string" ? [r.name] : []))
    : [];
  return {
    userId: user.id,
    userName: typeof user.name === "string" ? user.name : user.id,
    projectId: isObject(project) && typeof project.id === "string" ? project.id : undefined,
    projectName: isObject(project) && typeof project.name === "string" ? project.name : undefined,
    roles,
    expiresAt,
  };
}
