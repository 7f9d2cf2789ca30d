import type { Operation } from "../ovsdb/index.ts";
import { OvsConflictError, OvsNotFoundError } from "./errors.ts";
import {
  guardedWrite,
  insertedUuid,
  mapSetMutations,
  selectRows,
  transact,
  type VswitchDb,
} from "./vswitch-db.ts";

export interface PortSpec {
  readonly name: string;
  /** Interface type: "" (system), "internal", "patch", "vxlan", "gre", "geneve". */
  readonly type?: string;
  /** The Interface's whole options map (peer for patch ports; remote_ip, key, … for tunnels). */
  readonly options?: Readonly<Record<string, string>>;
  /** Keys set on the Interface's external_ids (others left alone). */
  readonly interfaceExternalIds?: Readonly<Record<string, string>>;
  /** Keys set on the Port's external_ids (others left alone). */
  readonly portExternalIds?: Readonly<Record<string, string>>;
  /** Access VLAN tag; null clears it; undefined leaves it as it is. */
  readonly tag?: number | null;
  readonly ofportRequest?: number;
}

export interface PortResult {
  readonly uuid: string;
  readonly created: boolean;
  readonly changed: readonly string[];
}

export const patchPort = (name: string, peer: string): PortSpec => ({
  name,
  type: "patch",
  options: { peer },
});

export const internalPort = (name: string): PortSpec => ({ name, type: "internal" });

export type TunnelType = "vxlan" | "gre" | "geneve";

/** A tunnel port as an L2 agent wants it: the key comes from the flow (set_tunnel / tun_id match). */
export function tunnelPort(spec: {
  name: string;
  type: TunnelType;
  remoteIp: string;
  localIp?: string;
  key?: "flow" | number;
  dstPort?: number;
  extraOptions?: Readonly<Record<string, string>>;
}): PortSpec {
  const key = String(spec.key ?? "flow");
  const options: Record<string, string> = {
    remote_ip: spec.remoteIp,
    ...(spec.localIp === undefined ? {} : { local_ip: spec.localIp }),
    in_key: key,
    out_key: key,
    ...(spec.dstPort === undefined ? {} : { dst_port: String(spec.dstPort) }),
    ...spec.extraOptions,
  };
  return { name: spec.name, type: spec.type, options };
}

/**
 * Creates the port (Interface + Port + Bridge.ports, one transaction) if missing, or converges it: type,
 * options, tag, ofport_request and the given external_ids keys. An existing port is never deleted and
 * re-created (a re-created patch port drops traffic: seed note 002, Neutron bug 1514056). A port of that
 * name on another bridge is a conflict, as in ovs-vsctl.
 */
export function ensurePort(db: VswitchDb, bridge: string, spec: PortSpec): Promise<PortResult> {
  const { ops } = db;
  return guardedWrite<PortResult>(db, async () => {
    const [br] = await selectRows(
      db,
      "Bridge",
      ops.select("Bridge", [["name", "==", bridge]], ["_uuid", "ports"]),
    );
    if (br === undefined) throw new OvsNotFoundError("Bridge", bridge);
    const [port] = await selectRows(db, "Port", ops.select("Port", [["name", "==", spec.name]]));
    if (port === undefined) {
      const operations = createPortOperations(db, br._uuid, spec);
      const portIndex = operations.findIndex((op) => op.op === "insert" && op.table === "Port");
      return {
        operations,
        finish: (r) => ({ uuid: insertedUuid(r[portIndex]), created: true, changed: [] }),
      };
    }
    if (!br.ports.includes(port._uuid)) {
      throw new OvsConflictError(`port ${spec.name} exists on another bridge than ${bridge}`);
    }
    const [iface] = await selectRows(db, "Interface", ops.select("Interface", [["name", "==", spec.name]]));
    if (iface === undefined || !port.interfaces.includes(iface._uuid)) {
      throw new OvsConflictError(`port ${spec.name} has no interface of its own name (a bond?)`);
    }
    const ifaceUpdate: Record<string, unknown> = {};
    if (spec.type !== undefined && iface.type !== spec.type) ifaceUpdate.type = spec.type;
    if (spec.options !== undefined && !sameMap(iface.options, spec.options))
      ifaceUpdate.options = spec.options;
    if (spec.ofportRequest !== undefined && iface.ofport_request !== spec.ofportRequest) {
      ifaceUpdate.ofport_request = spec.ofportRequest;
    }
    const ifaceMutations = mapSetMutations("external_ids", iface.external_ids, {
      ...spec.interfaceExternalIds,
    });
    const portUpdate: Record<string, unknown> = {};
    if (spec.tag !== undefined && port.tag !== spec.tag) portUpdate.tag = spec.tag;
    const portMutations = mapSetMutations("external_ids", port.external_ids, { ...spec.portExternalIds });
    const changed = [
      ...Object.keys(ifaceUpdate).map((c) => `Interface.${c}`),
      ...(ifaceMutations.length > 0 ? ["Interface.external_ids"] : []),
      ...Object.keys(portUpdate).map((c) => `Port.${c}`),
      ...(portMutations.length > 0 ? ["Port.external_ids"] : []),
    ];
    const operations: Operation[] = [];
    const ifaceWhere = [["_uuid", "==", iface._uuid]] as const;
    const portWhere = [["_uuid", "==", port._uuid]] as const;
    if (changed.length > 0) {
      operations.push(
        ops.wait("Interface", ifaceWhere, {
          columns: ["type", "options"],
          until: "==",
          rows: [{ type: iface.type, options: iface.options }],
        }),
        ops.wait("Port", portWhere, { columns: ["tag"], until: "==", rows: [{ tag: port.tag }] }),
      );
    }
    if (Object.keys(ifaceUpdate).length > 0)
      operations.push(ops.update("Interface", ifaceWhere, ifaceUpdate));
    if (ifaceMutations.length > 0) operations.push(ops.mutate("Interface", ifaceWhere, ifaceMutations));
    if (Object.keys(portUpdate).length > 0) operations.push(ops.update("Port", portWhere, portUpdate));
    if (portMutations.length > 0) operations.push(ops.mutate("Port", portWhere, portMutations));
    return { operations, finish: () => ({ uuid: port._uuid, created: false, changed }) };
  });
}

function createPortOperations(db: VswitchDb, bridgeUuid: string, spec: PortSpec): Operation[] {
  const { ops } = db;
  return [
    // Guard against a concurrent creator: the name must still be free.
    ops.wait("Port", [["name", "==", spec.name]], { columns: ["name"], until: "==", rows: [] }),
    ops.insert(
      "Interface",
      {
        name: spec.name,
        ...(spec.type === undefined ? {} : { type: spec.type }),
        options: { ...spec.options },
        external_ids: { ...spec.interfaceExternalIds },
        ...(spec.ofportRequest === undefined ? {} : { ofport_request: spec.ofportRequest }),
      },
      "new_iface",
    ),
    ops.insert(
      "Port",
      {
        name: spec.name,
        interfaces: ["new_iface"],
        external_ids: { ...spec.portExternalIds },
        ...(spec.tag === undefined || spec.tag === null ? {} : { tag: spec.tag }),
      },
      "new_port",
    ),
    ops.mutate("Bridge", [["_uuid", "==", bridgeUuid]], [["ports", "insert", ["new_port"]]]),
  ];
}

/** Removes the port from the bridge (OVSDB garbage-collects its rows); false if there was no such port. */
export async function deletePort(db: VswitchDb, bridge: string, name: string): Promise<boolean> {
  const { ops } = db;
  const [br] = await selectRows(
    db,
    "Bridge",
    ops.select("Bridge", [["name", "==", bridge]], ["_uuid", "ports"]),
  );
  if (br === undefined) throw new OvsNotFoundError("Bridge", bridge);
  const [port] = await selectRows(db, "Port", ops.select("Port", [["name", "==", name]], ["_uuid"]));
  if (port === undefined) return false;
  if (!br.ports.includes(port._uuid)) throw new OvsConflictError(`port ${name} is not on bridge ${bridge}`);
  // Deleting by uuid is exact: a port re-created meanwhile under the same name is a different row.
  await transact(db, [
    ops.mutate("Bridge", [["_uuid", "==", br._uuid]], [["ports", "delete", [port._uuid]]]),
  ]);
  return true;
}

function sameMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
