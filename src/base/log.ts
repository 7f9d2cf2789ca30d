/**
 * The logging interface the modules depend on (pino's Logger satisfies it; tests pass a recorder). Fields
 * first, message second, as pino writes them: `log.warn({ bridge }, "fail_mode changed")`.
 */
export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

export interface Log {
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
}

/** A Log that drops everything (library defaults, quiet tests). */
export const silentLog: Log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
