/** Requests to Keystone: a timeout each, retried on connection failures only (any answer is returned). */
import { KeystoneUnavailableError } from "./errors.ts";

/** The subset of fetch used here (a test of pure logic may pass its own). */
export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export interface HttpOptions {
  /** Seconds per attempt ([keystone_authtoken] http_connect_timeout). */
  readonly timeoutS: number;
  /** Attempts after the first failed one ([keystone_authtoken] http_request_max_retries). */
  readonly maxRetries: number;
  readonly fetch?: Fetch;
}

export async function keystoneRequest(
  url: string,
  init: RequestInit,
  options: HttpOptions,
): Promise<Response> {
  const doFetch = options.fetch ?? ((u: string, i: RequestInit) => fetch(u, i));
  let last: unknown;
  for (let attempt = 0; attempt <= options.maxRetries; attempt++) {
    try {
      return await doFetch(url, { ...init, signal: AbortSignal.timeout(options.timeoutS * 1000) });
    } catch (error) {
      last = error;
    }
  }
  throw new KeystoneUnavailableError(`${new URL(url).origin} did not answer (${reason(last)})`);
}

function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? error.cause.message : error.message;
}

export async function readJson(res: Response): Promise<unknown> {
  try {
    return await res.json();
  } catch {
    return undefined;
  }
}

/** "http://h:5000", "http://h:5000/", "http://h:5000/v3" → "http://h:5000/v3". */
export const v3 = (authUrl: string) => `${authUrl.replace(/\/+$/, "").replace(/\/v3$/, "")}/v3`;
