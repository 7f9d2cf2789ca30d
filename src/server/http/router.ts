import type { IncomingMessage, ServerResponse } from "node:http";
import type { Caller as ServiceCaller } from "../services/context.ts";

/** A service's caller, and whether it may use the agent channel (an agent: the service or admin role). */
export interface Caller extends ServiceCaller {
  readonly agent: boolean;
}

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly caller: Caller;
  /** The absolute URL the client used up to the path (for links). */
  readonly baseUrl: string;
  readonly raw: IncomingMessage;
  readonly res: ServerResponse;
  body(): Promise<unknown>;
}

/** A JSON response, or "streamed" when the handler wrote the response itself (SSE). */
export type ApiResponse = { readonly status: number; readonly body?: unknown } | "streamed";

export type Access = "public" | "api" | "agent";

export interface Route {
  readonly method: string;
  /** "/v2.0/networks/:id" */
  readonly pattern: string;
  /** public: no token needed; api: any authenticated caller (the policy decides); agent: agents only. */
  readonly access: Access;
  readonly handler: (req: ApiRequest) => Promise<ApiResponse>;
}

interface Compiled extends Route {
  readonly regex: RegExp;
  readonly names: readonly string[];
}

/** Method + path matching with :params; the matched pattern is the route's name in metrics. */
export class Router {
  readonly #routes: Compiled[] = [];

  add(route: Route): this {
    const names: string[] = [];
    const source = route.pattern.replace(/:([a-z_]+)/g, (_, name: string) => {
      names.push(name);
      return "([^/]+)";
    });
    this.#routes.push({ ...route, regex: new RegExp(`^${source}/?$`), names });
    return this;
  }

  /** The route, its params — or which methods the path allows (for 405). */
  match(
    method: string,
    path: string,
  ): { route: Route; params: Record<string, string> } | { allowed: string[] } {
    const allowed: string[] = [];
    for (const route of this.#routes) {
      const m = route.regex.exec(path);
      if (m === null) continue;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1]!);
      });
      return { route, params };
    }
    return { allowed };
  }
}
