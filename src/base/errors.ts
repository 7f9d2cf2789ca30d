/**
 * The root of every error Weir throws. Each subclass has a stable `code` that callers and tests match on
 * (messages are for people and may change); context travels in typed fields, the underlying error in `cause`.
 */
export class WeirError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A value given to us (config, API body, flow field, testbed option) is not acceptable. Nothing was changed. */
export class InvalidArgumentError extends WeirError {
  readonly field: string;

  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super("WEIR_INVALID_ARGUMENT", `${field}: ${message}`, options);
    this.field = field;
  }
}

/** An operation did not finish before its deadline. */
export class TimeoutError extends WeirError {
  readonly timeoutMs: number;

  constructor(what: string, timeoutMs: number) {
    super("WEIR_TIMEOUT", `${what} did not finish within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** Describes any thrown value in one line, for logs and error messages. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
