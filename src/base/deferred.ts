/** A promise with its resolve and reject exposed, for code that settles it from an event handler. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  const { promise, resolve, reject } = Promise.withResolvers<T>();
  // A deferred that nobody awaits must not crash the process when it is rejected (e.g. pending
  // requests failed on close); the awaiting caller still sees the rejection.
  promise.catch(() => {});
  return { promise, resolve, reject };
}
