import { randomUUID } from "node:crypto";
import { AGENT_TYPE_OVS, type AgentConfigurations, type ReportStateRequest } from "../../protocol/index.ts";
import { conflict, notFound } from "../api-errors.ts";
import { type AgentRow, type NetworkRow, type PortRow, timestamp } from "../rows.ts";
import { bindPort } from "./binding.ts";
import type { ServiceContext, WriteTx } from "./context.ts";
import { emitEndpointsIfChanged, emitPortChange, endpointsOf } from "./events.ts";
import { isAlive } from "./lookups.ts";
import { writePort } from "./ports.ts";

/**
 * report_state: registers an agent or records its heartbeat. A new agent, or one whose configuration
 * changed, may now bind ports that failed to bind on its host, and may move its tunnel endpoint.
 */
export async function reportState(
  tx: WriteTx,
  ctx: ServiceContext,
  report: ReportStateRequest,
): Promise<AgentRow> {
  const now = timestamp(ctx.now());
  const current = await tx.get<AgentRow>("SELECT * FROM agents WHERE agent_type = ? AND host = ?", [
    report.agent_type,
    report.host,
  ]);
  const configurations = JSON.stringify(report.configurations);
  if (current !== undefined && current.configurations === configurations && !report.start_flag) {
    await tx.run("UPDATE agents SET heartbeat_at = ? WHERE id = ?", [now, current.id]);
    return { ...current, heartbeat_at: now };
  }
  const wasAlive = current !== undefined && isAlive(current, ctx.config.agentDownTime, ctx.now());
  const row: AgentRow = {
    id: current?.id ?? randomUUID(),
    agent_type: report.agent_type,
    agent_binary: report.binary,
    host: report.host,
    topic: "N/A",
    configurations,
    admin_state_up: current?.admin_state_up ?? 1,
    description: current?.description ?? "",
    heartbeat_at: now,
    started_at: report.start_flag || current === undefined ? now : current.started_at,
    created_at: current?.created_at ?? now,
  };
  // Endpoints of every network this host has ports on, before the agent's (maybe new) tunnelling IP.
  const networks = await tx.all<NetworkRow>(
    "SELECT DISTINCT n.* FROM networks n JOIN ports p ON p.network_id = n.id WHERE p.binding_host_id = ? ORDER BY n.id",
    [report.host],
  );
  const before = await Promise.all(networks.map((n) => endpointsOf(tx, n.id)));
  if (current === undefined) {
    await tx.run(
      `INSERT INTO agents (id, agent_type, agent_binary, host, topic, configurations, admin_state_up, description,
        heartbeat_at, started_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        row.id,
        row.agent_type,
        row.agent_binary,
        row.host,
        row.topic,
        row.configurations,
        row.admin_state_up,
        row.description,
        row.heartbeat_at,
        row.started_at,
        row.created_at,
      ],
    );
  } else {
    await tx.run(
      "UPDATE agents SET agent_binary = ?, configurations = ?, heartbeat_at = ?, started_at = ? WHERE id = ?",
      [row.agent_binary, row.configurations, row.heartbeat_at, row.started_at, row.id],
    );
  }
  if (current === undefined || current.configurations !== configurations || !wasAlive) {
    await rebindHost(tx, ctx, report.host, networks);
  }
  for (const endpoints of before) await emitEndpointsIfChanged(tx, endpoints);
  return row;
}

/** Retries every port of the host whose binding failed or whose agent's capabilities changed. */
async function rebindHost(
  tx: WriteTx,
  ctx: ServiceContext,
  host: string,
  networks: readonly NetworkRow[],
): Promise<void> {
  const byId = new Map(networks.map((n) => [n.id, n]));
  for (const port of await tx.all<PortRow>("SELECT * FROM ports WHERE binding_host_id = ?", [host])) {
    const network = byId.get(port.network_id)!;
    const binding = await bindPort(
      tx,
      network,
      host,
      port.binding_vnic_type,
      ctx.config.agentDownTime,
      ctx.now(),
    );
    const details = JSON.stringify(binding.vifDetails);
    if (binding.vifType === port.binding_vif_type && details === port.binding_vif_details) continue;
    const next: PortRow = {
      ...port,
      binding_vif_type: binding.vifType,
      binding_vif_details: details,
      revision_number: port.revision_number + 1,
      updated_at: timestamp(ctx.now()),
    };
    await writePort(tx, next);
    await emitPortChange(tx, { before: port, after: next, network });
  }
}

export function agentAlive(ctx: ServiceContext, agent: AgentRow): boolean {
  return isAlive(agent, ctx.config.agentDownTime, ctx.now());
}

export async function updateAgent(
  tx: WriteTx,
  id: string,
  input: { adminStateUp?: boolean; description?: string },
) {
  const current = await tx.get<AgentRow>("SELECT * FROM agents WHERE id = ?", [id]);
  if (current === undefined) throw notFound("Agent", id);
  const next = {
    ...current,
    admin_state_up: input.adminStateUp === undefined ? current.admin_state_up : input.adminStateUp ? 1 : 0,
    description: input.description ?? current.description,
  };
  await tx.run("UPDATE agents SET admin_state_up = ?, description = ? WHERE id = ?", [
    next.admin_state_up,
    next.description,
    id,
  ]);
  return next;
}

/** Only a dead agent may be deleted: a live one would re-register at its next heartbeat anyway. */
export async function deleteAgent(tx: WriteTx, ctx: ServiceContext, id: string): Promise<void> {
  const current = await tx.get<AgentRow>("SELECT * FROM agents WHERE id = ?", [id]);
  if (current === undefined) throw notFound("Agent", id);
  if (agentAlive(ctx, current)) {
    throw conflict("AgentInUse", `Agent ${id} on host ${current.host} is alive; stop it before deleting it.`);
  }
  await tx.run("DELETE FROM agents WHERE id = ?", [id]);
}

export const ovsAgentType = AGENT_TYPE_OVS;
export type { AgentConfigurations };
