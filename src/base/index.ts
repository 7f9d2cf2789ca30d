export { type BackoffPolicy, backoffDelay, defaultBackoff } from "./backoff.ts";
export { type Deferred, deferred } from "./deferred.ts";
export { describeError, InvalidArgumentError, TimeoutError, WeirError } from "./errors.ts";
export { IniSections } from "./ini-sections.ts";
export { type Log, type LogFn, silentLog } from "./log.ts";
export { sleep, waitFor, withTimeout } from "./time.ts";
