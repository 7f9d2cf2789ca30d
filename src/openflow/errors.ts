import { WeirError } from "../base/index.ts";
import { errorCodeName, errorTypeName } from "./wire/constants.ts";

/** Bytes from the switch that are not a valid OpenFlow message (or a truncated one). The connection is closed. */
export class OpenFlowDecodeError extends WeirError {
  constructor(message: string) {
    super("OPENFLOW_DECODE", message);
  }
}

/** The connection to the switch could not be made, or was lost; requests in flight have an unknown outcome. */
export class OpenFlowTransportError extends WeirError {
  readonly endpoint: string;

  constructor(endpoint: string, message: string, options?: { cause?: unknown }) {
    super("OPENFLOW_TRANSPORT", `${endpoint}: ${message}`, options);
    this.endpoint = endpoint;
  }
}

/**
 * The switch answered with OFPT_ERROR (OpenFlow 1.5 §7.5.4). `type`/`code` are decoded to names (e.g.
 * BAD_MATCH / BAD_PREREQ, or NXBRC_* for Nicira experimenter errors); `offending` holds the start of the
 * message that caused it, as the switch echoed it.
 */
export class OpenFlowError extends WeirError {
  readonly type: number;
  readonly errorCode: number;
  readonly typeName: string;
  readonly codeName: string;
  readonly experimenter: number | undefined;
  readonly offending: Uint8Array;

  constructor(type: number, code: number, offending: Uint8Array, experimenter?: number, context?: string) {
    const typeName = errorTypeName(type, experimenter);
    const codeName = errorCodeName(type, code, experimenter);
    super("OPENFLOW_ERROR", `${context ? `${context}: ` : ""}switch refused it: ${typeName}/${codeName}`);
    this.type = type;
    this.errorCode = code;
    this.typeName = typeName;
    this.codeName = codeName;
    this.experimenter = experimenter;
    this.offending = offending;
  }
}

/** A bundle commit failed; `errors` are the switch's errors for the messages it refused. Nothing was applied. */
export class BundleError extends WeirError {
  readonly errors: readonly OpenFlowError[];

  constructor(message: string, errors: readonly OpenFlowError[]) {
    const first = errors[0];
    super("OPENFLOW_BUNDLE_FAILED", `${message}${first ? `: ${first.typeName}/${first.codeName}` : ""}`);
    this.errors = errors;
  }
}

/** What each OFPET_METER_MOD_FAILED code means for a meter mod, as Open vSwitch uses it (ofproto.c
 * handle_meter_mod, ofproto-dpif.c meter_set, dpif.c dpif_meter_set). */
const meterModReasons: Record<string, string> = {
  METER_EXISTS: "a meter with this id exists already (modify it instead)",
  INVALID_METER: "the id is not a usable meter id, or the switch has no meters",
  UNKNOWN_METER: "no meter with this id exists",
  BAD_COMMAND: "the command is not add, modify or delete",
  BAD_FLAGS: "the flags are not supported (exactly one of kbps, pktps is needed)",
  BAD_RATE: "a band's rate is not supported (0 is not)",
  BAD_BURST: "a band's burst size is not supported",
  BAD_BAND: "a band type is not supported (the userspace datapath has only drop)",
  BAD_BAND_VALUE: "a band's value is not supported",
  OUT_OF_METERS: "the switch has no room for another meter",
  OUT_OF_BANDS: "the switch does not take this many bands (or none)",
};

/** The switch refused a meter mod; `error` is its OFPT_ERROR, `reason` says what that means. */
export class MeterModError extends WeirError {
  readonly meterId: number;
  readonly command: "add" | "modify" | "delete";
  readonly error: OpenFlowError;
  readonly reason: string;

  constructor(command: "add" | "modify" | "delete", meterId: number, error: OpenFlowError) {
    const reason =
      error.typeName === "METER_MOD_FAILED"
        ? (meterModReasons[error.codeName] ?? error.codeName)
        : `${error.typeName}/${error.codeName}`;
    super(
      "OPENFLOW_METER_MOD_FAILED",
      `meter ${meterId}: ${command} refused: ${error.typeName}/${error.codeName}: ${reason}`,
      { cause: error },
    );
    this.meterId = meterId;
    this.command = command;
    this.error = error;
    this.reason = reason;
  }
}
