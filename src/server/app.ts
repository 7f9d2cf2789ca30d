/**
 * The server: the Networking API v2.0, the agent channel and /metrics on one HTTP listener, over one store.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { describeError } from "../base/index.ts";
import { AgentRoutes } from "../protocol/index.ts";
import { agentChannelRoutes } from "./agent-channel/routes.ts";
import { StreamHub } from "./agent-channel/stream-hub.ts";
import { addressGroupRoutes } from "./api/address-groups.ts";
import { addressScopeRoutes } from "./api/address-scopes.ts";
import { agentRoutes } from "./api/agents.ts";
import { floatingIpRoutes } from "./api/floating-ips.ts";
import { networkRoutes } from "./api/networks.ts";
import { portRoutes } from "./api/ports.ts";
import { qosRoutes } from "./api/qos.ts";
import { quotaRoutes } from "./api/quotas.ts";
import { rbacRoutes } from "./api/rbac-policies.ts";
import { routerRoutes } from "./api/routers.ts";
import { securityGroupRoutes } from "./api/security-groups.ts";
import { subnetPoolRoutes } from "./api/subnet-pools.ts";
import { subnetRoutes } from "./api/subnets.ts";
import { tagRoutes } from "./api/tags.ts";
import { versionRoutes } from "./api/versions.ts";
import { ApiError } from "./api-errors.ts";
import { type Authenticator, createAuthenticator } from "./auth/authenticator.ts";
import type { ServerConfig } from "./config.ts";
import { type ApiRequest, Router } from "./http/router.ts";
import { serverMetrics } from "./metrics.ts";
import type { ServiceContext } from "./services/context.ts";
import { grantsOf } from "./services/grants.ts";
import { type Store, StoreConstraintError } from "./store/index.ts";

export interface ServerOptions {
  readonly store: Store;
  readonly config: ServerConfig;
  readonly noauth: boolean;
  readonly logger: Logger;
  readonly now?: () => Date;
}

const MAX_BODY = 1024 * 1024;

export class WeirServer {
  readonly #http: Server;
  readonly #router = new Router();
  readonly #hub: StreamHub;
  readonly #ctx: ServiceContext;
  readonly #options: ServerOptions;
  readonly #metrics: ReturnType<typeof serverMetrics>;
  readonly #pruner: NodeJS.Timeout;
  readonly #auth: Authenticator;

  private constructor(options: ServerOptions, revision: number) {
    this.#options = options;
    const { auth, adminToken, agentToken } = options.config;
    this.#auth = createAuthenticator(
      options.noauth
        ? { strategy: "noauth" }
        : auth.strategy === "token"
          ? { strategy: "token", adminToken, agentToken }
          : auth,
      options.config.defaultProjectId,
      options.config.policy,
    );
    this.#ctx = { config: options.config, store: options.store, now: options.now ?? (() => new Date()) };
    this.#hub = new StreamHub(options.store, revision, undefined, (error) =>
      options.logger.warn(
        { error: describeError(error) },
        "event stream pump failed; retrying on the next commit",
      ),
    );
    this.#metrics = serverMetrics({
      connectedAgents: () => this.#hub.connected,
      streamLag: () => this.#hub.lag,
    });
    versionRoutes(this.#router);
    networkRoutes(this.#router, this.#ctx);
    subnetRoutes(this.#router, this.#ctx);
    portRoutes(this.#router, this.#ctx);
    qosRoutes(this.#router, this.#ctx);
    securityGroupRoutes(this.#router, this.#ctx);
    addressGroupRoutes(this.#router, this.#ctx);
    addressScopeRoutes(this.#router, this.#ctx);
    subnetPoolRoutes(this.#router, this.#ctx);
    quotaRoutes(this.#router, this.#ctx);
    rbacRoutes(this.#router, this.#ctx);
    routerRoutes(this.#router, this.#ctx);
    floatingIpRoutes(this.#router, this.#ctx);
    tagRoutes(this.#router, this.#ctx);
    agentRoutes(this.#router, this.#ctx);
    agentChannelRoutes(this.#router, this.#ctx, this.#hub);
    this.#router.add({
      method: "GET",
      pattern: "/metrics",
      access: "public",
      handler: async (req) => {
        req.res.writeHead(200, { "content-type": this.#metrics.registry.contentType });
        req.res.end(await this.#metrics.registry.metrics());
        return "streamed";
      },
    });
    this.#http = createServer((req, res) => void this.#handle(req, res));
    this.#http.keepAliveTimeout = 65_000;
    // Old events are only needed by agents resuming a stream; keep a bounded log.
    this.#pruner = setInterval(
      () => void options.store.pruneEvents(options.config.eventRetention).catch(() => {}),
      60_000,
    );
    this.#pruner.unref();
  }

  static async create(options: ServerOptions): Promise<WeirServer> {
    return new WeirServer(options, await options.store.currentRevision());
  }

  /** Listens on host:port (port 0 picks a free one); resolves with the bound address. */
  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#http.once("error", reject);
      this.#http.listen(port, host, () => {
        this.#http.off("error", reject);
        resolve(this.#http.address() as AddressInfo);
      });
    });
  }

  async close(): Promise<void> {
    clearInterval(this.#pruner);
    this.#hub.close();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
    this.#http.closeAllConnections();
  }

  async #handle(raw: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(raw.url ?? "/", "http://localhost");
    const path = url.pathname.replace(/\.json$/, "").replace(/\/+$/, "") || "/";
    const method = raw.method ?? "GET";
    let route = "unmatched";
    let status = 500;
    try {
      const matched = this.#router.match(method, path);
      if ("allowed" in matched) {
        status = matched.allowed.length > 0 ? 405 : 404;
        if (status === 405) res.setHeader("allow", matched.allowed.join(", "));
        this.#json(
          res,
          status,
          new ApiError(
            status,
            status === 405 ? "HTTPMethodNotAllowed" : "HTTPNotFound",
            status === 405
              ? `The method ${method} is not allowed for ${path}.`
              : `The resource ${path} could not be found.`,
          ).body(),
        );
        return;
      }
      route = matched.route.pattern;
      const authenticated = await this.#auth.authenticate(raw.headers, matched.route.access);
      // What RBAC entries give the caller's project, read once for the request's policy checks.
      const caller =
        matched.route.access === "api"
          ? { ...authenticated, grants: await grantsOf(this.#ctx.store.query, authenticated.projectId) }
          : authenticated;
      const host = raw.headers.host ?? "localhost";
      const request: ApiRequest = {
        method,
        path,
        params: matched.params,
        query: url.searchParams,
        caller,
        baseUrl: `http://${host}`,
        raw,
        res,
        body: () => readJson(raw),
      };
      const response = await matched.route.handler(request);
      if (response === "streamed") {
        status = res.statusCode;
        return;
      }
      status = response.status;
      this.#json(res, status, response.body);
    } catch (error) {
      status = this.#fail(res, error, method, path);
    } finally {
      const labels = { route, method };
      this.#metrics.requests.inc({ ...labels, status: String(status) });
      this.#metrics.latency.observe(labels, (performance.now() - started) / 1000);
      if (route !== AgentRoutes.stream) {
        this.#options.logger.info(
          { method, path, status, ms: Math.round((performance.now() - started) * 10) / 10 },
          "request",
        );
      }
    }
  }

  #fail(res: ServerResponse, error: unknown, method: string, path: string): number {
    const apiError =
      error instanceof ApiError
        ? error
        : error instanceof StoreConstraintError
          ? new ApiError(
              409,
              "Conflict",
              `The request conflicts with the current state (${error.constraint}); retry it.`,
            )
          : undefined;
    if (apiError !== undefined) {
      // keystonemiddleware puts its challenge on every 401, whoever raised it.
      if (apiError.status === 401)
        for (const [k, v] of Object.entries(this.#auth.challenge)) res.setHeader(k, v);
      if (apiError.status === 503 && apiError.detail !== "")
        this.#options.logger.warn(
          { method, path, why: apiError.detail },
          "request refused: Keystone unavailable",
        );
      this.#json(res, apiError.status, apiError.body());
      return apiError.status;
    }
    this.#options.logger.error({ err: error, method, path }, "request failed");
    if (!res.headersSent) {
      this.#json(
        res,
        500,
        new ApiError(
          500,
          "HTTPInternalServerError",
          "Request Failed: internal server error while processing your request.",
        ).body(),
      );
    } else res.end();
    return 500;
  }

  #json(res: ServerResponse, status: number, body: unknown): void {
    if (res.headersSent) return;
    if (body === undefined) {
      res.writeHead(status, { "content-length": "0" });
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  }
}

async function readJson(raw: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of raw) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY)
      throw new ApiError(413, "HTTPRequestEntityTooLarge", `Request body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") throw new ApiError(400, "HTTPBadRequest", "Malformed request body: empty");
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "HTTPBadRequest", "Malformed request body: not JSON");
  }
}
