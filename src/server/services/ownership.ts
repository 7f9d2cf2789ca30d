/** Who may act on whose resources: a project its own, an admin any. */
import { forbidden } from "../api-errors.ts";
import type { Caller } from "./context.ts";

export function projectFor(caller: Caller, requested: string | undefined): string {
  if (requested === undefined || requested === caller.projectId) return caller.projectId;
  if (!caller.admin) throw forbidden("create:project_id");
  return requested;
}

export function checkOwner(caller: Caller, projectId: string, action: string): void {
  if (!caller.admin && caller.projectId !== projectId) throw forbidden(action);
}
