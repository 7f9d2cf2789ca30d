/**
 * `If-Match: revision_number=N` (Neutron's revision-if-match): an update or delete of an object whose
 * revision is no longer N fails with 412 and changes nothing. The check is made after the write's own
 * checks inside the same transaction — so a caller who may not see the object gets its 404, never a 412
 * that would tell it the object exists — and the transaction is rolled back when it fails.
 */
import { ApiError, badRequest } from "../api-errors.ts";
import type { ApiRequest } from "../http/router.ts";
import type { Revised } from "../services/revisions.ts";
import type { WriteTx } from "../store/index.ts";

/** The revision the request is constrained to, or undefined without the header. */
function constraint(req: ApiRequest): number | undefined {
  const header = req.raw.headers["if-match"];
  if (header === undefined || header === "") return undefined;
  const m = /^\s*revision_number=(\d+)\s*$/.exec(Array.isArray(header) ? header.join(",") : header);
  if (m === null) throw badRequest(`If-Match must be revision_number=N, got ${JSON.stringify(header)}`);
  return Number(m[1]);
}

export async function ifMatch<T>(
  req: ApiRequest,
  tx: WriteTx,
  table: Revised,
  id: string,
  write: () => Promise<T>,
): Promise<T> {
  const expected = constraint(req);
  if (expected === undefined) return write();
  const before = await tx.get<{ revision_number: number }>(
    `SELECT revision_number FROM ${table} WHERE id = ?`,
    [id],
  );
  const result = await write();
  if (before !== undefined && Number(before.revision_number) !== expected)
    throw new ApiError(
      412,
      "RevisionNumberConstraintFailed",
      `Constrained to ${expected}, but current revision is ${before.revision_number}`,
    );
  return result;
}
