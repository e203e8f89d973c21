import type { Redis } from 'ioredis';
import {
  type IRateLimiterRedisOptions,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
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
  /** Called when Redis fails and the in-memory insurance limiter answers instead. */
  onStoreError?: (error: Error) => void;
}

/**
 * A fixed-window limiter on `rate-limiter-flexible`: exact across processes while Redis works
 * (one atomic Lua script per consume, SPEC §8), per-process memory when it does not (fail open for
 * limits, SPEC §4.6). Windows are aligned to the epoch by putting the window number in the key,
 * so every process agrees on when a window resets, and a day window resets at 00:00 UTC.
 *
 * @example
 * const perKey = createWindowLimiter({ limit: 200, windowMs: 60_000, prefix: 'pc:rl:key', redis });
 * const result = await perKey.consume(keyId); // { allowed, remaining, resetAtMs, … }
 */
export function createWindowLimiter(options: WindowLimiterOptions): WindowLimiter {
  const { limit, windowMs, prefix, redis, onStoreError } = options;
  if (!Number.isInteger(limit) || limit < 1) throw new TypeError('createWindowLimiter: limit must be ≥ 1');
  if (!Number.isInteger(windowMs) || windowMs < 1000 || windowMs % 1000 !== 0) {
    throw new TypeError('createWindowLimiter: windowMs must be whole seconds');
  }
  const now = options.now ?? Date.now;
  const durationSeconds = windowMs / 1000;
  // With Redis: one atomic Lua script per consume (rate-limiter-flexible), and its in-memory
  // limiter as insurance while Redis is down. Without Redis: a plain counter map, because the
  // single-node default runs it on every authenticated request (SPEC §9: auth costs almost nothing).
  const store: CountingStore = redis
    ? flexibleStore(
        new RateLimiterRedis({
          storeClient: redis,
          points: limit,
          duration: durationSeconds,
          keyPrefix: prefix,
          // Do not queue behind a reconnecting client: answer from memory at once.
          rejectIfRedisNotReady: true,
          insuranceLimiter: new RateLimiterMemory({
            points: limit,
            duration: durationSeconds,
            keyPrefix: prefix,
          }),
        } satisfies IRateLimiterRedisOptions),
        limit,
      )
    : memoryStore();

  const result = (consumed: number, windowIndex: number, allowed: boolean): LimitResult => {
    const resetAtMs = (windowIndex + 1) * windowMs;
    return {
      allowed,
      limit,
      remaining: Math.max(0, limit - consumed),
      resetAtMs,
      retryAfterSeconds: Math.max(1, Math.ceil((resetAtMs - now()) / 1000)),
    };
  };

  const window = (): number => Math.floor(now() / windowMs);

  // Both Redis and its insurance failed: fail open for limits (never for auth), and say so.
  const failOpen = (error: unknown, windowIndex: number): LimitResult => {
    onStoreError?.(error instanceof Error ? error : new Error(String(error)));
    return result(0, windowIndex, true);
  };
  return {
    limit,
    windowMs,
    consume(key) {
      const windowIndex = window();
      return attempt(
        () => store.increment(key, windowIndex),
        (consumed) => result(consumed, windowIndex, consumed <= limit),
        (error) => failOpen(error, windowIndex),
      );
    },
    peek(key) {
      const windowIndex = window();
      return attempt(
        () => store.count(key, windowIndex),
        (consumed) => result(consumed, windowIndex, consumed < limit),
        (error) => failOpen(error, windowIndex),
      );
    },
  };
}

/** Counts requests per (key, window). `increment` returns the count including this request. */
interface CountingStore {
  increment(key: string, windowIndex: number): MaybePromise<number>;
  count(key: string, windowIndex: number): MaybePromise<number>;
}

function flexibleStore(limiter: RateLimiterRedis, limit: number): CountingStore {
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
  };
}

// Past this many buckets, a consume sweeps out those of earlier windows: memory stays bounded by
// the buckets active in one window, with no timer.
const SWEEP_THRESHOLD = 10_000;

/** A single-process fixed-window counter: one map entry per active key, reset when its window ends. */
function memoryStore(): CountingStore {
  const buckets = new Map<string, { windowIndex: number; count: number }>();
  let sweepAt = SWEEP_THRESHOLD;
  return {
    increment(key, windowIndex) {
      const bucket = buckets.get(key);
      if (bucket !== undefined && bucket.windowIndex === windowIndex) return ++bucket.count;
      if (bucket !== undefined) {
        bucket.windowIndex = windowIndex;
        bucket.count = 1;
        return 1;
      }
      if (buckets.size >= sweepAt) {
        for (const [name, entry] of buckets) if (entry.windowIndex < windowIndex) buckets.delete(name);
        // Sweep again only once the map has grown by another threshold's worth.
        sweepAt = buckets.size + SWEEP_THRESHOLD;
      }
      buckets.set(key, { windowIndex, count: 1 });
      return 1;
    },
    count(key, windowIndex) {
      const bucket = buckets.get(key);
      return bucket !== undefined && bucket.windowIndex === windowIndex ? bucket.count : 0;
    },
  };
}
