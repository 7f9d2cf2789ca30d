import { notFound } from "../api-errors.ts";
import type { Router } from "../http/router.ts";
import type { AgentRow } from "../rows.ts";
import { agentAlive, deleteAgent, updateAgent } from "../services/agents.ts";
import type { ServiceContext } from "../services/context.ts";
import { allow, sees } from "../services/ownership.ts";
import { agentView } from "../views.ts";
import { AgentUpdateBody, parseBody } from "./bodies.ts";
import { listBody, pickFields } from "./query.ts";

export function agentRoutes(router: Router, ctx: ServiceContext): void {
  const view = (row: AgentRow) => agentView(row, agentAlive(ctx, row));
  const find = async (id: string) => {
    const row = await ctx.store.query.get<AgentRow>("SELECT * FROM agents WHERE id = ?", [id]);
    if (row === undefined) throw notFound("Agent", id);
    return row;
  };
  router.add({
    method: "GET",
    pattern: "/v2.0/agents",
    access: "api",
    handler: async (req) => {
      // Agents are the cloud's, not a project's (get_agent is the admin's): a list as Neutron answers it,
      // of what the caller may see — empty for a project's users, not a 403.
      const rows = sees(req.caller, "get_agent", {})
        ? await ctx.store.query.all<AgentRow>("SELECT * FROM agents")
        : [];
      return { status: 200, body: listBody("agents", rows.map(view), req.query, req.baseUrl) };
    },
  });
  router.add({
    method: "GET",
    pattern: "/v2.0/agents/:id",
    access: "api",
    handler: async (req) => {
      if (!sees(req.caller, "get_agent", {})) throw notFound("Agent", req.params.id!);
      return { status: 200, body: { agent: pickFields(view(await find(req.params.id!)), req.query) } };
    },
  });
  router.add({
    method: "PUT",
    pattern: "/v2.0/agents/:id",
    access: "api",
    handler: async (req) => {
      if (!sees(req.caller, "get_agent", {})) throw notFound("Agent", req.params.id!);
      allow(req.caller, "update_agent", {});
      const b = parseBody(await req.body(), "agent", AgentUpdateBody);
      const row = await ctx.store.write((tx) =>
        updateAgent(tx, req.params.id!, { adminStateUp: b.admin_state_up, description: b.description }),
      );
      return { status: 200, body: { agent: view(row) } };
    },
  });
  router.add({
    method: "DELETE",
    pattern: "/v2.0/agents/:id",
    access: "api",
    handler: async (req) => {
      if (!sees(req.caller, "get_agent", {})) throw notFound("Agent", req.params.id!);
      allow(req.caller, "delete_agent", {});
      await ctx.store.write((tx) => deleteAgent(tx, ctx, req.params.id!));
      return { status: 204 };
    },
  });
}
