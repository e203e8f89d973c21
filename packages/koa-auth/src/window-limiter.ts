import type { Redis } from 'ioredis';
import { type IRateLimiterRedisOptions, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { attempt, type MaybePromise } from './maybe-async.js';

/** The state of one key's current window after a consume or a peek. */
export interface LimitResult {
  /** True when this request is within the limit (for `peek`: when one more would be). */
  allowed: boolean;
  /** Requests allowed per window. */
  limit: number;
  /** Requests left in this window, never negative. */
  remaining: number;
  /** When the window ends, in ms since the epoch. */
  resetAtMs: number;
  /** Seconds until the window ends, rounded up (for `Retry-After`). */
  retryAfterSeconds: number;
}

export interface WindowLimiter {
  readonly limit: number;
  readonly windowMs: number;
  /**
   * Counts one request against `key` and says whether it is admitted. Synchronous for the
   * in-process store (no promise on the hot path), a promise with Redis; `await` works for both.
   */
  consume(key: string): MaybePromise<LimitResult>;
  /** The current state of `key`'s window, without counting anything (sync or async, as `consume`). */
  peek(key: string): MaybePromise<LimitResult>;
  /**
   * Gives back one request counted by `consume` (its `reserved` result names the window), e.g. a
   * reserved attempt that turned out not to be a failure. A no-op once that window has ended;
   * never takes a count below zero. Sync or async, as `consume`.
   */
  refund(key: string, reserved: LimitResult): MaybePromise<void>;
}

export interface WindowLimiterOptions {
  /** Requests admitted per window. */
  limit: number;
  /** Window length in ms; whole seconds. Windows are aligned to the epoch (a day window resets at 00:00 UTC). */
  windowMs: number;
  /** Namespaces the Redis keys, e.g. `pc:rl:key`. */
  prefix: string;
  /** Shared store. Omit for a single process (memory only). */
  redis?: Redis | undefined;
  /** Clock in ms since the epoch; picks the window. Default `Date.now`. */
  now?: () => number;
  /** Called when Redis fails and the in-process counters answer instead. */
  onStoreError?: (error: Error) => void;
  /**
   * Called with every result that refuses (a `consume` over the limit, a `peek` at an exhausted
   * window), e.g. to count refusals per limiter. Never given the key.
   */
  onRefused?: (result: LimitResult) => void;
  /**
   * Most buckets the in-process counters keep (the single-node store, and the fallback while Redis
   * is down). Past it the oldest buckets are dropped, those of earlier windows first. Default
   * 100 000 (a few MB).
   */
  maxBuckets?: number;
}

/**
 * A fixed-window limiter: exact across processes while Redis works (one atomic Lua script of
 * `rate-limiter-flexible` per consume, SPEC §8), per-process counters when it does not (fail open
 * for limits, SPEC §4.6). Windows are aligned to the epoch by putting the window number in the
 * key, so every process agrees on when a window resets, and a day window resets at 00:00 UTC.
 * The in-process counters hold at most `maxBuckets` buckets, so a flood of distinct keys (client
 * addresses) cannot grow memory without bound.
 *
 * @example
 * const perKey = createWindowLimiter({ limit: 200, windowMs: 60_000, prefix: 'pc:rl:key', redis });
 * const result = await perKey.consume(keyId); // { allowed, remaining, resetAtMs, … }
 */
export function createWindowLimiter(options: WindowLimiterOptions): WindowLimiter {
  const { limit, windowMs, prefix, redis, onStoreError, onRefused } = options;
  if (!Number.isInteger(limit) || limit < 1) throw new TypeError('createWindowLimiter: limit must be ≥ 1');
  if (!Number.isInteger(windowMs) || windowMs < 1000 || windowMs % 1000 !== 0) {
    throw new TypeError('createWindowLimiter: windowMs must be whole seconds');
  }
  const maxBuckets = options.maxBuckets ?? 100_000;
  if (!Number.isInteger(maxBuckets) || maxBuckets < 1) {
    throw new TypeError('createWindowLimiter: maxBuckets must be ≥ 1');
  }
  const now = options.now ?? Date.now;
  // Without Redis: a plain counter map, because the single-node default runs it on every
  // authenticated request (SPEC §9: auth costs almost nothing). With Redis: the same counters
  // answer while Redis fails.
  const memory = memoryStore(maxBuckets);
  const store: CountingStore = redis
    ? withFallback(redisStore(redis, prefix, limit, windowMs / 1000), memory, onStoreError)
    : memory;

  const result = (consumed: number, windowIndex: number, allowed: boolean, atMs = now()): LimitResult => {
    const resetAtMs = (windowIndex + 1) * windowMs;
    const answer: LimitResult = {
      allowed,
      limit,
      remaining: Math.max(0, limit - consumed),
      resetAtMs,
      retryAfterSeconds: Math.max(1, Math.ceil((resetAtMs - atMs) / 1000)),
    };
    if (!allowed) onRefused?.(answer);
    return answer;
  };
  // Both Redis and the fallback failed: fail open for limits (never for auth).
  const failOpen = (windowIndex: number): LimitResult => result(0, windowIndex, true);

  const window = (): number => Math.floor(now() / windowMs);
  return {
    limit,
    windowMs,
    consume(key) {
      // The request path of every limited request: no closure or second clock read when the
      // count is synchronous (the in-process store), the same answers as through `attempt`.
      const atMs = now();
      const windowIndex = Math.floor(atMs / windowMs);
      let counted: MaybePromise<number>;
      try {
        counted = store.increment(key, windowIndex);
      } catch {
        return failOpen(windowIndex);
      }
      if (counted instanceof Promise) {
        return counted.then(
          (consumed) => result(consumed, windowIndex, consumed <= limit),
          () => failOpen(windowIndex),
        );
      }
      return result(counted, windowIndex, counted <= limit, atMs);
    },
    peek(key) {
      const windowIndex = window();
      return attempt(
        () => store.count(key, windowIndex),
        (consumed) => result(consumed, windowIndex, consumed < limit),
        () => failOpen(windowIndex),
      );
    },
    refund(key, reserved) {
      const windowIndex = reserved.resetAtMs / windowMs - 1;
      // The window has ended: its count no longer matters, and its Redis key may be gone.
      if (windowIndex !== window()) return;
      return attempt(
        () => store.decrement(key, windowIndex),
        () => undefined,
        () => undefined,
      );
    },
  };
}

/** Counts requests per (key, window). `increment` returns the count including this request. */
interface CountingStore {
  increment(key: string, windowIndex: number): MaybePromise<number>;
  count(key: string, windowIndex: number): MaybePromise<number>;
  decrement(key: string, windowIndex: number): MaybePromise<void>;
}

function redisStore(redis: Redis, prefix: string, limit: number, durationSeconds: number): CountingStore {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    points: limit,
    duration: durationSeconds,
    keyPrefix: prefix,
    // Do not queue behind a reconnecting client: the in-process counters answer at once.
    rejectIfRedisNotReady: true,
  } satisfies IRateLimiterRedisOptions);
  return {
    async increment(key, windowIndex) {
      try {
        return (await limiter.consume(`${key}:${windowIndex}`, 1)).consumedPoints;
      } catch (rejection) {
        // rate-limiter-flexible rejects with a RateLimiterRes when the limit is passed.
        if (rejection instanceof RateLimiterRes) return Math.max(rejection.consumedPoints, limit + 1);
        throw rejection;
      }
    },
    async count(key, windowIndex) {
      return (await limiter.get(`${key}:${windowIndex}`))?.consumedPoints ?? 0;
    },
    async decrement(key, windowIndex) {
      // A reward is an atomic decrement; the window number in the key keeps it in its window.
      await limiter.reward(`${key}:${windowIndex}`, 1);
    },
  };
}

/** Redis first; when it fails, the in-process counters answer (fail open across processes). */
function withFallback(
  primary: CountingStore,
  fallback: CountingStore,
  onStoreError: ((error: Error) => void) | undefined,
): CountingStore {
  const fellBack = (error: unknown) => {
    onStoreError?.(error instanceof Error ? error : new Error(String(error)));
  };
  return {
    async increment(key, windowIndex) {
      try {
        return await primary.increment(key, windowIndex);
      } catch (error) {
        fellBack(error);
        return fallback.increment(key, windowIndex);
      }
    },
    async count(key, windowIndex) {
      try {
        return await primary.count(key, windowIndex);
      } catch (error) {
        fellBack(error);
        return fallback.count(key, windowIndex);
      }
    },
    async decrement(key, windowIndex) {
      try {
        await primary.decrement(key, windowIndex);
      } catch (error) {
        fellBack(error);
        await fallback.decrement(key, windowIndex);
      }
    },
  };
}

// Past this many buckets, a consume sweeps out those of earlier windows: memory follows the
// buckets active in one window, with no timer.
const SWEEP_THRESHOLD = 10_000;

/**
 * A single-process fixed-window counter: one map entry per active key, reset when its window
 * ends, at most `maxBuckets` entries. A Map iterates in insertion order and a bucket is
 * re-inserted when its window changes, so the first entries are the oldest: dropping from the
 * front drops earlier windows first, then the current window's oldest buckets (those keys start
 * over: fail open for them, never unbounded memory).
 */
function memoryStore(maxBuckets: number): CountingStore {
  const buckets = new Map<string, { windowIndex: number; count: number }>();
  let sweepAt = Math.min(SWEEP_THRESHOLD, maxBuckets);
  const makeRoom = (windowIndex: number) => {
    for (const [name, entry] of buckets) if (entry.windowIndex < windowIndex) buckets.delete(name);
    if (buckets.size >= maxBuckets) {
      // Still full of this window's buckets: drop the oldest tenth at once, so a flood of new
      // keys pays for one sweep per many inserts rather than one per insert.
      let drop = buckets.size - maxBuckets + Math.max(1, Math.floor(maxBuckets / 10));
      for (const name of buckets.keys()) {
        if (drop-- <= 0) break;
        buckets.delete(name);
      }
    }
    // Sweep again only once the map has grown by another threshold's worth (or is full).
    sweepAt = Math.min(buckets.size + SWEEP_THRESHOLD, maxBuckets);
  };
  return {
    increment(key, windowIndex) {
      const bucket = buckets.get(key);
      if (bucket !== undefined && bucket.windowIndex === windowIndex) return ++bucket.count;
      if (bucket !== undefined) {
        // Re-inserted, so the map stays ordered by the window each bucket was last opened in.
        buckets.delete(key);
      } else if (buckets.size >= sweepAt) {
        makeRoom(windowIndex);
      }
      buckets.set(key, { windowIndex, count: 1 });
      return 1;
    },
    count(key, windowIndex) {
      const bucket = buckets.get(key);
      return bucket !== undefined && bucket.windowIndex === windowIndex ? bucket.count : 0;
    },
    decrement(key, windowIndex) {
      const bucket = buckets.get(key);
      if (bucket !== undefined && bucket.windowIndex === windowIndex && bucket.count > 0) bucket.count -= 1;
    },
  };
}
