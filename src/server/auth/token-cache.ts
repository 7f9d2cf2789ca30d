/**
 * Validated tokens, kept at most `token_cache_time` seconds and never past their expiry, under the
 * SHA-256 of the token (as keystonemiddleware's cache): the token itself is never held, so a memory dump
 * of the server gives no usable credential. Invalid tokens are kept too (a token Keystone refused never
 * becomes valid), so a client retrying a bad token does not reach Keystone each time. Bounded: the
 * oldest entries go first.
 */
import { createHash } from "node:crypto";
import type { TokenInfo } from "../../keystone/index.ts";

interface Entry {
  readonly info: TokenInfo | undefined;
  readonly until: number;
}

export class TokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(ttlS: number, options: { max?: number; now?: () => number } = {}) {
    this.#ttlMs = ttlS * 1000;
    this.#max = options.max ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached answer: a token's info, `null` for a token known to be invalid, undefined when unknown. */
  get(token: string): TokenInfo | null | undefined {
    const key = hashOf(token);
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.info ?? null;
  }

  put(token: string, info: TokenInfo | undefined): void {
    if (this.#ttlMs <= 0) return;
    const now = this.#now();
    const until = Math.min(now + this.#ttlMs, info?.expiresAt.getTime() ?? Number.POSITIVE_INFINITY);
    if (until <= now) return;
    const key = hashOf(token);
    this.#entries.delete(key);
    this.#entries.set(key, { info, until });
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }
}

const hashOf = (token: string) => createHash("sha256").update(token).digest("hex");
