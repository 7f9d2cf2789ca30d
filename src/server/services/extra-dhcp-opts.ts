/**
 * A port's extra DHCP options (Neutron's extra_dhcp_opt, neutron/db/extradhcpopt_db.py): what a create
 * or an update makes of them, and their rows. An option is keyed by its name and IP version; on update
 * each given option replaces the one with the same key, a null value removes it, and the others stay.
 */
import type { ExtraDhcpOpt } from "../../protocol/index.ts";
import { conflict } from "../api-errors.ts";
import type { ExtraDhcpOptRow } from "../rows.ts";
import type { Queryable, WriteTx } from "./context.ts";
import { chunked, marks } from "./lookups.ts";

/** One option of a request body, validated (api/extra-dhcp-opts.ts); a null value removes the option. */
export interface ExtraDhcpOptRequest {
  readonly optName: string;
  readonly optValue: string | null;
  readonly ipVersion: 4 | 6;
}

/** An option as shown and as agents get it. */
export type StoredOpt = ExtraDhcpOpt & { readonly opt_value: string };

const key = (o: { opt_name: string; ip_version: number }) => `${o.ip_version}\n${o.opt_name}`;

/**
 * The options after `requests` (a create starts from none), as Neutron's _update_extra_dhcp_opts_on_port
 * goes through them: one that names an existing option sets its value (null: removes it); a new one with
 * a null value is ignored; two new ones with the same name and version are a duplicate (409, Neutron's
 * unique key), an existing one named twice takes the last value. Sorted by IP version, then name.
 */
export function mergeExtraDhcpOpts(
  portId: string,
  current: readonly StoredOpt[],
  requests: readonly ExtraDhcpOptRequest[],
): StoredOpt[] {
  const existing = new Set(current.map(key));
  const next = new Map(current.map((o) => [key(o), o]));
  const created = new Set<string>();
  for (const r of requests) {
    const opt = { opt_name: r.optName, ip_version: r.ipVersion };
    const k = key(opt);
    if (!existing.has(k)) {
      if (r.optValue === null) continue;
      if (created.has(k)) throw duplicate(portId, opt);
      created.add(k);
    }
    if (r.optValue === null) next.delete(k);
    else next.set(k, { ...opt, opt_value: r.optValue });
  }
  return [...next.values()].sort(byVersionAndName);
}

/** Neutron's NeutronDbObjectDuplicateEntry for the extradhcpopts unique key. */
function duplicate(portId: string, opt: { opt_name: string; ip_version: number }) {
  return conflict(
    "NeutronDbObjectDuplicateEntry",
    `Failed to create a duplicate ExtraDhcpOpt: for attribute(s) ['port_id', 'opt_name', 'ip_version'] with value(s) ${portId}-${opt.opt_name}-${opt.ip_version}`,
  );
}

const byVersionAndName = (a: StoredOpt, b: StoredOpt) =>
  a.ip_version - b.ip_version || (a.opt_name < b.opt_name ? -1 : a.opt_name > b.opt_name ? 1 : 0);

const stored = (r: ExtraDhcpOptRow): StoredOpt => ({
  opt_name: r.opt_name,
  opt_value: r.opt_value,
  ip_version: Number(r.ip_version) as 4 | 6,
});

export async function extraDhcpOptsOf(q: Queryable, portId: string): Promise<StoredOpt[]> {
  const rows = await q.all<ExtraDhcpOptRow>(
    "SELECT * FROM extra_dhcp_opts WHERE port_id = ? ORDER BY ip_version, opt_name",
    [portId],
  );
  return rows.map(stored);
}

/** Options of many ports (or all), by port. */
export async function extraDhcpOptsByPort(
  q: Queryable,
  portIds: readonly string[] | "all",
): Promise<Map<string, StoredOpt[]>> {
  const order = "ORDER BY port_id, ip_version, opt_name";
  const rows =
    portIds === "all"
      ? await q.all<ExtraDhcpOptRow>(`SELECT * FROM extra_dhcp_opts ${order}`)
      : await chunked(portIds, (ids) =>
          q.all<ExtraDhcpOptRow>(
            `SELECT * FROM extra_dhcp_opts WHERE port_id IN (${marks(ids)}) ${order}`,
            ids,
          ),
        );
  const byPort = new Map<string, StoredOpt[]>();
  for (const row of rows) {
    const list = byPort.get(row.port_id);
    if (list) list.push(stored(row));
    else byPort.set(row.port_id, [stored(row)]);
  }
  return byPort;
}

/** Writes the port's options as `after` has them (from `before`): the changed ones only. */
export async function writeExtraDhcpOpts(
  tx: WriteTx,
  portId: string,
  before: readonly StoredOpt[],
  after: readonly StoredOpt[],
): Promise<void> {
  const was = new Map(before.map((o) => [key(o), o]));
  const now = new Map(after.map((o) => [key(o), o]));
  for (const [k, o] of was) {
    if (now.get(k)?.opt_value === o.opt_value) continue;
    await tx.run("DELETE FROM extra_dhcp_opts WHERE port_id = ? AND opt_name = ? AND ip_version = ?", [
      portId,
      o.opt_name,
      o.ip_version,
    ]);
  }
  for (const [k, o] of now) {
    if (was.get(k)?.opt_value === o.opt_value) continue;
    await tx.run(
      "INSERT INTO extra_dhcp_opts (port_id, opt_name, opt_value, ip_version) VALUES (?, ?, ?, ?)",
      [portId, o.opt_name, o.opt_value, o.ip_version],
    );
  }
}

export async function dropExtraDhcpOpts(tx: WriteTx, portId: string): Promise<void> {
  await tx.run("DELETE FROM extra_dhcp_opts WHERE port_id = ?", [portId]);
}
