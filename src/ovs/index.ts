// Idempotent host operations over OVSDB: bridges, ports, map keys. Knows nothing of networks.
export {
  type BridgeResult,
  type BridgeSpec,
  bridgeExists,
  deleteBridge,
  ensureBridge,
  requireBridge,
} from "./bridge.ts";
export { OvsConflictError, OvsNotFoundError } from "./errors.ts";
export { GENERATION_KEY, persistGeneration, readGeneration } from "./generation.ts";
export { portNetworkKeys, WeirKeys } from "./keys.ts";
export { clearMapKeys, type MapColumn, type RowRef, setMapKeys } from "./map-keys.ts";
export {
  deletePort,
  ensurePort,
  internalPort,
  type PortResult,
  type PortSpec,
  patchPort,
  type TunnelType,
  tunnelPort,
} from "./port.ts";
export {
  insertedUuid,
  mapSetMutations,
  openVswitchDb,
  selectRows,
  transact,
  type VswitchDb,
} from "./vswitch-db.ts";
