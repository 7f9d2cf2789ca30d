import type { z } from "zod";
import {
  AgentRoutes,
  DeviceDetailsRequest,
  DeviceDetailsResponse,
  DeviceStatusRequest,
  DeviceStatusResponse,
  ReportStateRequest,
  ReportStateResponse,
  SyncRequest,
  SyncResponse,
} from "../../protocol/index.ts";
import { ApiError, badRequest } from "../api-errors.ts";
import type { ApiRequest, Router } from "../http/router.ts";
import { devicesDetails, devicesStatus, sync } from "../services/agent-channel.ts";
import { reportState } from "../services/agents.ts";
import type { ServiceContext } from "../services/context.ts";
import type { StreamHub } from "./stream-hub.ts";

/** Validates a message with its protocol schema; the error names the first problem. */
function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new ApiError(
    400,
    "HTTPBadRequest",
    `Invalid ${what}: ${issue.path.join(".") || "body"}: ${issue.message}`,
  );
}

/** Responses are validated too: a server bug must not reach agents as a malformed message. */
function reply<T>(schema: z.ZodType<T>, value: T) {
  return { status: 200, body: schema.parse(value) };
}

export function agentChannelRoutes(router: Router, ctx: ServiceContext, hub: StreamHub): void {
  router.add({
    method: "POST",
    pattern: AgentRoutes.reportState,
    access: "agent",
    handler: async (req) => {
      const report = parse(ReportStateRequest, await req.body(), "report-state");
      const agent = await ctx.store.write((tx) => reportState(tx, ctx, report));
      return reply(ReportStateResponse, {
        agent_id: agent.id,
        revision: await ctx.store.currentRevision(),
        agent_down_time: ctx.config.agentDownTime,
      });
    },
  });
  router.add({
    method: "POST",
    pattern: AgentRoutes.deviceDetails,
    access: "agent",
    handler: async (req) => {
      const request = parse(DeviceDetailsRequest, await req.body(), "devices/details");
      return reply(
        DeviceDetailsResponse,
        await devicesDetails(ctx.store.query, request.host, request.devices),
      );
    },
  });
  router.add({
    method: "POST",
    pattern: AgentRoutes.deviceStatus,
    access: "agent",
    handler: async (req) => {
      const request = parse(DeviceStatusRequest, await req.body(), "devices/status");
      const result = await ctx.store.write((tx) =>
        devicesStatus(tx, ctx, request.host, request.up, request.down),
      );
      return reply(DeviceStatusResponse, result);
    },
  });
  router.add({
    method: "POST",
    pattern: AgentRoutes.sync,
    access: "agent",
    handler: async (req) => {
      const request = parse(SyncRequest, await req.body(), "sync");
      return reply(SyncResponse, await sync(ctx, request.host));
    },
  });
  router.add({
    method: "GET",
    pattern: AgentRoutes.stream,
    access: "agent",
    handler: async (req) => {
      const host = req.query.get("host");
      if (!host) throw badRequest(`host is required: GET ${AgentRoutes.stream}?host=HOST[&since=REVISION]`);
      await hub.serve(host, resumeRevision(req), req.res);
      return "streamed";
    },
  });
}

/** SSE resumes with Last-Event-ID; a first connection says `since` (the revision of its sync). */
function resumeRevision(req: ApiRequest): number {
  const header = req.raw.headers["last-event-id"];
  const text = (Array.isArray(header) ? header[0] : header) ?? req.query.get("since") ?? "0";
  const revision = Number(text);
  if (!Number.isInteger(revision) || revision < 0)
    throw badRequest(`revision must be a whole number, got '${text}'`);
  return revision;
}
