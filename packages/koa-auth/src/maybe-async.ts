/** A value now, or later. Lookups answer synchronously on a cache hit and asynchronously otherwise. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Calls `produce`, then `onValue` with its result: synchronously when `produce` answered
 * synchronously (no promise, no microtask on the hot path), through the promise otherwise.
 * `onError` handles only `produce`'s own failure (a synchronous throw or a rejection); errors
 * thrown by `onValue` pass through untouched.
 *
 * @example
 * // An auth middleware: an L1 hit is decided at once, a miss when the database answers.
 * return attempt(() => lookup(digest), (decision) => admit(ctx, decision, next), lookupFailed);
 */
export function attempt<T, R>(
  produce: () => MaybePromise<T>,
  onValue: (value: T) => R,
  onError: (error: unknown) => R,
): MaybePromise<Awaited<R>> | R {
  let answer: MaybePromise<T>;
  try {
    answer = produce();
  } catch (error) {
    return onError(error);
  }
  if (answer instanceof Promise) return answer.then(onValue, onError) as Promise<Awaited<R>>;
  return onValue(answer);
}
