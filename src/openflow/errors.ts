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
