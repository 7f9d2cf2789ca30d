/**
 * OpenFlow 1.5 numbers (OpenFlow Switch Specification 1.5.1, openflow.h in OVS) and the Nicira (NX)
 * extension numbers Open vSwitch implements (nicira-ext.h, lib/ofp-actions.c).
 */
export const OFP_VERSION = 0x06; // OpenFlow 1.5
export const NX_VENDOR_ID = 0x00002320;
export const ONF_VENDOR_ID = 0x4f4e4600;

export const MessageType = {
  hello: 0,
  error: 1,
  echoRequest: 2,
  echoReply: 3,
  experimenter: 4,
  featuresRequest: 5,
  featuresReply: 6,
  getConfigRequest: 7,
  getConfigReply: 8,
  setConfig: 9,
  packetIn: 10,
  flowRemoved: 11,
  portStatus: 12,
  packetOut: 13,
  flowMod: 14,
  groupMod: 15,
  portMod: 16,
  tableMod: 17,
  multipartRequest: 18,
  multipartReply: 19,
  barrierRequest: 20,
  barrierReply: 21,
  roleRequest: 24,
  roleReply: 25,
  roleStatus: 30,
  tableStatus: 31,
  requestForward: 32,
  bundleControl: 33,
  bundleAddMessage: 34,
  controllerStatus: 35,
  /** OFPT_METER_MOD keeps OpenFlow 1.3's number and layout in 1.5 (openflow-1.3.h ofp13_meter_mod). */
  meterMod: 29,
} as const;

export const MultipartType = {
  desc: 0,
  flow: 1,
  aggregate: 2,
  table: 3,
  portStats: 4,
  /** OFPMP_METER_STATS (1.3 and 1.5): per meter, packets in and per band. */
  meterStats: 9,
  /** OFPMP_METER_CONFIG in 1.3, OFPMP_METER_DESC in 1.5: same number, same ofp13_meter_config entries. */
  meterConfig: 10,
  meterFeatures: 11,
  flowMonitor: 16,
} as const;
export const MULTIPART_REPLY_MORE = 1;

/** Reserved port numbers, OpenFlow 1.1+ (32-bit). */
export const Port = {
  max: 0xffffff00,
  inPort: 0xfffffff8,
  table: 0xfffffff9,
  normal: 0xfffffffa,
  flood: 0xfffffffb,
  all: 0xfffffffc,
  controller: 0xfffffffd,
  local: 0xfffffffe,
  any: 0xffffffff,
} as const;

/** OpenFlow 1.0 (16-bit) reserved ports, used inside NX actions such as resubmit. */
export const Port10 = {
  inPort: 0xfff8,
  table: 0xfff9,
  normal: 0xfffa,
  flood: 0xfffb,
  all: 0xfffc,
  controller: 0xfffd,
  local: 0xfffe,
  none: 0xffff,
} as const;

export const TABLE_ALL = 0xff;
export const GROUP_ANY = 0xffffffff;
export const NO_BUFFER = 0xffffffff;

export const FlowModCommand = { add: 0, modify: 1, modifyStrict: 2, delete: 3, deleteStrict: 4 } as const;
export type FlowModCommand = (typeof FlowModCommand)[keyof typeof FlowModCommand];

export const FlowModFlags = {
  sendFlowRem: 1,
  checkOverlap: 2,
  resetCounts: 4,
  noPktCounts: 8,
  noBytCounts: 16,
} as const;

export const InstructionType = {
  gotoTable: 1,
  writeMetadata: 2,
  writeActions: 3,
  applyActions: 4,
  clearActions: 5,
  /** OpenFlow 1.3/1.4 only: 1.5 made meter an action (OVS refuses this instruction in 1.5). */
  meter: 6,
  experimenter: 0xffff,
} as const;

export const ActionType = {
  output: 0,
  /** OFPAT_SET_NW_TOS, deprecated since 1.2 but still decoded by OVS in 1.5 (ofp-actions.c). */
  setNwTos: 7,
  pushVlan: 17,
  popVlan: 18,
  group: 22,
  decNwTtl: 24,
  setField: 25,
  /** OFPAT_METER, new in 1.5 (ofp-actions.c OFPAT_RAW15_METER: "OF1.5+(29): uint32_t"). */
  meter: 29,
  experimenter: 0xffff,
} as const;

/** Nicira action subtypes (nicira-ext.h / ofp-actions.c "NXAST_RAW_*"). */
/** Nicira message subtypes (ofp-msgs.h OFPRAW_NXT_*): the experimenter messages Weir sends or reads. */
export const NxMessageSubtype = { setPacketInFormat: 16, packetIn2: 30 } as const;

export const NxActionSubtype = {
  resubmit: 1,
  setTunnel: 2,
  regMove: 6,
  regLoad: 7,
  note: 8,
  setTunnel64: 9,
  resubmitTable: 14,
  learn: 16,
  exit: 17,
  decTtl: 18,
  controller: 20,
  regLoad2: 33,
  conjunction: 34,
  ct: 35,
  nat: 36,
  controller2: 37,
  ctClear: 43,
  resubmitTableCt: 44,
} as const;

// ── meters (openflow-1.3.h, unchanged in 1.5) ──────────────────────────────────────────────────────────

export const MeterModCommand = { add: 0, modify: 1, delete: 2 } as const;
export type MeterModCommand = (typeof MeterModCommand)[keyof typeof MeterModCommand];

/** ofp13_meter_flags. */
export const MeterFlags = { kbps: 1, pktps: 2, burst: 4, stats: 8 } as const;
/** ofp13_meter_band_type. */
export const MeterBandType = { drop: 1, dscpRemark: 2, experimenter: 0xffff } as const;

/** ofp13_meter: the last usable meter id, and "all meters" for requests and deletes. */
export const METER_MAX = 0xffff0000;
export const METER_ALL = 0xffffffff;

export const BundleControlType = {
  openRequest: 0,
  openReply: 1,
  closeRequest: 2,
  closeReply: 3,
  commitRequest: 4,
  commitReply: 5,
  discardRequest: 6,
  discardReply: 7,
} as const;
export const BundleFlags = { atomic: 1, ordered: 2 } as const;

export const FlowMonitorFlags = {
  initial: 1,
  add: 2,
  removed: 4,
  modify: 8,
  instructions: 16,
  noAbbrev: 32,
  onlyOwn: 64,
} as const;
export const FlowUpdateEvent = {
  initial: 0,
  added: 1,
  removed: 2,
  modified: 3,
  abbrev: 4,
  paused: 5,
  resumed: 6,
} as const;

const errorTypes: Record<number, [string, readonly string[]]> = {
  0: ["HELLO_FAILED", ["INCOMPATIBLE", "EPERM"]],
  1: [
    "BAD_REQUEST",
    [
      "BAD_VERSION",
      "BAD_TYPE",
      "BAD_MULTIPART",
      "BAD_EXPERIMENTER",
      "BAD_EXP_TYPE",
      "EPERM",
      "BAD_LEN",
      "BUFFER_EMPTY",
      "BUFFER_UNKNOWN",
      "BAD_TABLE_ID",
      "IS_SLAVE",
      "BAD_PORT",
      "BAD_PACKET",
      "MULTIPART_BUFFER_OVERFLOW",
      "MULTIPART_REQUEST_TIMEOUT",
      "MULTIPART_REPLY_TIMEOUT",
    ],
  ],
  2: [
    "BAD_ACTION",
    [
      "BAD_TYPE",
      "BAD_LEN",
      "BAD_EXPERIMENTER",
      "BAD_EXP_TYPE",
      "BAD_OUT_PORT",
      "BAD_ARGUMENT",
      "EPERM",
      "TOO_MANY",
      "BAD_QUEUE",
      "BAD_OUT_GROUP",
      "MATCH_INCONSISTENT",
      "UNSUPPORTED_ORDER",
      "BAD_TAG",
      "BAD_SET_TYPE",
      "BAD_SET_LEN",
      "BAD_SET_ARGUMENT",
    ],
  ],
  3: [
    "BAD_INSTRUCTION",
    [
      "UNKNOWN_INST",
      "UNSUP_INST",
      "BAD_TABLE_ID",
      "UNSUP_METADATA",
      "UNSUP_METADATA_MASK",
      "BAD_EXPERIMENTER",
      "BAD_EXP_TYPE",
      "BAD_LEN",
      "EPERM",
      "DUP_INST",
    ],
  ],
  4: [
    "BAD_MATCH",
    [
      "BAD_TYPE",
      "BAD_LEN",
      "BAD_TAG",
      "BAD_DL_ADDR_MASK",
      "BAD_NW_ADDR_MASK",
      "BAD_WILDCARDS",
      "BAD_FIELD",
      "BAD_VALUE",
      "BAD_MASK",
      "BAD_PREREQ",
      "DUP_FIELD",
      "EPERM",
    ],
  ],
  5: [
    "FLOW_MOD_FAILED",
    [
      "UNKNOWN",
      "TABLE_FULL",
      "BAD_TABLE_ID",
      "OVERLAP",
      "EPERM",
      "BAD_TIMEOUT",
      "BAD_COMMAND",
      "BAD_FLAGS",
      "CANT_SYNC",
      "BAD_PRIORITY",
      "IS_SYNC",
    ],
  ],
  6: ["GROUP_MOD_FAILED", []],
  7: ["PORT_MOD_FAILED", []],
  8: ["TABLE_MOD_FAILED", []],
  9: ["QUEUE_OP_FAILED", []],
  10: ["SWITCH_CONFIG_FAILED", []],
  11: ["ROLE_REQUEST_FAILED", []],
  12: [
    "METER_MOD_FAILED",
    [
      "UNKNOWN",
      "METER_EXISTS",
      "INVALID_METER",
      "UNKNOWN_METER",
      "BAD_COMMAND",
      "BAD_FLAGS",
      "BAD_RATE",
      "BAD_BURST",
      "BAD_BAND",
      "BAD_BAND_VALUE",
      "OUT_OF_METERS",
      "OUT_OF_BANDS",
    ],
  ],
  13: ["TABLE_FEATURES_FAILED", []],
  14: ["BAD_PROPERTY", []],
  15: ["ASYNC_CONFIG_FAILED", []],
  16: [
    "FLOW_MONITOR_FAILED",
    [
      "UNKNOWN",
      "MONITOR_EXISTS",
      "INVALID_MONITOR",
      "UNKNOWN_MONITOR",
      "BAD_COMMAND",
      "BAD_FLAGS",
      "BAD_TABLE_ID",
      "BAD_OUT",
    ],
  ],
  17: [
    "BUNDLE_FAILED",
    [
      "UNKNOWN",
      "EPERM",
      "BAD_ID",
      "BUNDLE_EXIST",
      "BUNDLE_CLOSED",
      "OUT_OF_BUNDLES",
      "BAD_TYPE",
      "BAD_FLAGS",
      "MSG_BAD_LEN",
      "MSG_BAD_XID",
      "MSG_UNSUP",
      "MSG_CONFLICT",
      "MSG_TOO_MANY",
      "MSG_FAILED",
      "TIMEOUT",
      "BUNDLE_IN_PROGRESS",
      "SCHED_NOT_SUPPORTED",
      "SCHED_FUTURE",
      "SCHED_PAST",
    ],
  ],
};

export const ErrorType = {
  helloFailed: 0,
  badRequest: 1,
  meterModFailed: 12,
  bundleFailed: 17,
  experimenter: 0xffff,
} as const;

/** OFPET_METER_MOD_FAILED codes (OVS include/openvswitch/ofp-errors.h "OF1.3+(12,N)"). */
export const MeterModFailedCode = {
  unknown: 0,
  meterExists: 1,
  invalidMeter: 2,
  unknownMeter: 3,
  badCommand: 4,
  badFlags: 5,
  badRate: 6,
  badBurst: 7,
  badBand: 8,
  badBandValue: 9,
  outOfMeters: 10,
  outOfBands: 11,
} as const;
export const BundleFailedCode = { timeout: 14, msgFailed: 13 } as const;

export function errorTypeName(type: number, experimenter?: number): string {
  if (type === 0xffff)
    return experimenter === NX_VENDOR_ID ? "NX_ERROR" : `EXPERIMENTER(0x${(experimenter ?? 0).toString(16)})`;
  return errorTypes[type]?.[0] ?? `TYPE_${type}`;
}

export function errorCodeName(type: number, code: number, experimenter?: number): string {
  if (type === 0xffff) return `${experimenter === NX_VENDOR_ID ? "NX" : "EXP"}_CODE_${code}`;
  return errorTypes[type]?.[1][code] ?? `CODE_${code}`;
}
