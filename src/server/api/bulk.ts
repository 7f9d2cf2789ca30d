/**
 * POST of a collection, single or bulk as Neutron takes them: `{"network": {...}}` answers
 * `{"network": {...}}`, `{"networks": [...]}` answers `{"networks": [...]}` — every item checked before
 * anything is written, and all of them made in one transaction, so that a bulk create is all or nothing.
 */
import type { z } from "zod";
import type { ApiRequest, ApiResponse } from "../http/router.ts";
import type { ServiceContext, WriteTx } from "../services/context.ts";
import { parseCreateBodies } from "./bodies.ts";

export interface CreateSpec<B, I, R> {
  readonly resource: string;
  readonly collection: string;
  readonly schema: z.ZodType<B>;
  readonly input: (body: B) => I;
  readonly create: (tx: WriteTx, input: I) => Promise<R>;
  readonly show: (row: R) => Promise<unknown>;
}

export async function createOneOrMany<B, I, R>(
  req: ApiRequest,
  ctx: ServiceContext,
  spec: CreateSpec<B, I, R>,
): Promise<ApiResponse> {
  const { bulk, items } = parseCreateBodies(await req.body(), spec.resource, spec.collection, spec.schema);
  const inputs = items.map(spec.input);
  const rows = await ctx.store.write(async (tx) => {
    const made: R[] = [];
    for (const input of inputs) made.push(await spec.create(tx, input));
    return made;
  });
  const views: unknown[] = [];
  for (const row of rows) views.push(await spec.show(row));
  return { status: 201, body: bulk ? { [spec.collection]: views } : { [spec.resource]: views[0] } };
}
