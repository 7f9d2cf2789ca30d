// The OVSDB module: RFC 7047 and the Open vSwitch extensions, and nothing about networks.
export { type CacheEvent, OvsdbCache, type ReplicaSpec } from "./cache.ts";
export {
  type ClientStatus,
  type LockEvent,
  type Monitor,
  OvsdbClient,
  type OvsdbClientOptions,
} from "./client.ts";
export { OvsdbProtocolError, OvsdbRpcError, OvsdbTransactionError, OvsdbTransportError } from "./errors.ts";
export type {
  MonitorHandler,
  MonitorPhase,
  MonitorRequests,
  MonitorTableRequest,
  RowChange,
  TableChanges,
} from "./monitor.ts";
export type { Connection, Transport } from "./rpc/transport.ts";
export { transportFor } from "./rpc/transport.ts";
export { type DatabaseSchema, parseSchema } from "./schema/schema.ts";
export { renderRowInterfaces } from "./schema/typegen.ts";
export { vswitchDb, vswitchSchemaPath, vswitchTypedTables } from "./schema/vswitch.ts";
export type {
  BridgeRow,
  ControllerRow,
  InterfaceRow,
  OpenVswitchRow,
  PortRow,
  VswitchTables,
} from "./schema/vswitch-rows.ts";
export { type Atom, type Datum, isUuid } from "./wire/datum.ts";
export type { Json, JsonObject } from "./wire/json.ts";
export {
  type Condition,
  type Mutation,
  type Operation,
  type OperationBuilder,
  operationsFor,
} from "./wire/operation.ts";
export { decodeSelectRows, type Row } from "./wire/row.ts";
